#!/usr/bin/env bash
# Side-by-side load test: onvif-rtsp-server against gst-rtsp-server (and
# live555MediaServer when LIVE555_SERVER names one), on this machine, with
# the same 1080p 4 Mbit/s H.264 + AAC file and the same load generator
# (rtsp-load). Prints one table per server and N and writes the JSON lines.
#
#   benches/compare/run.sh                      # every server, TCP 100/300/1000, UDP 100
#   SERVERS="ours gst" TCP_NS="100" UDP_NS="" benches/compare/run.sh
#   LIVE555_SERVER=$HOME/live/mediaServer/live555MediaServer benches/compare/run.sh
#
# Servers (SERVERS, default "ours ours-glommio gst live555"):
#   ours          target/release/onvif-rtsp-server (smol runtime), the file
#                 served as video on demand from its shared frame cache
#   ours-glommio  the same with --runtime glommio, when the binary has that
#                 option (skipped with a note otherwise)
#   gst           gst-rtsp-server 1.22 through python3-gi
#                 (benches/compare/gst_rtsp_server.py): ONE shared media,
#                 paced in real time, answering "not seekable" so that a
#                 PLAY's Range does not rewind (and deadlock) it; it does
#                 not loop, so each run must end within the file (60 s).
#                 Needs the Debian packages gir1.2-gst-rtsp-server-1.0 and
#                 python3-gi.
#   live555       $LIVE555_SERVER, a live555MediaServer you built yourself
#                 from its public source, outside this repository (nothing
#                 here builds or fetches it). It serves files from its working
#                 directory and cannot read MP4, so it gets the same streams
#                 remuxed (no re-encoding) into Matroska; it does not loop,
#                 so each run must end within the file (60 s). It listens on
#                 port 554 (8554 when 554 is taken).
#
# Environment:
#   TCP_NS        readers for TCP-interleaved runs (default "100 300 1000")
#   UDP_NS        readers for UDP runs (default "100")
#   DURATION      seconds of each measurement window (default 20)
#   BITRATE_1000  video bit rate of the file for the N=1000 rows, e.g. 1M,
#                 when loopback cannot carry 1000 x 4 Mbit/s (default: the
#                 4M file; make-bench-media.sh makes the other)
#   MEDIA_DIR     where the media are made (default target/bench-media)
#   OUT           directory of the JSON lines and logs (default
#                 target/compare/<UTC date and time>)
#   QUIET_LOAD    wait before each run until the 1-minute load average is
#                 below this (default 0.5; 0 disables); each run records the
#                 load average at its start
#   QUIET_MAX     seconds to wait at most for a quiet machine (default 900)
#   EXTRA         more rtsp-load options
#
# Each run gets a fresh server process (so the idle RSS is its own and a
# shared media starts anew), pinned to the last CPU with taskset; rtsp-load
# is pinned to CPU 0 and samples the server with --server-pid.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
SERVERS=${SERVERS:-"ours ours-glommio gst live555"}
TCP_NS=${TCP_NS-"100 300 1000"}
UDP_NS=${UDP_NS-"100"}
DURATION=${DURATION:-20}
BITRATE_1000=${BITRATE_1000:-}
MEDIA_DIR=${MEDIA_DIR:-$root/target/bench-media}
OUT=${OUT:-$root/target/compare/$(date -u +%Y%m%dT%H%M%SZ)}
QUIET_LOAD=${QUIET_LOAD:-0.5}
QUIET_MAX=${QUIET_MAX:-900}
EXTRA=${EXTRA:-}
JOBS=${JOBS:-2}
PY=/usr/bin/python3
mkdir -p "$OUT"

log() { echo "== $*" >&2; }

log "building release binaries"
cargo build --release -j"$JOBS" --bin onvif-rtsp-server >&2
cargo build --release -j"$JOBS" -p onvif-rtsp-benches --bin rtsp-load >&2
# Cargo's own rule: CARGO_TARGET_DIR when set, else target/.
target_dir=${CARGO_TARGET_DIR:-$root/target}
ours_bin=$target_dir/release/onvif-rtsp-server
load_bin=$target_dir/release/rtsp-load

log "making the test media"
media=$("$root/benches/make-bench-media.sh" "$MEDIA_DIR")
media_1000=$media
if [[ -n "$BITRATE_1000" ]]; then
    media_1000=$("$root/benches/make-bench-media.sh" "$MEDIA_DIR" 60 25 "$BITRATE_1000")
fi

cpus=$(nproc)
if ((cpus >= 2)); then
    server_pin=(taskset -c $((cpus - 1)))
    load_pin=(taskset -c 0)
else
    server_pin=()
    load_pin=()
fi

# The machine, for the record.
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "nproc: $cpus"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "gst-rtsp-server: $(dpkg-query -W -f '${Version}' gir1.2-gst-rtsp-server-1.0 2>/dev/null || echo 'not installed')"
    echo "media: $(basename "$media") $(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$media" 2>/dev/null) bit/s"
    if [[ "$media_1000" != "$media" ]]; then
        echo "media_1000: $(basename "$media_1000") $(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$media_1000" 2>/dev/null) bit/s"
    fi
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

wait_quiet() {
    [[ "$QUIET_LOAD" == 0 ]] && return 0
    local waited=0 load1
    while :; do
        load1=$(cut -d' ' -f1 /proc/loadavg)
        if awk -v l="$load1" -v q="$QUIET_LOAD" 'BEGIN { exit !(l < q) }'; then
            return 0
        fi
        if ((waited >= QUIET_MAX)); then
            log "WARNING: still busy after ${QUIET_MAX}s (load average $load1); measuring anyway"
            return 0
        fi
        if ((waited % 60 == 0)); then log "waiting for a quiet machine (load average $load1)"; fi
        sleep 5
        waited=$((waited + 5))
    done
}

server_pid=
server_dir=
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
    if [[ -n "$server_dir" ]]; then
        rm -rf "$server_dir"
        server_dir=
    fi
}
trap stop_server EXIT

# wait_listening FILE PATTERN: wait until the server printed PATTERN.
wait_listening() {
    local out=$1 pattern=$2
    for _ in $(seq 300); do
        if grep -q "$pattern" "$out" 2>/dev/null; then return 0; fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            log "server exited:"
            cat "$out" "$out.err" >&2 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
    log "server did not start"
    return 1
}

# start_server NAME FILE PORT: starts a server; sets server_pid and url.
start_server() {
    local name=$1 file=$2 port=$3
    server_dir=$(mktemp -d)
    local out=$server_dir/server.out
    case $name in
    ours | ours-glommio)
        local runtime=()
        [[ $name == ours-glommio ]] && runtime=(--runtime glommio)
        cat >"$server_dir/rtsp.cfg" <<CFG
<?xml version="1.0" encoding="utf-8"?>
<config>
    <serverport>$port</serverport>
    <loop_nums>-1</loop_nums>
    <need_auth>0</need_auth>
    <log_enable>0</log_enable>
</config>
CFG
        (cd "$server_dir" && exec "${server_pin[@]}" "$ours_bin" "${runtime[@]}" --no-onvif \
            --rtsp-config "$server_dir/rtsp.cfg" --media-dir "$(dirname "$file")" \
            >"$out" 2>"$out.err") &
        server_pid=$!
        wait_listening "$out" "listening on" || return 1
        url="rtsp://127.0.0.1:$port/$(basename "$file")"
        ;;
    gst)
        (exec "${server_pin[@]}" "$PY" "$root/benches/compare/gst_rtsp_server.py" "$port" "$file" \
            >"$out" 2>"$out.err") &
        server_pid=$!
        wait_listening "$out" "listening on" || return 1
        url="rtsp://127.0.0.1:$port/$(basename "$file")"
        ;;
    live555)
        local mkv
        mkv=$(live555_media "$file")
        (cd "$(dirname "$mkv")" && exec "${server_pin[@]}" "$LIVE555_SERVER" >"$out" 2>"$out.err") &
        server_pid=$!
        # It prints its URL prefix, "rtsp://HOST:PORT/<filename>", on stderr.
        wait_listening "$out.err" "rtsp://" || return 1
        local lport
        lport=$(grep -o 'rtsp://[^/]*/' "$out.err" | head -1 | sed -E 's|.*:([0-9]+)/$|\1|')
        [[ "$lport" =~ ^[0-9]+$ ]] || lport=554
        url="rtsp://127.0.0.1:$lport/$(basename "$mkv")"
        ;;
    esac
    # The idle sample of rtsp-load needs the process itself, not a wrapper:
    # taskset execs, so $! is the server.
}

# live555_media FILE: the same streams in Matroska (live555 reads no MP4).
live555_media() {
    local file=$1 mkv="${1%.mp4}.mkv"
    if [[ ! -s "$mkv" || "$mkv" -ot "$file" ]]; then
        ffmpeg -hide_banner -loglevel error -y -i "$file" -map 0 -c copy "$mkv.tmp.mkv" >&2
        mv "$mkv.tmp.mkv" "$mkv"
    fi
    echo "$mkv"
}

have_glommio() {
    "$ours_bin" --help 2>/dev/null | grep -q -- '--runtime'
}

: >"$OUT/notes.txt"
note() {
    echo "$*" >>"$OUT/notes.txt"
    log "$*"
}
if ((DURATION > 40)); then
    note "DURATION=$DURATION: gst-rtsp-server and live555 do not loop the 60 s file here; their runs may reach its end"
fi

port=18700
runs=()
for transport in tcp udp; do
    if [[ $transport == tcp ]]; then ns=$TCP_NS; else ns=$UDP_NS; fi
    for n in $ns; do
        runs+=("$transport:$n")
    done
done

for server in $SERVERS; do
    case $server in
    ours-glommio)
        if ! have_glommio; then
            note "ours-glommio: skipped, $ours_bin has no --runtime option (the glommio runtime has not landed on this branch)"
            continue
        fi
        ;;
    gst)
        if ! "$PY" -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" 2>/dev/null; then
            note "gst: skipped, python3-gi or gir1.2-gst-rtsp-server-1.0 is not installed (apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi)"
            continue
        fi
        ;;
    live555)
        if [[ -z "${LIVE555_SERVER:-}" || ! -x "${LIVE555_SERVER:-}" ]]; then
            note "live555: skipped, LIVE555_SERVER does not name a live555MediaServer binary"
            continue
        fi
        ;;
    ours) ;;
    *)
        note "$server: unknown server, skipped"
        continue
        ;;
    esac
    for run in "${runs[@]}"; do
        transport=${run%%:*}
        n=${run##*:}
        file=$media
        if ((n >= 1000)); then file=$media_1000; fi
        port=$((port + 2))
        wait_quiet
        log "$server: $n $transport readers of $(basename "$file"), ${DURATION}s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        if ! start_server "$server" "$file" "$port"; then
            note "$server $transport $n: the server did not start"
            stop_server
            continue
        fi
        json="$OUT/$server-$transport-$n.json"
        ramp=()
        if [[ $server == live555 ]]; then
            # live555MediaServer re-creates a Matroska file's session on the
            # first DESCRIBE of every client, in a nested event loop; readers
            # arriving together stall in SETUP. One new reader every 20 ms
            # gets them all in (the window starts once all play).
            ramp=(--batch 1 --batch-interval-ms 20 --ramp-timeout $((n / 50 + 30)))
        fi
        # shellcheck disable=SC2086
        if ! "${load_pin[@]}" "$load_bin" --url "$url" --readers "$n" --transport "$transport" \
            --duration "$DURATION" --server-pid "$server_pid" --json "$json" -q "${ramp[@]}" $EXTRA \
            >"$OUT/$server-$transport-$n.log" 2>&1; then
            note "$server $transport $n: rtsp-load failed (see $server-$transport-$n.log)"
        fi
        tail -n +1 "$OUT/$server-$transport-$n.log" | grep -v '^{' >&2 || true
        if [[ -s "$json" ]]; then
            "$PY" - "$json" "$server" "$(basename "$file")" <<'PY'
import json, sys
path, server, media = sys.argv[1:4]
with open(path) as f:
    line = json.loads(f.read().strip().splitlines()[-1])
line["server"] = server
line["media"] = media
with open(path, "w") as f:
    f.write(json.dumps(line) + "\n")
PY
        fi
        stop_server
    done
done

cat "$OUT"/*.json >"$OUT/all.jsonl" 2>/dev/null || true
"$PY" "$root/benches/compare/table.py" "$OUT/all.jsonl" --machine "$OUT/machine.txt" --notes "$OUT/notes.txt" |
    tee "$OUT/table.md"
log "results in $OUT"
