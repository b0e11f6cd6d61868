#!/bin/sh
# Captures real clients talking to our own server on loopback, for the pcap
# replay tests (conformance/tests/replay.rs). See README.md beside this file.
#
# Usage: conformance/captures/capture.sh [SERVER_BINARY]
# (default: target/debug/onvif-rtsp-server; run `cargo build` first).
# Needs tshark (with capture rights), ffmpeg, gst-launch-1.0 with the
# rtsp plugin, and the virtualenv of `make venv` for the ONVIF client.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
server=${1:-$root/target/debug/onvif-rtsp-server}
python=${ONVIF_PYTHON:-$root/.venv/bin/python}
rtsp_port=38554
onvif_port=38080
udp_base=47000
# Everything between the clients and the server; the server's RTP and RTCP
# over UDP are dropped afterwards (the replay regenerates them).
filter="tcp port $rtsp_port or tcp port $onvif_port or udp portrange $udp_base-$((udp_base + 999))"
server_udp="udp.srcport >= $udp_base && udp.srcport <= $((udp_base + 999))"

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT

# The clip: 4 s of 640x480 H.264 (baseline, an IDR every second) and
# AAC-LC 16 kHz mono, the shape of the replay's synthetic source.
ffmpeg -nostdin -v error -y \
    -f lavfi -i testsrc2=size=640x480:rate=25 \
    -f lavfi -i sine=frequency=440:sample_rate=16000 \
    -t 4 -c:v libx264 -profile:v baseline -g 25 -pix_fmt yuv420p -b:v 200k \
    -c:a aac -ac 1 -ar 16000 -b:a 32k "$work/clip.mp4"
printf '<?xml version="1.0" encoding="utf-8"?>\n<config><udp_base_port>%s</udp_base_port></config>\n' \
    "$udp_base" >"$work/rtsp.cfg"

(cd "$work" && exec "$server" --rtsp-port $rtsp_port --onvif-port $onvif_port \
    --no-discovery --seed 1 >server.out 2>server.err) &
server_pid=$!
sleep 1

# capture NAME IFACE LINKTYPE FORMAT COMMAND...
capture() {
    name=$1 iface=$2 linktype=$3 format=$4
    shift 4
    tshark -q -i "$iface" -y "$linktype" -f "$filter" -F "$format" \
        -w "$work/$name.raw" 2>"$work/$name.tshark" &
    tshark_pid=$!
    # Wait until it listens.
    for _ in $(seq 50); do
        grep -q Capturing "$work/$name.tshark" && break
        sleep 0.1
    done
    sleep 0.3
    "$@" >"$work/$name.client" 2>&1 || echo "$name: client exit $?" >&2
    sleep 0.5
    kill -INT $tshark_pid
    wait $tshark_pid || true
    ext=pcapng
    [ "$format" = pcap ] && ext=pcap
    tshark -r "$work/$name.raw" -Y "not ($server_udp)" -F "$format" -w "$here/$name.$ext"
    echo "$name.$ext: $(stat -c %s "$here/$name.$ext") bytes"
}

url=rtsp://127.0.0.1:$rtsp_port/clip.mp4
# GStreamer gets both streams a sink; -e ends with EOS (so TEARDOWN) on SIGINT.
gst() {
    timeout -s INT 2 gst-launch-1.0 -q -e rtspsrc location="$url" protocols="$1" name=s \
        s. ! queue ! fakesink s. ! queue ! fakesink
}

capture ffmpeg-tcp lo EN10MB pcapng \
    ffmpeg -nostdin -v error -rtsp_transport tcp -i "$url" -map 0 -t 1 -f null -
capture ffmpeg-udp any LINUX_SLL2 pcapng \
    ffmpeg -nostdin -v error -rtsp_transport udp -i "$url" -map 0 -t 1 -f null -
capture ffmpeg-seek lo EN10MB pcapng \
    ffmpeg -nostdin -v error -rtsp_transport tcp -ss 2 -i "$url" -map 0 -t 0.5 -f null -
capture gstreamer-tcp any LINUX_SLL pcap gst tcp
capture gstreamer-udp lo EN10MB pcap gst udp
capture onvif-zeep lo EN10MB pcapng sh -c "
    '$python' '$root/conformance/python/onvif_call.py' 127.0.0.1 $onvif_port admin admin media GetProfiles &&
    '$python' '$root/conformance/python/onvif_call.py' 127.0.0.1 $onvif_port admin admin media GetStreamUri \
        '{\"StreamSetup\": {\"Stream\": \"RTP-Unicast\", \"Transport\": {\"Protocol\": \"RTSP\"}}, \"ProfileToken\": \"ProfileToken_1\"}'"
