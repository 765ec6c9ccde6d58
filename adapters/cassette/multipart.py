"""Parsing the multipart/form-data bodies wxcore sends, so uploads are recorded as readable
parts (names, filenames, content digests) and matched by content, not by boundary."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import msgspec

__all__ = ["SentPart", "header", "parse_multipart"]

def header(headers: Iterable[tuple[str, str]] | Mapping[str, str], name: str) -> str:
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key.lower() == name:
            return value
    return ""


class SentPart(msgspec.Struct, frozen=True):
    name: str
    filename: str | None
    content_type: str | None
    content: bytes


def parse_multipart(body: bytes, content_type: str) -> list[SentPart] | None:
    """The parts of a multipart/form-data body, or None if it cannot be parsed."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        return None
    delimiter = b"--" + found.group(1).encode()
    parts: list[SentPart] = []
    for segment in body.split(delimiter)[1:]:
        if segment.startswith(b"--"):
            return parts
        segment = segment.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, sep, content = segment.partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if not name:
            return None
        parts.append(SentPart(name.group(1), filename.group(1) if filename else None,
                               headers.get("content-type"), content))
    return None

