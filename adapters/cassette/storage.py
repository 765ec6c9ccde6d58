"""Reading and writing cassette files: strict decoding with readable errors, and a
deterministic pretty-printed encoding (2-space indent, fixed key order) made for diffs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import msgspec

from wxcore.adapters.cassette.model import Cassette, CassetteFormatError

__all__ = ["loads_cassette", "load_cassette", "dumps_cassette", "save_cassette"]

_DECODER = msgspec.json.Decoder(Cassette)


def _position(data: bytes, message: str) -> str:
    """Add line and column to msgspec's "(byte N)" so people can find the problem."""
    found = re.search(r"\(byte (\d+)\)", message)
    if not found:
        return message
    offset = int(found.group(1))
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"{message} (line {line}, column {column})"


def loads_cassette(data: bytes | str, source: str = "<cassette>") -> Cassette:
    """Parse cassette JSON; :class:`CassetteFormatError` names ``source`` and the problem."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        return _DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise CassetteFormatError(f"{source}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise CassetteFormatError(f"{source}: {_position(raw, str(exc))}") from None


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Read and validate the cassette at ``path``."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CassetteFormatError(f"{file}: cannot read the cassette: {exc.strerror}") from None
    return loads_cassette(data, str(file))


def dumps_cassette(cassette: Cassette) -> bytes:
    """The cassette as pretty-printed UTF-8 JSON (2-space indent, fixed key order)."""
    return msgspec.json.format(msgspec.json.encode(cassette), indent=2) + b"\n"


def save_cassette(cassette: Cassette, path: str | os.PathLike[str]) -> Path:
    """Write ``cassette`` to ``path`` (parent folders created), atomically."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.tmp")
    tmp.write_bytes(dumps_cassette(cassette))
    tmp.replace(file)
    return file

