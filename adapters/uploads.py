"""Uploads read from what a user has at hand, downloads written where the user wants them.

The pure core takes an upload as a :class:`~wxcore.multipart.File` and checks it (size,
format); reading a path or an open file, and writing a download, is I/O and lives here.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Union

from wxcore.errors import UsageError
from wxcore.multipart import File

__all__ = ["UploadInput", "DownloadTarget", "read_upload", "save_download"]

#: A file to upload: a path, the bytes, an open binary file, or a ready File.
UploadInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, File]
#: Where a download goes: a path, or an open binary file (a stream) to write to.
DownloadTarget = Union[str, "os.PathLike[str]", BinaryIO]


def read_upload(value: UploadInput, *, limit: int, name: str = "media") -> File:
    """Read ``value`` into a :class:`File` (the core checks its size and format).

    At most ``limit + 1`` bytes are read from a file, enough for the core to report one that
    is too big without reading all of it.
    """
    if isinstance(value, File):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return File("", bytes(value))
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not os.path.isfile(path):
            raise UsageError(f"{name}: no such file {path!r}")
        with open(path, "rb") as handle:
            return File(os.path.basename(path), handle.read(limit + 1))
    read = getattr(value, "read", None)
    if read is None:
        raise UsageError(f"{name} must be a path, bytes or a binary file "
                         f"(got {type(value).__name__})")
    content = read(limit + 1)
    if not isinstance(content, bytes):
        raise UsageError(f"{name} file must be opened in binary mode ('rb')")
    return File(os.path.basename(str(getattr(value, "name", "") or "")), content)


def save_download(content: bytes, to: DownloadTarget) -> None:
    """Write downloaded bytes to a path, or to a binary file open for writing."""
    if isinstance(to, (str, os.PathLike)):
        with open(to, "wb") as handle:
            handle.write(content)
        return
    write = getattr(to, "write", None)
    if write is None:
        raise UsageError(f"to must be a path or a binary file open for writing "
                         f"(got {type(to).__name__})")
    write(content)
