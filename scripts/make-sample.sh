#!/usr/bin/env bash
# Renders the demo clip: 4 shots (3 hard cuts and a fade through black), 720p H.264 + AAC,
# with a tone that stops and starts so audio.segments has something to find.
set -euo pipefail
out=${1:?usage: make-sample.sh OUT.mp4}
mkdir -p "$(dirname "$out")"
[ -s "$out" ] && exit 0
ffmpeg -v error -nostdin -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=4" \
  -f lavfi -i "smptebars=size=1280x720:rate=25:duration=4" \
  -f lavfi -t 4 -i "mandelbrot=size=1280x720:rate=25" \
  -f lavfi -i "rgbtestsrc=size=1280x720:rate=25:duration=4" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=16" \
  -filter_complex "[0:v][1:v]concat=n=2:v=1[ab];[2:v]fade=t=out:st=3:d=1[c];[3:v]fade=t=in:st=0:d=1[d];[ab][c][d]concat=n=3:v=1[v];[4:a]volume='if(between(t,5,7)+between(t,11,12),0,1)':eval=frame[a]" \
  -map "[v]" -map "[a]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 50 -c:a aac -b:a 96k \
  -movflags +faststart "$out"
