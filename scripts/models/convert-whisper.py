#!/usr/bin/env python3
"""Converts a faster-whisper (CTranslate2) Whisper model folder into the sherpa-onnx files vidpipe
loads: NAME-encoder.int8.onnx, NAME-decoder.int8.onnx, NAME-tokens.txt, plus a manifest with the
sha256 of each file. Needs numpy and onnx only.

    convert-whisper.py --from FOLDER --out FOLDER --name tiny.en [--fp32]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402

import ct2_whisper  # noqa: E402
import onnx_whisper  # noqa: E402
from file_digest import sha256  # noqa: E402


def write_tokens(model: ct2_whisper.WhisperModel, path: str) -> None:
    """sherpa-onnx's Whisper tokens file: base64 of each text token's bytes, then its id."""
    with open(path, "w", encoding="ascii") as f:
        for i, piece in enumerate(model.tokens.vocabulary[:model.tokens.eot]):
            raw = ct2_whisper.token_bytes(piece)
            if raw is None:
                raise ct2_whisper.ModelFormatError(f"vocabulary entry {i} ({piece!r}) is not byte-level BPE")
            f.write(f"{base64.b64encode(raw).decode('ascii')} {i}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="folder with model.bin, config.json, vocabulary.txt")
    parser.add_argument("--out", required=True, help="folder to write (created; files replaced atomically)")
    parser.add_argument("--name", required=True, help="file prefix, e.g. tiny.en")
    parser.add_argument("--fp32", action="store_true", help="keep float32 weights (default: int8 linear layers)")
    args = parser.parse_args()

    started = time.monotonic()
    try:
        model = ct2_whisper.load(args.source)
    except ct2_whisper.ModelFormatError as error:
        print(f"convert-whisper: {error}", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    suffix = "onnx" if args.fp32 else "int8.onnx"
    files = {
        f"{args.name}-encoder.{suffix}": lambda: onnx_whisper.encoder(model, quantize=not args.fp32),
        f"{args.name}-decoder.{suffix}": lambda: onnx_whisper.decoder(model, quantize=not args.fp32),
    }
    manifest = {"name": args.name, "source": os.path.abspath(args.source),
                "multilingual": model.tokens.multilingual, "dims": vars(model.dims),
                "alignment_heads": model.alignment_heads, "files": {}}
    for filename, build in files.items():
        graph = build()
        onnx.checker.check_model(graph)
        target = os.path.join(args.out, filename)
        fd, temporary = tempfile.mkstemp(dir=args.out, prefix=".partial-")
        os.close(fd)
        onnx.save(graph, temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    tokens = os.path.join(args.out, f"{args.name}-tokens.txt")
    write_tokens(model, tokens + ".partial")
    os.replace(tokens + ".partial", tokens)
    manifest["languages"] = model.tokens.language_codes if model.tokens.multilingual else ["en"]
    manifest["sizes"] = {}
    for filename in list(files) + [os.path.basename(tokens)]:
        manifest["files"][filename] = sha256(os.path.join(args.out, filename))
        manifest["sizes"][filename] = os.path.getsize(os.path.join(args.out, filename))
    with open(os.path.join(args.out, "manifest.json.partial"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    os.replace(os.path.join(args.out, "manifest.json.partial"), os.path.join(args.out, "manifest.json"))
    print(f"convert-whisper: wrote {args.out} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ct2_whisper.ModelFormatError, OSError) as failure:  # one line, no traceback
        print(f"convert-whisper: {failure}", file=sys.stderr)
        sys.exit(1)
