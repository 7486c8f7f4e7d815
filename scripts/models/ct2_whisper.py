"""Reads a Whisper model saved by CTranslate2 (faster-whisper's `model.bin`, `config.json`,
`vocabulary.txt`) into numpy arrays and the tokenizer facts the ONNX writer needs.

CTranslate2's model.bin (binary version 6): int32 version, a length-prefixed spec name and an
int32 spec revision, int32 variable count, then per variable a length-prefixed name, int8 rank,
int32 dims, int8 dtype, uint32 byte count and the raw little-endian bytes; then int32 alias count
and (alias, target) name pairs. Strings are uint16 length + bytes including a trailing NUL.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field

import numpy as np

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


class ModelFormatError(Exception):
    """The folder is not a CTranslate2 Whisper model this converter understands."""


def read_model_bin(path: str) -> dict[str, np.ndarray]:
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise ModelFormatError(f"{path}: truncated at byte {pos} (file is {len(data)} bytes)")
        values = struct.unpack_from(fmt, data, pos)
        pos += size
        return values

    def text() -> str:
        nonlocal pos
        (n,) = take("<H")
        raw = data[pos:pos + n]
        if len(raw) != n:
            raise ModelFormatError(f"{path}: truncated inside a name at byte {pos}")
        pos += n
        return raw.rstrip(b"\0").decode("utf-8", errors="replace")

    (version,) = take("<i")
    if version not in (5, 6):
        raise ModelFormatError(f"{path}: CTranslate2 binary version {version}, expected 5 or 6 "
                               "(is this a faster-whisper model.bin?)")
    spec = text()
    if spec != "WhisperSpec":
        raise ModelFormatError(f"{path}: a CTranslate2 '{spec}' model, not a Whisper model")
    take("<i")  # spec revision
    (count,) = take("<i")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = text()
        (rank,) = take("<b")
        dims = take(f"<{rank}i") if rank else ()
        (dtype_code,) = take("<b")
        (nbytes,) = take("<I")
        dtype = _DTYPES.get(dtype_code)
        if dtype is None:
            raise ModelFormatError(f"{path}: variable {name} has unknown dtype code {dtype_code}")
        if pos + nbytes > len(data):
            raise ModelFormatError(f"{path}: truncated inside {name} ({nbytes} bytes at {pos}, file is {len(data)})")
        itemsize = np.dtype(dtype).itemsize
        array = np.frombuffer(data, dtype=dtype, count=nbytes // itemsize, offset=pos)
        expected = int(np.prod(dims)) if dims else 1
        if array.size != expected:
            raise ModelFormatError(f"{path}: {name} holds {array.size} values for shape {dims}")
        variables[name] = array.reshape(dims)
        pos += nbytes
    (aliases,) = take("<i")
    for _ in range(aliases):
        alias, target = text(), text()
        if target in variables:
            variables[alias] = variables[target]
    return variables


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte <-> printable character map used by byte-level BPE vocabularies."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


_UNICODE_TO_BYTE = {c: b for b, c in _bytes_to_unicode().items()}


def token_bytes(piece: str) -> bytes | None:
    """The bytes of a byte-level BPE vocabulary entry, or None for entries that are not (specials)."""
    try:
        return bytes(_UNICODE_TO_BYTE[c] for c in piece)
    except KeyError:
        return None


@dataclass
class WhisperDims:
    n_mels: int
    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_audio_layer: int
    n_vocab: int
    n_text_ctx: int
    n_text_state: int
    n_text_head: int
    n_text_layer: int


@dataclass
class WhisperTokens:
    vocabulary: list[str]
    eot: int
    sot: int
    translate: int
    transcribe: int
    sot_lm: int
    sot_prev: int
    no_speech: int
    no_timestamps: int
    language_tokens: list[int]
    language_codes: list[str]
    multilingual: bool
    non_speech: list[int] = field(default_factory=list)

    @property
    def sot_sequence(self) -> list[int]:
        if self.multilingual:
            return [self.sot, self.language_tokens[self.language_codes.index("en")], self.transcribe]
        return [self.sot]


@dataclass
class WhisperModel:
    weights: dict[str, np.ndarray]
    dims: WhisperDims
    tokens: WhisperTokens
    alignment_heads: list[tuple[int, int]]
    suppress_ids: list[int]


def _count_layers(weights: dict[str, np.ndarray], prefix: str) -> int:
    n = 0
    while f"{prefix}/layer_{n}/ffn/linear_0/weight" in weights:
        n += 1
    return n


def load(folder: str) -> WhisperModel:
    for name in ("model.bin", "config.json", "vocabulary.txt"):
        if not os.path.isfile(os.path.join(folder, name)):
            raise ModelFormatError(f"{folder}: missing {name} (a faster-whisper model folder has model.bin, "
                                   "config.json and vocabulary.txt)")
    weights = read_model_bin(os.path.join(folder, "model.bin"))
    quantized = sorted(name for name in weights if name.endswith("weight_scale"))
    if quantized:
        raise ModelFormatError(f"{folder}/model.bin is an int8-quantized CTranslate2 model ({quantized[0]}); "
                               "convert from a float16 or float32 faster-whisper model")
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise ModelFormatError(f"{folder}/config.json is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise ModelFormatError(f"{folder}/config.json is not a JSON object")
    try:
        with open(os.path.join(folder, "vocabulary.txt"), encoding="utf-8") as f:
            vocabulary = f.read().split("\n")
    except UnicodeDecodeError as error:
        raise ModelFormatError(f"{folder}/vocabulary.txt is not UTF-8 ({error})") from None
    if vocabulary and vocabulary[-1] == "":
        vocabulary.pop()

    try:
        embeddings = weights["decoder/embeddings/weight"]
        conv1 = weights["encoder/conv1/weight"]
        dims = WhisperDims(
            n_mels=int(conv1.shape[1]),
            n_audio_ctx=int(weights["encoder/position_encodings/encodings"].shape[0]),
            n_audio_state=int(conv1.shape[0]),
            n_audio_head=int(weights["encoder/num_heads"]),
            n_audio_layer=_count_layers(weights, "encoder"),
            n_vocab=int(embeddings.shape[0]),
            n_text_ctx=int(weights["decoder/position_encodings/encodings"].shape[0]),
            n_text_state=int(embeddings.shape[1]),
            n_text_head=int(weights["decoder/num_heads"]),
            n_text_layer=_count_layers(weights, "decoder"),
        )
    except KeyError as missing:
        raise ModelFormatError(f"{folder}/model.bin: no variable {missing}; not a Whisper model") from None
    if len(vocabulary) != dims.n_vocab:
        raise ModelFormatError(f"{folder}/vocabulary.txt has {len(vocabulary)} entries, the model {dims.n_vocab}")

    index = {piece: i for i, piece in enumerate(vocabulary)}

    def special(*names: str) -> int:
        for name in names:
            if name in index:
                return index[name]
        raise ModelFormatError(f"{folder}/vocabulary.txt has no {names[0]}")

    sot = special("<|startoftranscript|>")
    translate = special("<|translate|>")
    languages = [i for i in range(sot + 1, translate)]
    codes = [vocabulary[i][2:-2] for i in languages]
    tokens = WhisperTokens(
        vocabulary=vocabulary,
        eot=special("<|endoftext|>"),
        sot=sot,
        translate=translate,
        transcribe=special("<|transcribe|>"),
        sot_lm=special("<|startoflm|>"),
        sot_prev=special("<|startofprev|>"),
        no_speech=special("<|nospeech|>", "<|nocaptions|>"),
        no_timestamps=special("<|notimestamps|>"),
        language_tokens=languages,
        language_codes=codes,
        multilingual=dims.n_vocab >= 51865,
    )
    heads = [(int(a), int(b)) for a, b in config.get("alignment_heads", [])]
    if not heads:  # OpenAI's default: every head of the second half of the decoder layers
        heads = [(layer, head) for layer in range(dims.n_text_layer // 2, dims.n_text_layer)
                 for head in range(dims.n_text_head)]
    return WhisperModel(weights=weights, dims=dims, tokens=tokens, alignment_heads=heads,
                        suppress_ids=[int(i) for i in config.get("suppress_ids", [])])
