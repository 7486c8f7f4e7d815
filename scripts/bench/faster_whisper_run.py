#!/usr/bin/env python3
"""The faster-whisper peer of the speech rows: one whole process that loads a CTranslate2 Whisper folder
and transcribes one file, as a faster-whisper user would.

    faster_whisper_run.py MODEL_DIR AUDIO [--no-word-timestamps] [--threads 2] [--beam 1]

WhisperModel(MODEL_DIR, device="cpu", compute_type="int8", cpu_threads=THREADS), then
transcribe(AUDIO, beam_size=BEAM, vad_filter=True, language="en", word_timestamps=True unless
--no-word-timestamps); every other option is faster-whisper's default. Prints one JSON object on
stdout: {"text", "segments", "words"} (words: how many timed words came back, 0 without word times).
"""
import argparse
import json

from faster_whisper import WhisperModel


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("audio")
    ap.add_argument("--no-word-timestamps", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--beam", type=int, default=1)
    args = ap.parse_args()
    model = WhisperModel(args.model_dir, device="cpu", compute_type="int8", cpu_threads=args.threads)
    segments, _ = model.transcribe(args.audio, beam_size=args.beam, vad_filter=True, language="en",
                                   word_timestamps=not args.no_word_timestamps)
    texts, words = [], 0
    for segment in segments:  # a generator: the decoding happens here
        texts.append(segment.text.strip())
        words += len(segment.words or [])
    print(json.dumps({"text": " ".join(texts), "segments": len(texts), "words": words}))


if __name__ == "__main__":
    main()
