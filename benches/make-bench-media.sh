#!/usr/bin/env bash
# Creates the load-test media file: 1080p H.264 at 4 Mbit/s (CBR-like,
# -maxrate 4M -bufsize 8M, a keyframe every 50 frames) with AAC-LC 128 kbit/s,
# 48 kHz stereo, in an MP4 container.
#
# Usage: benches/make-bench-media.sh DIR [SECONDS] [FPS] [VBITRATE]
#   DIR      output directory (created if missing); the file is DIR/bench-1080p-4m.mp4
#   SECONDS  duration, default 60
#   FPS      frame rate, default 25
#   VBITRATE video bit rate in ffmpeg's notation, default 4M; another value
#            names the file after it (4M -> bench-1080p-4m.mp4, 1M ->
#            bench-1080p-1m.mp4), with -maxrate equal and -bufsize twice it
#
# Prints the path of the file.
#
# Needs ffmpeg with libx264 (Debian: apt-get install ffmpeg). An existing file
# with the same parameters is kept (delete it to regenerate).
set -euo pipefail

dir=${1:?usage: $0 DIR [SECONDS] [FPS]}
secs=${2:-60}
fps=${3:-25}
vrate=${4:-4M}
if [[ ! "$vrate" =~ ^([0-9]+)([kKmM])$ ]]; then
    echo "make-bench-media.sh: VBITRATE must look like 4M or 1500k, not $vrate" >&2
    exit 1
fi
num=${BASH_REMATCH[1]}
unit=${BASH_REMATCH[2],,}
bufsize="$((num * 2))$unit"
name="bench-1080p-$num$unit.mp4"

out="$dir/$name"

if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "make-bench-media.sh: ffmpeg not found (Debian: sudo apt-get install ffmpeg)" >&2
    exit 1
fi
mkdir -p "$dir"

stamp="$dir/.$name.params"
params="secs=$secs fps=$fps v=$vrate g=50 a=aac128k48k2"
if [[ -s "$out" && -f "$stamp" && "$(cat "$stamp")" == "$params" ]]; then
    echo "$out"
    exit 0
fi

tmp="$dir/.$name.tmp.mp4"
ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=$fps:duration=$secs" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$secs" \
    -filter_complex "[1:a]pan=stereo|c0=c0|c1=c0[a]" \
    -map 0:v -map "[a]" \
    -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p \
    -b:v "$vrate" -maxrate "$vrate" -bufsize "$bufsize" -g 50 -keyint_min 50 -sc_threshold 0 \
    -x264-params nal-hrd=cbr \
    -c:a aac -b:a 128k -ar 48000 -ac 2 \
    -movflags +faststart \
    "$tmp"
mv "$tmp" "$out"
echo "$params" >"$stamp"
echo "$out"
