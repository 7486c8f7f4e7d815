#!/usr/bin/env python3
"""`make bench`: vidpipe against its peers (the ffmpeg CLI, PySceneDetect 0.7.2), side by side.

Renders its inputs with the ffmpeg CLI into bench-out/, installs the peers with pip, builds the release
binaries, then for each row runs the commands of a group alternately (a warm-up round first, then
--runs rounds), takes the median wall time of each command and the ratio per pair, and rewrites the
marked section of docs/benchmarks.md from bench-out/results.json (so `--only NAME` refreshes one row
and keeps the others). Wall time is measured around each process; peak RSS comes from /usr/bin/time -v.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import media  # noqa: E402
import score  # noqa: E402
import pipeline_rows  # noqa: E402
import speech_rows  # noqa: E402
import serve_rows  # noqa: E402
import model_rows  # noqa: E402

OUT = os.path.join(ROOT, "bench-out")
RESULTS = os.path.join(OUT, "results.json")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
KEPT = "Rows not in this run's bench-out/results.json are kept from the previous section: "
BEGIN, END = "<!-- bench:begin (scripts/bench/run.py rewrites this section) -->", "<!-- bench:end -->"
BENCH = os.path.join(ROOT, ".build", "release", "vidpipe-bench")
VIDPIPE = os.path.join(ROOT, ".build", "release", "vidpipe")
PY = sys.executable
FF = "ffmpeg -v error"


def sh(cmd):
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def timed(cmd):
    """Runs cmd (a list) under /usr/bin/time -v; returns (wall seconds, peak RSS MB, stdout)."""
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(f"bench: command failed ({p.returncode}): {sh(cmd)}\n{p.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return wall, (int(rss.group(1)) / 1024 if rss else None), p.stdout


class CpuWatch:
    """CPU time other processes took while the bench ran (the machine's busy time from /proc/stat minus
    this process and its waited-for children): a row measured on a busy machine says so."""

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        import resource
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait
        own = sum(getattr(resource.getrusage(who), k) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for k in ("ru_utime", "ru_stime"))
        return time.perf_counter(), busy, own

    def foreign(self):
        """(CPU seconds used by other processes, wall seconds) since the watch started."""
        t1, busy1, own1 = self._sample()
        t0, busy0, own0 = self.start
        return max(0.0, (busy1 - busy0) - (own1 - own0)), t1 - t0


def alternate(commands, runs, prepare=None, after=None):
    """commands: {label: argv}. One warm-up round, then `runs` rounds, each running every command once in
    turn. prepare: {label: callable}, called (untimed) before each run of that label (e.g. to delete a
    store); after(label, stdout), if given, after every run, the warm-up included.
    Returns {label: {median_s, runs_s, rss_mb, stdout}}."""
    prepare = prepare or {}

    def one(label, argv):
        if label in prepare:
            prepare[label]()
        result = timed(argv)
        if after:
            after(label, result[2])
        return result

    for label, argv in commands.items():
        one(label, argv)
    walls = {k: [] for k in commands}
    rss = {k: 0.0 for k in commands}
    outs = {}
    for _ in range(runs):
        for label, argv in commands.items():
            wall, mb, out = one(label, argv)
            walls[label].append(wall)
            rss[label] = max(rss[label], mb or 0)
            outs[label] = out
    return {k: {"median_s": statistics.median(v), "runs_s": [round(x, 3) for x in v], "rss_mb": round(rss[k], 1),
                "stdout": outs[k]} for k, v in walls.items()}


def ffmpeg_frame_count(argv):
    """Frames an ffmpeg rawvideo command writes (its output redirected to a pipe), for the sanity check."""
    argv = [a for a in argv]
    i = argv.index("/dev/null")
    argv[i] = "-"
    p = subprocess.run(argv, capture_output=True)
    return len(p.stdout) // (224 * 224 * 3)


def ffmpeg_scale(inp, vf="scale=224:224", pre=(), post=()):
    return ["ffmpeg", "-v", "error", *pre, "-i", inp, "-vf", vf, *post, "-pix_fmt", "rgb24", "-f", "rawvideo",
            "-y", "/dev/null"]


# ---------------------------------------------------------------- rows

def row_decode(args):
    clip = media.grainy_clip(os.path.join(OUT, "media"), f"dense-{args.seconds}s.mp4", args.seconds)
    vid = [BENCH, "decode", clip, "--size", "224x224"]
    peer = ffmpeg_scale(clip)
    r = alternate({"vidpipe": vid, "ffmpeg": peer}, args.runs)
    frames = json.loads(r["vidpipe"]["stdout"])["frames"]
    return [row("decode", f"dense decode + scale every frame to 224×224 RGB24, 1280×720 H.264 {args.seconds} s",
                "ffmpeg CLI", r, "vidpipe", "ffmpeg", vid, peer, "≥ 1.0×", 1.0,
                check=f"{frames} frames both sides" if frames == ffmpeg_frame_count(peer) else
                f"FRAME COUNT DIFFERS: vidpipe {frames}, ffmpeg {ffmpeg_frame_count(peer)}")]


def row_sampling(args):
    rows = []
    length = 2 * args.seconds
    for gop, exact_target, snap_target in ((50, 3.0, 10.0), (300, 1.3, 10.0)):
        clip = media.grainy_clip(os.path.join(OUT, "media"), f"sparse-{length}s-gop{gop}.mp4", length, gop=gop,
                                 fixed_gop=True)
        exact = [BENCH, "sample", clip, "--every", "10", "--size", "224x224"]
        snap = exact + ["--snap", "keyframe"]
        peer = ffmpeg_scale(clip, "fps=0.1,scale=224:224")
        r = alternate({"exact": exact, "snap": snap, "ffmpeg": peer}, args.runs)
        n = len(json.loads(r["exact"]["stdout"])["times"])
        check = f"{n} frames; ffmpeg {ffmpeg_frame_count(peer)}"
        rows.append(row(f"sample-gop{gop}", f"sparse sampling 1 frame / 10 s at exact times, {length} s 720p, GOP {gop}",
                        "ffmpeg CLI fps=0.1", r, "exact", "ffmpeg", exact, peer, f"≥ {exact_target}×", exact_target,
                        check=check))
        rows.append(row(f"snap-gop{gop}", f"sparse sampling with snap: keyframe, {length} s 720p, GOP {gop}",
                        "ffmpeg CLI fps=0.1", r, "snap", "ffmpeg", snap, peer, f"≥ {snap_target}×", snap_target,
                        check=check))
    return rows


def row_keyframes(args):
    length = 2 * args.seconds
    clip = media.grainy_clip(os.path.join(OUT, "media"), f"sparse-{length}s-gop50.mp4", length, gop=50,
                             fixed_gop=True)
    vid = [BENCH, "keyframes", clip, "--size", "224x224"]
    # -fps_mode passthrough: without it the rawvideo muxer's constant frame rate makes ffmpeg repeat
    # each keyframe to fill the gaps, which is more work than the row is about.
    peer = ffmpeg_scale(clip, pre=["-skip_frame", "nokey"], post=["-fps_mode", "passthrough"])
    r = alternate({"vidpipe": vid, "ffmpeg": peer}, args.runs)
    n = len(json.loads(r["vidpipe"]["stdout"])["times"])
    return [row("keyframes", f"keyframes-only sampling, {length} s 720p, GOP 50", "ffmpeg CLI -skip_frame nokey",
                r, "vidpipe", "ffmpeg", vid, peer, "≥ 1.0×", 1.0,
                check=f"{n} frames; ffmpeg {ffmpeg_frame_count(peer)}")]


def row_shots(args):
    corpus = media.shot_corpus(os.path.join(OUT, "corpus"))
    totals = {k: [0.0] * 1 for k in ("vp-content", "vp-adaptive", "sd-content", "sd-adaptive", "ff-decode")}
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in totals if k != "ff-decode"}
    per_clip = {}
    rss = {k: 0.0 for k in totals}
    for name, (clip, gt) in corpus.items():
        cmds = {"vp-content": [BENCH, "shots", clip, "--detector", "content"],
                "vp-adaptive": [BENCH, "shots", clip, "--detector", "adaptive"],
                "sd-content": [PY, os.path.join(HERE, "pysd_cuts.py"), clip, "content"],
                "sd-adaptive": [PY, os.path.join(HERE, "pysd_cuts.py"), clip, "adaptive"],
                # The floor for any detector that looks at every frame: decoding alone, no scaling, no output.
                "ff-decode": ["ffmpeg", "-v", "error", "-i", clip, "-f", "null", "-"]}
        r = alternate(cmds, args.runs)
        per_clip[name] = {}
        totals["ff-decode"][0] += r.pop("ff-decode")["median_s"]
        for k, v in r.items():
            out = json.loads(v["stdout"])
            frames = out["cuts"] if k.startswith("sd") else [round(t * gt["fps"]) for t in out["cuts"]]
            m = score.match(gt, frames)
            for c in ("tp", "fp", "fn"):
                counts[k][c] += m[c]
            totals[k][0] += v["median_s"]
            rss[k] = max(rss[k], v["rss_mb"])
            per_clip[name][k] = {"median_s": round(v["median_s"], 3), "cuts": frames, "missed": m["missed"],
                                 "false": m["false"]}
    f1 = {k: score.f1(c) for k, c in counts.items()}
    best_peer = max(f1["sd-content"], f1["sd-adaptive"])
    rows = []
    for mode in ("content", "adaptive"):
        vp, sd = totals[f"vp-{mode}"][0], totals[f"sd-{mode}"][0]
        ratio = sd / vp
        rows.append({"name": f"shots-{mode}", "work": f"shot detection ({mode}), corpus of {len(corpus)} clips "
                     f"({sum(g['frames'] for _, g in corpus.values())} frames 1280×720), F1 ±1 frame",
                     "peer": f"PySceneDetect 0.7.2 detect-{mode}", "vidpipe_s": round(vp, 3), "peer_s": round(sd, 3),
                     "ratio": round(ratio, 2), "target": "≥ 3× and F1 ≥ peer's best",
                     "met": ratio >= 3 and f1[f"vp-{mode}"] >= best_peer,
                     "extra": f"F1 vidpipe {f1[f'vp-{mode}']:.3f} ({counts[f'vp-{mode}']['tp']} TP, "
                              f"{counts[f'vp-{mode}']['fp']} FP, {counts[f'vp-{mode}']['fn']} FN) vs PySceneDetect "
                              f"{f1[f'sd-{mode}']:.3f} ({counts[f'sd-{mode}']['tp']} TP, {counts[f'sd-{mode}']['fp']} FP, "
                              f"{counts[f'sd-{mode}']['fn']} FN); peak RSS {rss[f'vp-{mode}']:.0f} vs {rss[f'sd-{mode}']:.0f} MB",
                     "commands": [f"{sh(cmds['vp-' + mode])}".replace(clip, "CLIP"),
                                  f"{sh(cmds['sd-' + mode])}".replace(clip, "CLIP")],
                     "date": now()})
    decode = totals["ff-decode"][0]
    vp = totals["vp-content"][0]
    rows.append({"name": "shots-vs-decode", "work": f"shot detection (content) against decoding alone, the same "
                 f"{len(corpus)} clips", "peer": "ffmpeg CLI decode only (-f null)", "vidpipe_s": round(vp, 3),
                 "peer_s": round(decode, 3), "ratio": round(decode / vp, 2), "target": "within 10 % (≥ 0.91×)",
                 "met": vp <= 1.1 * decode,
                 "extra": f"vidpipe {100 * (vp / decode - 1):.1f} % over the decode alone (adaptive: "
                          f"{100 * (totals['vp-adaptive'][0] / decode - 1):.1f} %); decode + 128×72 conversion + "
                          f"detection vs decode",
                 "commands": [f"{sh(cmds['vp-content'])}".replace(clip, "CLIP"),
                              f"{sh(cmds['ff-decode'])}".replace(clip, "CLIP")],
                 "date": now()})
    with open(os.path.join(OUT, "shots-detail.json"), "w") as f:
        json.dump(per_clip, f, indent=1)
    return rows


def row(name, work, peer_name, r, vid_key, peer_key, vid_cmd, peer_cmd, target, target_ratio, check=""):
    vp, pe = r[vid_key]["median_s"], r[peer_key]["median_s"]
    return {"name": name, "work": work, "peer": peer_name, "vidpipe_s": round(vp, 3), "peer_s": round(pe, 3),
            "ratio": round(pe / vp, 2), "target": target, "met": pe / vp >= target_ratio,
            "extra": f"{check}; peak RSS {r[vid_key]['rss_mb']:.0f} vs {r[peer_key]['rss_mb']:.0f} MB",
            "commands": [sh(vid_cmd).replace(ROOT + "/", ""), sh(peer_cmd).replace(ROOT + "/", "")], "date": now()}


ROWS = {"decode": row_decode, "sampling": row_sampling, "keyframes": row_keyframes, "shots": row_shots,
        "pipeline": lambda args: pipeline_rows.run(args), "noop": lambda args: pipeline_rows.run_noop(args),
        "shards": lambda args: pipeline_rows.run_shards(args),
        "speech": lambda args: speech_rows.run(args), "serve": lambda args: serve_rows.run(args),
        "model": lambda args: model_rows.run(args)}


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------- setup and doc

def ensure_peers():
    try:
        import scenedetect  # noqa: F401
        if scenedetect.__version__ == "0.7.2":
            return
    except ImportError:
        pass
    subprocess.run([PY, "-m", "pip", "install", "-q", "scenedetect==0.7.2", "opencv-python-headless"], check=True)


def build(products):
    for product in products:
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True)


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    ff = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return f"{os.cpu_count()} cores, {model}, {mem:.0f} GiB, {platform.platform()}; {ff.split(' Copyright')[0]}"


def kept_doc_rows(results):
    """Rows of the doc's current section that bench-out/results.json does not hold (e.g. a fresh checkout
    running `--only speech`): {"fast": [table lines], "extra": [table lines], "commands": [lines]}, so a
    partial run adds its rows instead of dropping the others. A row is matched by its work cell (tables)
    and by its name (commands)."""
    kept = {"fast": [], "extra": [], "commands": [], "header": ""}
    if not os.path.exists(DOC):
        return kept
    doc = open(DOC).read()
    if BEGIN not in doc or END not in doc:
        return kept
    works = {r["work"] for r in results["rows"].values()}
    names = set(results["rows"])
    for line in doc[doc.index(BEGIN):doc.index(END)].split("\n"):
        if line.startswith("| ") and not line.startswith("| work |"):
            cells = line.split(" | ")
            if cells[0][2:] not in works:
                kept["fast" if len(cells) == 8 else "extra"].append(line)
        m = re.match(r"- `([^`]+)`: `", line)
        if m and m.group(1) not in names:
            kept["commands"].append(line)
        if line.startswith("Machine: ") and not kept.get("previous"):
            kept["header"] = line
        if line.startswith(KEPT):
            kept["previous"] = line  # rows kept once already: keep saying where they came from
    return kept


def cell_s(r, side):
    wer = r.get(f"{side}_wer")
    return f"{r[f'{side}_s']:.3f}" + (f" (WER {wer:.1f} %)" if wer is not None else "")


def met_cell(met):
    return met if isinstance(met, str) else ("yes" if met else "**no**")


def write_doc(results, note):
    kept = kept_doc_rows(results)
    lines = [BEGIN, "", "## Performance (generated by `make bench`)", ""]
    lines += [f"Machine: {results['machine']}. Last run: {results.get('date', '?')} (each row also records its own date in bench-out/results.json). {note}".rstrip(), ""]
    if kept["fast"] or kept["extra"]:
        # Rows bench-out/results.json does not hold were kept from the previous section: say where they come from.
        if kept.get("previous"):
            lines += [kept["previous"], ""]
        else:
            old = kept["header"][len("Machine: "):].split(" (each row also")[0].replace(". Last run:", ", run", 1)
            rest = kept["header"].split("bench-out/results.json). ", 1)[1] if "results.json). " in kept["header"] else ""
            lines += [f"{KEPT}{old}. {rest}".rstrip(), ""]
    lines += ["Each row: a warm-up round, then the commands run in turn (vidpipe, peer, vidpipe, …); the "
              "figure is the median wall time of each command over the rounds; ratio = peer / vidpipe "
              "(> 1: vidpipe faster).", ""]
    lines += ["| work | peer | vidpipe s | peer s | ratio | target | met | notes |", "|---|---|---|---|---|---|---|---|"]
    lines += kept["fast"]
    for r in results["rows"].values():
        if "ratio" not in r:
            continue
        lines.append(f"| {r['work']} | {r['peer']} | {cell_s(r, 'vidpipe')} | {cell_s(r, 'peer')} | {r['ratio']:.2f}× | "
                     f"{r['target']} | {met_cell(r['met'])} | {r['extra']} |")
    extra = [r for r in results["rows"].values() if "ratio" not in r]
    if extra or kept["extra"]:
        lines += ["", "| work | measured | target | met | notes |", "|---|---|---|---|---|"]
        lines += kept["extra"]
        for r in extra:
            lines.append(f"| {r['work']} | {r['measured']} | {r['target']} | {r['met']} | {r['extra']} |")
    lines += ["", "Commands (CLIP / IN are the rendered inputs in bench-out/):", ""]
    lines += kept["commands"]
    for r in results["rows"].values():
        for c in r["commands"]:
            lines.append(f"- `{r['name']}`: `{c}`")
    lines += ["", f"Inputs: {results.get('inputs', '')}", "", END]
    section = "\n".join(lines)
    doc = open(DOC).read()
    if BEGIN in doc:
        doc = doc[:doc.index(BEGIN)] + section + doc[doc.index(END) + len(END):]
    else:
        marker = "## Model quality"
        doc = doc.replace(marker, section + "\n\n" + marker, 1)
    open(DOC, "w").write(doc)


def save(results, rows=()):
    """Merges into bench-out/results.json (another bench process may have written rows since) and
    returns the merged results."""
    merged = json.load(open(RESULTS)) if os.path.exists(RESULTS) else {"rows": {}}
    for key, value in results.items():
        if key != "rows":
            merged[key] = value
    for row in rows:
        merged["rows"][row["name"]] = row
    with open(RESULTS, "w") as f:
        json.dump(merged, f, indent=1)
    return merged


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 rounds and 30 s inputs: a smoke check")
    ap.add_argument("--only", action="append", choices=sorted(ROWS), help="run only these rows (repeatable)")
    ap.add_argument("--runs", type=int, help="measured rounds per row (default 5, --quick 3)")
    ap.add_argument("--no-build", action="store_true", help="use the release binaries already built")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    ap.add_argument("--long-minutes", type=int, default=20, help="length of the long clip of the memory row")
    ap.add_argument("--note", default="", help="a sentence for the doc (e.g. the machine was shared)")
    ap.add_argument("--doc-only", action="store_true", help="only rewrite docs/benchmarks.md from bench-out/results.json")
    args = ap.parse_args()
    if args.doc_only:
        write_doc(json.load(open(RESULTS)), args.note)
        return
    args.runs = args.runs or (3 if args.quick else 5)
    args.seconds = 30 if args.quick else 60
    for tool in ("ffmpeg", "/usr/bin/time"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is missing; run `make setup` (scripts/setup.sh) first")
    os.makedirs(OUT, exist_ok=True)
    if "shots" in (args.only or ROWS):  # PySceneDetect is the shots rows' peer only
        ensure_peers()
    if not args.no_build:
        build(["vidpipe-bench", "vidpipe"])
    results = json.load(open(RESULTS)) if os.path.exists(RESULTS) else {"rows": {}}
    results["machine"] = machine()
    results["inputs"] = ("testsrc2 with temporal grain (noise=alls=5:allf=t), libx264 veryfast CRF 23, 25 fps, "
                         "1280×720; sampling clips with fixed GOPs (-keyint_min = -g, -sc_threshold 0). "
                         "Shot corpus: scripts/bench/media.py SHOT_CLIPS (hard cuts between lavfi generators, "
                         "xfade fades/dissolves/fades through black and white, fast scroll/spin/zoom/pan without "
                         "cuts, 2-frame white flashes), truth in bench-out/corpus/*.json. Speech rows: Debian's "
                         "LibriVox sentences (pocketsphinx-testdata) three times with 1.5 s pauses, 16 kHz mono WAV "
                         "and the same as AAC 128k in a 320×240 testsrc MP4 (bench-out/speech/); WER against the "
                         "`transcription` file three times, both sides lower-cased, hyphens to spaces, punctuation "
                         "removed, mr → mister; faster-whisper reads the CTranslate2 folders unpacked from the wheels "
                         "vidpipe's models were converted from.")
    produced = []
    for name in args.only or list(ROWS):
        print(f"bench: {name}", flush=True)
        for r in ROWS[name](args):
            results["rows"][r["name"]] = r
            print(f"  {r['name']}: " + (f"vidpipe {r['vidpipe_s']:.3f} s, peer {r['peer_s']:.3f} s, ratio {r['ratio']:.2f}×"
                                        if "ratio" in r else r["measured"]) + f" — {r['extra']}", flush=True)
            produced.append(r)
            save(results, [r])
    results = save(results, produced)
    if not args.quick:
        results["date"] = now()
        save(results, produced)
    if not args.no_doc:
        write_doc(results, args.note + (" (--quick run: shorter inputs, 3 rounds)" if args.quick else ""))


if __name__ == "__main__":
    main()
