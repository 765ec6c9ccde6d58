"""multipart/form-data bodies for WeChat's upload endpoints, built as plain bytes.

The body is built once, before anything is sent, so a retried upload re-sends exactly the
same bytes. The boundary is derived from the content (a hash), not from randomness, which
keeps the core pure and recorded fixtures stable; a boundary that happens to occur inside
the content is detected and changed.
"""

from __future__ import annotations

import hashlib

import msgspec

from wxcore.errors import UsageError

__all__ = ["File", "encode_multipart"]


class File(msgspec.Struct, frozen=True):
    """A file to upload: its name, bytes and media type."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"File({self.filename!r}, {len(self.content)} bytes, {self.content_type})"


def _quoted(value: str) -> str:
    if any(c in value for c in '"\r\n'):
        raise UsageError(f"field and file names may not contain quotes or newlines: {value!r}")
    return value


def encode_multipart(
    fields: dict[str, str] | None = None, files: dict[str, File] | None = None
) -> tuple[bytes, str]:
    """The body and the ``Content-Type`` header value for ``fields`` and ``files``."""
    fields = fields or {}
    files = files or {}
    digest = hashlib.sha256()
    for name, file in files.items():
        digest.update(name.encode())
        digest.update(file.content)
    for name, value in fields.items():
        digest.update(f"{name}={value}".encode())
    seed = digest.hexdigest()
    boundary = f"wxcore-{seed[:32]}"
    salt = 0
    while any(boundary.encode() in f.content for f in files.values()) or any(
        boundary in v for v in fields.values()
    ):
        salt += 1
        boundary = f"wxcore-{hashlib.sha256(f'{seed}:{salt}'.encode()).hexdigest()[:32]}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
            .encode() + value.encode() + b"\r\n"
        )
    for name, file in files.items():
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"{_quoted(name)}\"; "
            f"filename=\"{_quoted(file.filename)}\"\r\nContent-Type: {file.content_type}\r\n\r\n"
        )
        parts.append(head.encode() + file.content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
