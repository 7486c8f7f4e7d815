#!/usr/bin/env bash
# Renders the demo clip: real recorded speech (five LibriVox sentences from Debian's
# pocketsphinx-testdata, with pauses between them) under four 720p shots joined by hard cuts,
# each with a burned-in title. H.264 + AAC in MP4.
set -euo pipefail
out=${1:?usage: make-sample.sh OUT.mp4}
mkdir -p "$(dirname "$out")"
[ -s "$out" ] && exit 0

speech=/usr/share/pocketsphinx/test/data/librivox
[ -d "$speech" ] || { echo "make-sample: $speech is missing (apt-get install pocketsphinx-testdata)" >&2; exit 1; }
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
[ -f "$font" ] || { echo "make-sample: $font is missing (apt-get install fonts-dejavu-core)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# audio: 0.5 s silence, then each sentence followed by 1.5 s of silence (16 kHz mono, as recorded)
parts=()
i=0
ffmpeg -v error -nostdin -y -f lavfi -i anullsrc=r=16000:cl=mono -t 0.5 "$tmp/lead.wav"
parts+=("$tmp/lead.wav")
ffmpeg -v error -nostdin -y -f lavfi -i anullsrc=r=16000:cl=mono -t 1.5 "$tmp/gap.wav"
for id in 0870 0880 0890 0920 0930; do
  parts+=("$speech/sense_and_sensibility_01_austen_64kb-$id.wav" "$tmp/gap.wav")
done
inputs=(); filter=""
for p in "${parts[@]}"; do inputs+=(-i "$p"); filter+="[$i:a]"; i=$((i + 1)); done
ffmpeg -v error -nostdin -y "${inputs[@]}" -filter_complex "${filter}concat=n=$i:v=0:a=1[a]" -map "[a]" "$tmp/speech.wav"
total=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$tmp/speech.wav")

# video: four shots with titles, hard cuts; the last shot runs to the end of the speech
shot=8
last=$(awk -v t="$total" -v s="$shot" 'BEGIN { printf "%.3f", t - 3 * s }')
title() { echo "drawtext=fontfile=$font:text='$1':fontsize=64:fontcolor=white:box=1:boxcolor=black@0.7:boxborderw=16:x=(w-tw)/2:y=h-th-80"; }
ffmpeg -v error -nostdin -y \
  -f lavfi -t $shot -i "testsrc2=size=1280x720:rate=25" \
  -f lavfi -t $shot -i "smptebars=size=1280x720:rate=25" \
  -f lavfi -t $shot -i "mandelbrot=size=1280x720:rate=25" \
  -f lavfi -t "$last" -i "rgbtestsrc=size=1280x720:rate=25" \
  -i "$tmp/speech.wav" \
  -filter_complex "[0:v]$(title 'SENSE AND SENSIBILITY')[a];[1:v]$(title 'CHAPTER ONE')[b];[2:v]$(title 'NORLAND PARK')[c];[3:v]$(title 'THE DASHWOOD FAMILY')[d];[a][b][c][d]concat=n=4:v=1[v]" \
  -map "[v]" -map 4:a -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 50 -c:a aac -b:a 96k \
  -movflags +faststart "$out"
