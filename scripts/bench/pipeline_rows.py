"""Rows about the whole `vidpipe run` (no peer): peak memory on a 1-minute and a 20-minute clip, --jobs 1
vs --jobs 2 over 8 clips, a no-op rerun over 1,000 processed tiny videos, and hours of video per hour.
Each run starts from an empty store unless it is the no-op rerun."""
import glob
import json
import os
import statistics
import subprocess
import time

import run as bench

SPEECH = "/usr/share/pocketsphinx/test/data/librivox"


def pipeline_file(out_dir, name, stages, inputs="videos"):
    """A pipeline file under out_dir (store and inputs relative to it)."""
    path = os.path.join(out_dir, name + ".yml")
    with open(path, "w") as f:
        f.write(f"version: 1\nname: {name}\nstore: {name}.sqlite\ninputs: [\"{inputs}\"]\nstages:\n{stages}")
    return path


def archive_pipeline(out_dir):
    """pipelines/archive.yml with the store and captions kept in bench-out."""
    text = open(os.path.join(bench.ROOT, "pipelines", "archive.yml")).read()
    stages = text[text.index("stages:\n") + len("stages:\n"):].replace("out_dir: ../captions", "out_dir: captions")
    return pipeline_file(out_dir, "archive", stages)


def speech_track(out_dir):
    """Debian's LibriVox sentences joined with 1.5 s pauses (about 40 s), the speech under the clips."""
    path = os.path.join(out_dir, "speech.wav")
    if os.path.exists(path):
        return path
    parts = sorted(glob.glob(os.path.join(SPEECH, "*.wav")))
    if not parts:
        raise SystemExit(f"bench: {SPEECH} is missing (apt-get install pocketsphinx-testdata)")
    args, graph = [], ""
    for k, p in enumerate(parts):
        args += ["-i", p]
        graph += f"[{k}:a]apad=pad_dur=1.5[p{k}];"
    graph += "".join(f"[p{k}]" for k in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[a]"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, "-filter_complex", graph, "-map", "[a]", "-ar", "16000",
                    path], check=True)
    return path


def clip(out_dir, name, seconds, seed, size="1280x720"):
    """Grainy testsrc2 (seeded, so every clip has distinct content) with the speech track at the start
    and silence after it, H.264 + AAC."""
    path = os.path.join(out_dir, name)
    speech = speech_track(os.path.dirname(out_dir))
    return bench.media._render(path, [
        "-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={seconds},noise=alls=5:allf=t:all_seed={seed},format=yuv420p",
        "-i", speech, "-filter_complex", f"[1:a]apad,atrim=0:{seconds}[a]", "-map", "0:v", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "aac", "-b:a", "64k", "-shortest"])


def repeated(one_minute, minutes):
    """The 1-minute clip played `minutes` times in a row (concat demuxer, streams copied): a long input
    in seconds instead of a long render; memory must not grow with length either way."""
    path = one_minute.replace(".mp4", f"-x{minutes}.mp4")
    listing = path + ".txt"
    with open(listing, "w") as f:
        f.write(f"file '{one_minute}'\n" * minutes)
    return bench.media._render(path, ["-f", "concat", "-safe", "0", "-i", listing, "-c", "copy"])


def fresh_run(pipe, paths, jobs=1):
    db = pipe.replace(".yml", ".sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    wall, rss, _ = bench.timed([bench.VIDPIPE, "run", pipe, *paths, "--jobs", str(jobs)])
    return wall, rss


def stage_elapsed(pipe):
    """(stage, elapsed_s) from the store of the run just made: where the pipeline's time went."""
    import sqlite3
    with sqlite3.connect(pipe.replace(".yml", ".sqlite")) as db:
        return db.execute("SELECT stage, elapsed_s FROM stage_results ORDER BY elapsed_s DESC").fetchall()


def run(args):
    out = os.path.join(bench.OUT, "pipeline")
    os.makedirs(os.path.join(out, "videos"), exist_ok=True)
    pipe = archive_pipeline(out)
    long_minutes = 5 if args.quick else args.long_minutes

    # memory: 1 minute vs the long clip
    one = clip(os.path.join(out, "videos"), "one-minute.mp4", 60, 1)
    long = repeated(one, long_minutes)
    w1, r1 = fresh_run(pipe, [one])
    stage_times = stage_elapsed(pipe)
    wl, rl = fresh_run(pipe, [long])
    yield ({"name": "archive-rss", "work": f"`vidpipe run pipelines/archive.yml`, 1-minute vs {long_minutes}-minute 720p clip",
                 "measured": f"peak RSS {r1:.0f} MB vs {rl:.0f} MB ({(rl / r1 - 1) * 100:+.0f} %)",
                 "target": "≤ 300 MB; long run within 10 % of the 1-minute run",
                 "met": "yes" if max(r1, rl) <= 300 and rl <= 1.1 * r1 else "**no**",
                 "extra": f"one run each; the long clip is the 1-minute clip repeated (stream copy); wall {w1:.1f} s and {wl:.1f} s; stage_results.elapsed_s on the 1-minute clip: "
                          + ", ".join(f"{k} {v:.1f} s" for k, v in stage_times),
                 "commands": [f"/usr/bin/time -v vidpipe run archive.yml CLIP (fresh store)"], "date": bench.now()})
    throughput = 60 * long_minutes / wl

    # --jobs 1 vs 2 over 8 clips
    seconds = 15 if args.quick else 30
    clips = [clip(os.path.join(out, "videos"), f"jobs-{k}.mp4", seconds, 10 + k) for k in range(8)]
    rounds = 1 if args.quick else 2
    walls = {1: [], 2: []}
    fresh_run(pipe, clips[:2], 2)  # warm-up
    for _ in range(rounds):
        for jobs in (1, 2):
            walls[jobs].append(fresh_run(pipe, clips, jobs)[0])
    j1, j2 = statistics.median(walls[1]), statistics.median(walls[2])
    yield ({"name": "jobs", "work": f"archive pipeline over 8 clips of {seconds} s, `--jobs 1` vs `--jobs 2`",
                 "measured": f"{j1:.1f} s vs {j2:.1f} s: {j1 / j2:.2f}× throughput",
                 "target": "≥ 1.8×", "met": "yes" if j1 / j2 >= 1.8 else "**no**",
                 "extra": f"median of {rounds} alternating round(s) after a warm-up",
                 "commands": ["vidpipe run archive.yml CLIPS --jobs N (fresh store)"], "date": bench.now()})
    per_hour = 8 * seconds / j2
    yield ({"name": "throughput", "work": "archive pipeline, hours of video per hour of wall time",
                 "measured": f"{per_hour:.1f} h/h (8 × {seconds} s clips, --jobs 2); {throughput:.1f} h/h "
                             f"({long_minutes}-minute clip, --jobs 1)",
                 "target": "publish", "met": "—", "extra": "speech only in each clip's first 40 s",
                 "commands": ["as the two rows above"], "date": bench.now()})



def run_noop(args):
    """The no-op rerun row on its own (`--only noop`): it needs no long clip."""
    out = os.path.join(bench.OUT, "pipeline")
    os.makedirs(out, exist_ok=True)
    # no-op rerun over 1,000 processed tiny videos
    count = 200 if args.quick else 1000
    tiny_dir = os.path.join(out, "tiny")
    os.makedirs(tiny_dir, exist_ok=True)
    missing = [k for k in range(count) if not os.path.exists(os.path.join(tiny_dir, f"t{k:04d}.mp4"))]
    for start in range(0, len(missing), 50):
        batch = missing[start:start + 50]
        argv = ["ffmpeg", "-v", "error", "-y"]
        for k in batch:
            argv += ["-f", "lavfi", "-i", f"color=c=0x{(k * 2654435761) & 0xFFFFFF:06x}:s=64x36:r=5:d=0.4"]
        for j, k in enumerate(batch):
            argv += ["-map", f"{j}:v", "-c:v", "libx264", "-preset", "ultrafast", os.path.join(tiny_dir, f"t{k:04d}.mp4")]
        subprocess.run(argv, check=True)
    tiny = pipeline_file(out, "tiny", "  shots: { use: shots.detect }\n  frames: { use: frames.sample, with: { every: 1s } }\n",
                         inputs="tiny")
    fresh_run(tiny, [], 2)
    reruns = []
    for _ in range(args.runs):
        reruns.append(bench.timed([bench.VIDPIPE, "run", tiny])[0])
    noop = statistics.median(reruns)
    yield ({"name": "noop", "work": f"no-op rerun over {count} already-processed tiny videos",
                 "measured": f"{noop:.2f} s", "target": "< 2 s", "met": "yes" if noop < 2 else "**no**",
                 "extra": f"median of {args.runs}; pipeline shots.detect + frames.sample",
                 "commands": ["vidpipe run tiny.yml (second and later runs)"], "date": bench.now()})


def run_shards(args):
    """The archive pipeline over 8 clips as one process against the same work split in shards run as
    separate processes at once (`--shard I/N`, each with its own store), on this machine: what
    splitting costs or gains before the shards go to other machines."""
    out = os.path.join(bench.OUT, "pipeline")
    os.makedirs(os.path.join(out, "videos"), exist_ok=True)
    pipe = archive_pipeline(out)
    seconds = 15 if args.quick else 30
    clips = [clip(os.path.join(out, "videos"), f"jobs-{k}.mp4", seconds, 10 + k) for k in range(8)]

    def sharded(n):
        stores = [os.path.join(out, f"shard-{i}-of-{n}.sqlite") for i in range(n)]
        for db in stores:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
        start = time.perf_counter()
        procs = [subprocess.Popen([bench.VIDPIPE, "run", pipe, *clips, "--shard", f"{i}/{n}", "--db", db],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i, db in enumerate(stores)]
        codes = [p.wait() for p in procs]
        if any(codes):
            raise SystemExit(f"bench: a shard run failed: {codes}")
        return time.perf_counter() - start

    rounds = 1 if args.quick else 2
    walls = {1: [], 2: [], 4: []}
    sharded(2)  # warm-up
    for _ in range(rounds):
        for n in (1, 2, 4):
            walls[n].append(sharded(n))
    w1, w2, w4 = (statistics.median(walls[n]) for n in (1, 2, 4))
    yield ({"name": "shards", "work": f"archive pipeline over 8 clips of {seconds} s: one process against 2 and 4 shards run as processes at once",
            "measured": f"{w1:.1f} s vs {w2:.1f} s (2 shards, {w1 / w2:.2f}×) vs {w4:.1f} s (4 shards, {w1 / w4:.2f}×)",
            "target": "publish", "met": "—",
            "extra": f"median of {rounds} round(s) after a warm-up; each shard its own store; the 2 cores are shared by the shards",
            "commands": ["vidpipe run archive.yml CLIPS --shard I/N --db shard-I.sqlite (N at once, fresh stores)"], "date": bench.now()})
