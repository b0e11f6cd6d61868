#!/usr/bin/env bash
# Load test of onvif-rtsp-server: N readers of a 1080p 4 Mbit/s H.264 + AAC
# file over RTSP, with the server's CPU and memory sampled from /proc.
#
#   benches/run-load.sh                 # 100 TCP readers for 20 s
#   N=1000 DURATION=30 benches/run-load.sh
#   TRANSPORT=udp benches/run-load.sh
#
# Environment:
#   N            readers (default 100)
#   DURATION     seconds of the measurement window (default 20)
#   TRANSPORT    tcp or udp (default tcp)
#   PORT         RTSP port of the server (default 18554)
#   MEDIA_DIR    where the test file is made (default target/bench-media)
#   JSON         also write the JSON line to this file
#   WAIT_QUIET   if 1, wait (up to 10 min) for the 1-minute load average to
#                drop below 0.5 before measuring (default 0)
#   EXTRA        more rtsp-load options, e.g. "--threads 2"
#   PACING_MS    the server's <pacing_ms> (file pacing grid; default: the
#                server's, 40 ms), e.g. 20 or 80 for an A/B of the grid
#   SERVER_ARGS  more server options, e.g. "--runtime glommio --shards 1"
#   RUNS         runs against the same server process (default 1). The first
#                run is "cold": its first DESCRIBE makes the server demux and
#                cache the file, which shows in setup and first-packet times.
#                Later runs are "warm" (their "idle" RSS includes the cache).
#
# On a machine with 2+ CPUs the server is pinned to the last CPU and the load
# generator to CPU 0, so they do not compete for a core. The server runs on a
# temporary rtsp.cfg: files loop forever, no auth, errors-only logging.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
N=${N:-100}
DURATION=${DURATION:-20}
TRANSPORT=${TRANSPORT:-tcp}
PORT=${PORT:-18554}
MEDIA_DIR=${MEDIA_DIR:-$root/target/bench-media}
# Cargo's own rule: CARGO_TARGET_DIR when set, else target/.
target_dir=${CARGO_TARGET_DIR:-$root/target}
WAIT_QUIET=${WAIT_QUIET:-0}
EXTRA=${EXTRA:-}
SERVER_ARGS=${SERVER_ARGS:-}
JOBS=${JOBS:-2}
RUNS=${RUNS:-1}

echo "== building release binaries" >&2
cargo build --release -j"$JOBS" --bin onvif-rtsp-server >&2
cargo build --release -j"$JOBS" -p onvif-rtsp-benches --bin rtsp-load >&2

echo "== making the test media" >&2
media=$("$root/benches/make-bench-media.sh" "$MEDIA_DIR")
name=$(basename "$media")

cpus=$(nproc)
if ((cpus >= 2)); then
    server_pin=(taskset -c $((cpus - 1)))
    load_pin=(taskset -c 0)
else
    server_pin=()
    load_pin=()
fi

if [[ "$WAIT_QUIET" == 1 ]]; then
    quiet=0
    for _ in $(seq 120); do
        load1=$(cut -d' ' -f1 /proc/loadavg)
        if awk -v l="$load1" 'BEGIN { exit !(l < 0.5) }'; then
            quiet=1
            break
        fi
        echo "== waiting for a quiet machine (load average $load1)" >&2
        sleep 5
    done
    if ((quiet == 0)); then
        echo "== WARNING: the machine is still busy (load average $load1); CPU figures will be disturbed" >&2
    fi
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/rtsp.cfg" <<CFG
<?xml version="1.0" encoding="utf-8"?>
<config>
    <serverport>$PORT</serverport>
    <loop_nums>-1</loop_nums>
    <need_auth>0</need_auth>
    <log_enable>0</log_enable>
${PACING_MS:+    <pacing_ms>$PACING_MS</pacing_ms>}
</config>
CFG

echo "== starting the server (${server_pin[*]:-unpinned}) on port $PORT ${SERVER_ARGS}" >&2
# shellcheck disable=SC2086
(cd "$work" && exec "${server_pin[@]}" "$target_dir/release/onvif-rtsp-server" \
    --rtsp-config "$work/rtsp.cfg" --media-dir "$MEDIA_DIR" $SERVER_ARGS \
    >"$work/server.out" 2>"$work/server.err") &
server_pid=$!
for _ in $(seq 300); do
    grep -q "listening on" "$work/server.out" 2>/dev/null && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "server exited:" >&2
        cat "$work/server.err" >&2
        exit 1
    fi
    sleep 0.1
done
grep -q "listening on" "$work/server.out" || { echo "server did not start" >&2; exit 1; }
grep "runtime" "$work/server.out" >&2 || true

echo "== $(uname -r), $cpus CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for run in $(seq "$RUNS"); do
    json_opt=()
    if [[ -n "${JSON:-}" ]]; then
        if ((RUNS > 1)); then json_opt=(--json "${JSON%.json}-$run.json"); else json_opt=(--json "$JSON"); fi
    fi
    if ((RUNS > 1)); then echo "== run $run of $RUNS" >&2; fi
    # shellcheck disable=SC2086
    "${load_pin[@]}" "$target_dir/release/rtsp-load" \
        --url "rtsp://127.0.0.1:$PORT/$name" \
        --readers "$N" --duration "$DURATION" --transport "$TRANSPORT" \
        --server-pid "$server_pid" "${json_opt[@]}" $EXTRA
done
