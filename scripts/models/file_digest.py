"""The sha256 of a file, read in 1 MiB blocks: what manifests and wheel pins record."""

import hashlib


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
