"""Bench inputs, rendered with the ffmpeg CLI into bench-out/ (cached: a file is re-rendered only when
its recipe changes). The shot corpus records its ground truth (cut frames, transition spans) in JSON
next to each clip."""
import hashlib
import json
import os
import subprocess

FPS = 25
SIZE = "1280x720"


def _render(path, args, recipe_extra=""):
    """Runs `ffmpeg args... path` unless path exists with the same recipe (stored in path + '.recipe')."""
    recipe = " ".join(args) + recipe_extra
    stamp = path + ".recipe"
    if os.path.exists(path) and os.path.exists(stamp) and open(stamp).read() == recipe:
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    print(f"  rendering {os.path.basename(path)}", flush=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, path], check=True)
    with open(stamp, "w") as f:
        f.write(recipe)
    return path


def grainy_clip(out_dir, name, seconds, gop=250, fixed_gop=False, audio=False):
    """testsrc2 at 1280x720 25 fps with temporal grain (so every frame carries real residual data, like
    camera footage), H.264 (libx264 veryfast, CRF 23, B-frames). With fixed_gop, keyframes exactly every
    `gop` frames (no scene-cut keyframes)."""
    video = f"testsrc2=s={SIZE}:r={FPS}:d={seconds},noise=alls=5:allf=t,format=yuv420p"
    args = ["-f", "lavfi", "-i", video]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=f=330:r=44100:d={seconds},volume=0.2",
                 "-c:a", "aac", "-b:a", "96k"]
    args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", str(gop)]
    if fixed_gop:
        args += ["-keyint_min", str(gop), "-sc_threshold", "0"]
    args += ["-movflags", "+faststart"]
    return _render(os.path.join(out_dir, name), args)


# Sources for the shot corpus: visually distinct lavfi generators, all moving or at least grainy.
SOURCES = {
    "testsrc2": f"testsrc2=s={SIZE}:r={FPS}",
    "mandelbrot": f"mandelbrot=s=640x360:r={FPS}:maxiter=256,scale=1280:720",
    "life": f"life=s=640x360:r={FPS}:mold=10:ratio=0.1:seed=7:life_color=#ff8000:death_color=#202040:mold_color=#304080,scale=1280:720:flags=neighbor",
    "cellauto": f"cellauto=s=640x360:r={FPS}:rule=110:random_seed=3,scale=1280:720:flags=neighbor",
    "smptehdbars": f"smptehdbars=s={SIZE}:r={FPS}",
    "gradients": f"gradients=s={SIZE}:r={FPS}:speed=0.01:c0=#203080:c1=#e0c040:seed=5",
    "rgbtestsrc": f"rgbtestsrc=s={SIZE}:r={FPS}",
    "sierpinski": f"sierpinski=s={SIZE}:r={FPS}:type=carpet:seed=2",
    "colorchart": f"colorchart=r={FPS},scale=1280:720",
    "yuvtestsrc": f"yuvtestsrc=s={SIZE}:r={FPS}",
    "pal75bars": f"pal75bars=s={SIZE}:r={FPS}",
    "gradients2": f"gradients=s={SIZE}:r={FPS}:speed=0.02:c0=#10a040:c1=#a01060:c2=#f0f0f0:nb_colors=3:seed=9",
    # fast motion, no cut inside: false-positive traps
    "scroll": f"testsrc2=s={SIZE}:r={FPS},scroll=h=0.04:v=0.01",
    "spin": f"smptehdbars=s={SIZE}:r={FPS},rotate=a=t*2.5:c=#303030",
    "zoom": f"mandelbrot=s=640x360:r={FPS}:maxiter=256:end_scale=0.00001:end_pts=200,scale=1280:720",
    "fastgrad": f"gradients=s={SIZE}:r={FPS}:speed=0.08:c0=#ff2020:c1=#2020ff:c2=#20ff20:nb_colors=3:seed=4",
    "pan": f"sierpinski=s=2560x720:r={FPS}:type=triangle:seed=6,crop=1280:720:x='mod(n*48,1280)':y=0",
}

# Each clip: segments (source, frames, how it starts: None = hard cut, or (xfade transition, frames)),
# and 2-frame white flashes at these frame numbers (not cuts).
SHOT_CLIPS = {
    "shots-hard": dict(segments=[
        ("testsrc2", 140, None), ("mandelbrot", 110, None), ("life", 130, None), ("smptehdbars", 90, None),
        ("cellauto", 125, None), ("gradients", 150, None), ("rgbtestsrc", 80, None), ("sierpinski", 120, None),
        ("colorchart", 105, None), ("yuvtestsrc", 95, None), ("pal75bars", 130, None), ("gradients2", 140, None),
        ("testsrc2", 110, None), ("life", 100, None)], flashes=[]),
    "shots-gradual": dict(segments=[
        ("testsrc2", 150, None), ("mandelbrot", 160, ("fade", 25)), ("smptehdbars", 140, ("dissolve", 20)),
        ("life", 150, ("fadeblack", 30)), ("gradients", 150, None), ("rgbtestsrc", 150, ("fade", 15)),
        ("cellauto", 160, ("fadewhite", 25)), ("sierpinski", 150, ("dissolve", 30)), ("colorchart", 140, None),
        ("yuvtestsrc", 150, ("fadeblack", 20)), ("gradients2", 140, ("fade", 40)), ("pal75bars", 130, None)],
        flashes=[]),
    "shots-motion": dict(segments=[
        ("scroll", 260, None), ("spin", 240, None), ("zoom", 220, ("dissolve", 20)), ("fastgrad", 260, None),
        ("pan", 250, None), ("scroll", 150, ("fadeblack", 25)), ("life", 200, None)], flashes=[130, 620, 1060]),
}


def shot_clip(out_dir, name, spec):
    """Renders one corpus clip and its ground truth: hard cuts (the first frame of the new shot) and
    gradual transitions (the frames they span; a cut placed anywhere in them, ±1 frame, counts)."""
    inputs, chain, truth = [], [], []
    total = 0
    for k, (source, frames, transition) in enumerate(spec["segments"]):
        inputs.append(f"{SOURCES[source]},fps={FPS},format=yuv420p,setsar=1,"
                      f"trim=end_frame={frames},setpts=PTS-STARTPTS,settb=1/{FPS}[s{k}]")
        if k == 0:
            prev = "s0"
            total = frames
            continue
        out = f"c{k}"
        if transition is None:
            chain.append(f"[{prev}][s{k}]concat=n=2:v=1:a=0,settb=1/{FPS}[{out}]")
            truth.append({"kind": "cut", "frame": total, "first": total, "last": total})
            total += frames
        else:
            kind, d = transition
            offset = total - d
            chain.append(f"[{prev}][s{k}]xfade=transition={kind}:duration={d / FPS}:offset={offset / FPS},"
                         f"settb=1/{FPS}[{out}]")
            truth.append({"kind": kind, "frame": offset + d // 2, "first": offset, "last": offset + d - 1})
            total += frames - d
        prev = out
    post = ["noise=alls=6:allf=t"]
    for f in spec["flashes"]:
        post.append(f"drawbox=c=white:t=fill:enable='between(n,{f},{f + 1})'")
    graph = ";".join(inputs + chain + [f"[{prev}]" + ",".join(post) + "[v]"])
    path = os.path.join(out_dir, name + ".mp4")
    _render(path, ["-filter_complex", graph, "-map", "[v]", "-frames:v", str(total), "-c:v", "libx264",
                   "-preset", "veryfast", "-crf", "22", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
    gt = {"fps": FPS, "frames": total, "transitions": truth,
          "not_cuts": [{"kind": "flash", "first": f, "last": f + 1} for f in spec["flashes"]]}
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(gt, f, indent=1)
    return path, gt


def shot_corpus(out_dir):
    return {name: shot_clip(out_dir, name, spec) for name, spec in SHOT_CLIPS.items()}
