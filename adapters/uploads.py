"""Uploads read from what a user has at hand, downloads written where the user wants them.

The pure core takes an upload as a :class:`~wxcore.multipart.File` and checks it (size,
format); reading a path or an open file, and writing a download, is I/O and lives here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, BinaryIO, Union

from wxcore.errors import UsageError
from wxcore.facade import deferred_module
from wxcore.multipart import File

if TYPE_CHECKING:
    from wxcore.miniprogram import images
else:  # imported when an image is first read
    images = deferred_module("wxcore.miniprogram.images")

__all__ = ["UploadInput", "DownloadTarget", "ImageInput", "read_upload", "read_image",
           "save_download", "in_memory"]

#: A file to upload: a path, the bytes, an open binary file, or a ready File.
UploadInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, File]
#: Where a download goes: a path, or an open binary file (a stream) to write to.
DownloadTarget = Union[str, "os.PathLike[str]", BinaryIO]
#: An image to upload: a path, the bytes, an open binary file, or a ready File.
ImageInput = UploadInput


def in_memory(value: object) -> bool:
    """Whether an upload is already in memory (no disk or stream to read: no worker thread)."""
    return value is None or isinstance(value, (File, bytes, bytearray, memoryview))


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


def read_image(img: ImageInput | None) -> File | None:
    """Read ``img`` (path, bytes or binary file) into a checked image :class:`File`."""
    if img is None:
        return None
    if isinstance(img, File):
        return images.image_file(img.content, img.filename)
    if isinstance(img, (bytes, bytearray, memoryview)):
        return images.image_file(bytes(img))
    if isinstance(img, (str, os.PathLike)):
        path = os.fspath(img)
        if not os.path.isfile(path):
            raise UsageError(f"img: no such file {path!r} (pass img_url= for a URL)")
        size = os.path.getsize(path)
        if size >= images.MAX_IMAGE_BYTES:
            raise UsageError(f"img must be smaller than 2 MB (got {size} bytes)")
        with open(path, "rb") as handle:
            return images.image_file(handle.read(), os.path.basename(path))
    read = getattr(img, "read", None)
    if read is None:
        raise UsageError(f"img must be a path, bytes or a binary file (got {type(img).__name__})")
    content = read(images.MAX_IMAGE_BYTES)
    if not isinstance(content, bytes):
        raise UsageError("img file must be opened in binary mode ('rb')")
    name = os.path.basename(str(getattr(img, "name", "") or ""))
    return images.image_file(content, name)


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
