"""Signatures over pushed requests, URL verification and replay protection (pure).

WeChat signs every push with ``sha1("".join(sorted([token, timestamp, nonce])))``; in safe
mode the body is covered too, by ``msg_signature`` = the same formula over
``[token, timestamp, nonce, Encrypt]``. Comparisons are constant-time
(:func:`hmac.compare_digest`) so a forger learns nothing from response timing.

The clock is an argument (``now``, Unix seconds): this module never reads the time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

from wxcore.messages.errors import NonceReusedError, SignatureError, TimestampError

__all__ = [
    "DEFAULT_TIMESTAMP_WINDOW",
    "sha1_signature",
    "check_signature",
    "check_msg_signature",
    "check_timestamp",
    "verify_url",
    "verify_request",
]

#: Seconds a push's timestamp may differ from ``now`` (either way) by default.
DEFAULT_TIMESTAMP_WINDOW = 300


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 hex of the parts sorted as strings and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8", "surrogatepass")).hexdigest()


def _equal(expected: str, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.lower().encode("utf-8", "surrogatepass"))


def check_signature(token: str, signature: str | None, timestamp: str, nonce: str) -> None:
    """Raise :class:`SignatureError` unless ``signature`` signs (token, timestamp, nonce)."""
    if not _equal(sha1_signature(token, timestamp, nonce), signature):
        raise SignatureError("signature mismatch: the request was not signed with our token")


def check_msg_signature(
    token: str, msg_signature: str | None, timestamp: str, nonce: str, encrypt: str
) -> None:
    """Raise :class:`SignatureError` unless ``msg_signature`` signs the encrypted body."""
    if not _equal(sha1_signature(token, timestamp, nonce, encrypt), msg_signature):
        raise SignatureError("msg_signature mismatch: the encrypted body was not signed with our token")


def check_timestamp(timestamp: str | None, now: float, window: float | None) -> None:
    """Raise :class:`TimestampError` unless ``timestamp`` is an integer within ``window`` of ``now``.

    ``window=None`` turns the freshness check off (the format is still checked).
    """
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise TimestampError("timestamp missing or not a Unix time in seconds")
    if window is not None and abs(now - int(timestamp)) > window:
        raise TimestampError(
            f"timestamp {timestamp} is more than {window:g}s away from now: stale or replayed"
        )


def verify_url(
    token: str,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    echostr: str | None,
    *,
    now: float | None = None,
    window: float | None = DEFAULT_TIMESTAMP_WINDOW,
) -> str:
    """Check WeChat's server-URL verification GET and return the ``echostr`` to answer with.

    The timestamp window is applied only when ``now`` is given.
    """
    if timestamp is None or nonce is None or echostr is None:
        raise SignatureError("URL verification needs signature, timestamp, nonce and echostr")
    if now is not None:
        check_timestamp(timestamp, now, window)
    check_signature(token, signature, timestamp, nonce)
    return echostr


def verify_request(
    token: str,
    query: Mapping[str, str],
    *,
    encrypt: str | None = None,
    now: float | None = None,
    window: float | None = DEFAULT_TIMESTAMP_WINDOW,
    nonce_seen: Callable[[str], bool] | None = None,
) -> None:
    """Check a push's query parameters: timestamp window, signature, then the nonce hook.

    With ``encrypt`` (the body's ``Encrypt`` value) the ``msg_signature`` is checked, which
    covers the body; otherwise the plain ``signature``. ``nonce_seen(nonce)`` returns True
    when the nonce was used before; it is called only after the signature passed, so a
    forger cannot fill the nonce store.
    """
    timestamp = query.get("timestamp") or ""
    nonce = query.get("nonce")
    if nonce is None:
        raise SignatureError("request has no nonce")
    if now is not None:
        check_timestamp(timestamp, now, window)
    elif not timestamp:
        raise TimestampError("request has no timestamp")
    if encrypt is None:
        check_signature(token, query.get("signature"), timestamp, nonce)
    else:
        check_msg_signature(token, query.get("msg_signature"), timestamp, nonce, encrypt)
    if nonce_seen is not None and nonce_seen(nonce):
        raise NonceReusedError("nonce already used: the request is a replay")
