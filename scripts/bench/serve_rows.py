"""Rows about `vidpipe serve` (no peer): on a generated store of 10,000 videos and 1,000,000 transcript
rows (made once in bench-out/serve/ with the binary's own schema, then filled with SQL), the time to
start, the time to answer the library, a video page and searches (median and worst of N requests over
one keep-alive connection), and the server's memory while paging through the whole library."""
import http.client
import os
import random
import sqlite3
import statistics
import subprocess
import time

import run as bench

VIDEOS, SEGMENTS = 10_000, 100  # segments per video: 1,000,000 transcript rows


def words(rng, count):
    """Pseudo-words from a fixed syllable set (deterministic, no dictionary needed)."""
    syllables = ["ka", "lo", "ri", "mesh", "tan", "vo", "que", "dra", "pel", "sin", "ox", "bur", "el", "nat", "gri", "um"]
    return [("".join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))) for _ in range(count)]


def make_store(out):
    """The 10k-video store, reused when a complete one is there."""
    db = os.path.join(out, "serve-10k.sqlite")
    done = db + ".complete"
    if os.path.exists(done) and os.path.exists(db):
        return db
    for suffix in ("", "-wal", "-shm", ".complete"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    # The schema from the binary itself: a run of a tiny pipeline over one short clip.
    clip = os.path.join(out, "seed.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1", "-c:v", "libx264", clip],
                   check=True)
    pipe = os.path.join(out, "seed.yml")
    with open(pipe, "w") as f:
        f.write("version: 1\nname: seed\nstages:\n  frames: { use: frames.sample, with: { every: 1s } }\n")
    subprocess.run([bench.VIDPIPE, "run", pipe, clip, "--db", db], check=True, capture_output=True)
    jpeg = sqlite3.connect(db).execute("SELECT jpeg FROM frames LIMIT 1").fetchone()[0]
    rng = random.Random(12)
    vocabulary = words(rng, 5000)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA foreign_keys = ON")
    now = "2026-12-01T00:00:00.000Z"
    with con:
        con.execute("DELETE FROM videos")
        for v in range(1, VIDEOS + 1):
            failed = v % 20 == 0
            duration = rng.uniform(30, 3600)
            con.execute(
                "INSERT INTO videos (id, path, fingerprint, size_bytes, mtime_ns, duration_s, width, height, fps, video_codec,"
                " audio_codec, container, has_video, has_audio, status, error, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 1280, 720, 25, 'h264', 'aac', 'mov,mp4,m4a,3gp,3g2,mj2', 1, 1, ?, ?, ?)",
                (v, f"/archive/folder{v // 100:03d}/video{v:05d}.mp4", f"v2-{v}-{v:040x}", 10_000_000 + v,
                 1_700_000_000_000_000_000 + v * 1_000_000_000, duration, "failed" if failed else "done",
                 "not a readable media file: Invalid data found when processing input" if failed else None, now))
            for stage in ("frames", "shots", "speech"):
                con.execute("INSERT INTO stage_results (video_id, stage, fingerprint, status, elapsed_s, finished_at)"
                            " VALUES (?, ?, 'f', 'done', 1.0, ?)", (v, stage, now))
            con.execute("INSERT INTO frames (video_id, stage, t_s, phash, width, height, jpeg) VALUES (?, 'frames', ?, 0, 160, 120, ?)",
                        (v, duration / 3, jpeg))
            t = 0.0
            for _ in range(SEGMENTS):
                text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 14)))
                end = t + rng.uniform(2, 6)
                cur = con.execute("INSERT INTO transcript_segments (video_id, stage, start_s, end_s, text, confidence)"
                                  " VALUES (?, 'speech', ?, ?, ?, 0.9)", (v, t, end, text))
                con.execute("INSERT INTO search (text, video_id, stage, kind, ref_id, start_s, end_s)"
                            " VALUES (?, ?, 'speech', 'transcript', ?, ?, ?)", (text, v, cur.lastrowid, t, end))
                t = end + rng.uniform(0, 1)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    open(done, "w").write("ok\n")
    return db


def start(db):
    """Starts `vidpipe serve --port 0`; returns (process, port, seconds until it printed its address)."""
    started = time.perf_counter()
    proc = subprocess.Popen([bench.VIDPIPE, "serve", "--db", db, "--port", "0"], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    while True:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit("bench: vidpipe serve ended before it listened")
        if line.startswith("vidpipe serve: http://127.0.0.1:"):
            elapsed = time.perf_counter() - started
            port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
            # Keep reading its log so the pipe never fills.
            import threading
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, port, elapsed


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_get(conn, path):
    t = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    ms = (time.perf_counter() - t) * 1000
    if response.status != 200:
        raise SystemExit(f"bench: GET {path} answered {response.status}")
    return ms, body


def run(args):
    out = os.path.join(bench.OUT, "serve")
    os.makedirs(out, exist_ok=True)
    t = time.perf_counter()
    db = make_store(out)
    made = time.perf_counter() - t
    starts = []
    for _ in range(3):
        proc, port, seconds = start(db)
        starts.append(seconds)
        proc.terminate()
        proc.wait()
    proc, port, _ = start(db)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with sqlite3.connect(db) as con:
            common = con.execute("SELECT text FROM transcript_segments WHERE id = 1").fetchone()[0].split()[0]
        requests = [("library, page 1", "/"), ("library, page 100", "/?page=100"),
                    ("library by duration, page 150", "/?sort=duration&page=150"), ("library by date, last page", "/?sort=date&page=200"),
                    ("a video page (100 transcript lines)", "/videos/5000"),
                    (f"search, a common word ({common})", f"/search?q={common}"),
                    ("search, a two-word phrase", f"/search?q=%22{common}%20ka%22"),
                    ("API search", f"/api/search?q={common}&limit=100")]
        n = 5 if args.quick else 20
        lines, worst_all = [], 0.0
        for label, path in requests:
            timed_get(conn, path)  # warm
            times = [timed_get(conn, path)[0] for _ in range(n)]
            worst_all = max(worst_all, statistics.median(times))
            lines.append(f"{label} {statistics.median(times):.1f} ms (worst {max(times):.1f})")
        before = rss_mb(proc.pid)
        for rounds in range(2):
            for page in range(1, VIDEOS // 50 + 1):
                timed_get(conn, f"/?page={page}")
            if rounds == 0:
                middle = rss_mb(proc.pid)
        after = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    size_mb = os.path.getsize(db) / 1e6
    yield {"name": "serve", "work": f"`vidpipe serve` on {VIDEOS:,} videos and {VIDEOS * SEGMENTS:,} transcript rows ({size_mb:.0f} MB store)",
           "measured": f"start {statistics.median(starts) * 1000:.0f} ms; " + "; ".join(lines),
           "target": "each < 200 ms; start well under 1 s", "met": "yes" if worst_all < 200 and max(starts) < 1 else "**no**",
           "extra": f"median of {n} requests over one keep-alive connection after a warm-up; RSS {before:.0f} MB before paging, "
                    f"{middle:.0f} MB after all 200 library pages, {after:.0f} MB after them again; store made in {made:.0f} s "
                    "(reused when present)",
           "commands": ["vidpipe serve --db bench-out/serve/serve-10k.sqlite --port 0; GET each page over HTTP/1.1"],
           "date": bench.now()}
