"""multipart bodies: a boundary that occurs in the content is replaced before it can break
the body. A content hash cannot be made to collide on purpose, so the content digest is
pinned (only it; the replacement boundaries use the real hash) to force the collision."""

from __future__ import annotations

import email
import email.message
import email.policy
import hashlib
from types import SimpleNamespace
from typing import Any

import pytest

import wxcore.multipart as multipart
from wxcore.multipart import File, encode_multipart

PINNED = "0" * 64


class _PinnedDigest:
    def update(self, data: bytes) -> None:
        pass

    def hexdigest(self) -> str:
        return PINNED


def _sha256(data: bytes = b"") -> Any:
    return _PinnedDigest() if not data else hashlib.sha256(data)


def _parts(body: bytes, content_type: str) -> list[bytes]:
    message = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n"
                                       + body, policy=email.policy.HTTP)
    assert isinstance(message, email.message.EmailMessage)  # what a modern policy builds
    payloads = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        payloads.append(payload)
    return payloads


def test_a_boundary_found_in_a_file_or_a_field_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multipart, "hashlib", SimpleNamespace(sha256=_sha256))
    first_choice = "wxcore-" + PINNED[:32]
    content = b"\x89PNG..." + b"\r\n--" + first_choice.encode() + b"\r\n...rest"
    body, content_type = encode_multipart({"note": f"see {first_choice}"},
                                          {"media": File("a.png", content, "image/png")})
    boundary = content_type.split("boundary=")[1]
    assert boundary != first_choice and boundary.encode() not in content
    assert body.count(b"--" + boundary.encode()) == 3  # two parts and the closing line
    assert _parts(body, content_type) == [f"see {first_choice}".encode(), content]
