"""The whole receive path as one pure function: verify, decrypt, parse, route, reply.

:meth:`PushPipeline.handle` takes the request's query parameters and body and returns the
response body, so any web framework (or none) can serve WeChat pushes with a few lines;
``wxcore.adapters.message_server`` wraps it with a clock, ``secrets`` randomness,
de-duplication stores and a WSGI app. Steps, in order:

1. ``echostr`` in the query (the server-URL verification GET): check ``signature`` and
   answer the ``echostr``.
2. Parse the body safely (XML, or JSON for Mini Program pushes).
3. Safe mode (``encrypt_type=aes``, or an ``Encrypt`` field with ``msg_signature``): check
   the timestamp window, ``msg_signature`` over ``Encrypt`` and the nonce hook, then decrypt
   and parse the inner message. Compatible mode (兼容模式) without a configured key uses the
   plaintext fields beside ``Encrypt``, checked with the plain ``signature``. Plain mode:
   the plain ``signature`` (refused when ``require_encryption`` is set).
4. De-duplicate through ``seen.add(dedup_key(message))`` (WeChat re-sends unanswered
   pushes up to three times); a repeat is answered ``success`` without routing. If the
   handler raises, the key is discarded again so WeChat's retry is processed.
5. Route to a handler and render its reply, encrypted when the request was. Component
   pushes and "no reply" are answered with plain ``success``.

The time (``now``) and random bytes (``random_bytes(n)``) are arguments: nothing here reads a
clock or draws randomness itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import msgspec

from wxcore.errors import UsageError
from wxcore.messages.crypto import RANDOM_SIZE, MessageCrypto
from wxcore.messages.errors import (
    EncryptionRequiredError,
    NotConfiguredError,
    XMLError,
    XMLLimitError,
)
from wxcore.messages.models import (
    ComponentPush,
    GenericMessage,
    Push,
    decode_body,
    dedup_key,
    is_json,
    parse_message,
)
from wxcore.messages.replies import SUCCESS, Reply, coerce_reply, render_reply, render_reply_json
from wxcore.messages.router import Router
from wxcore.messages.signature import DEFAULT_TIMESTAMP_WINDOW, verify_request, verify_url
from wxcore.messages.xml import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH

__all__ = ["SeenStore", "PushResult", "PushPipeline", "CONTENT_TYPES"]

CONTENT_TYPES = {
    "text": "text/plain; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "json": "application/json",
}
_SUCCESS_BODY = SUCCESS.encode()
_NONCE_SIZE = 8

# Fast path for the canonical safe-mode envelope, ``<xml><ToUserName|AppId>CDATA</...>
# <Encrypt>CDATA</Encrypt></xml>``: anything this matches is well-formed XML with exactly
# these two values, so it can skip the general parser. Everything else takes that parser.
_ENVELOPE = re.compile(
    rb"<xml>[ \t\r\n]*<(ToUserName|AppId)><!\[CDATA\[([^\]<&]*)\]\]></\1>[ \t\r\n]*"
    rb"<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]*)\]\]></Encrypt>[ \t\r\n]*</xml>[ \t\r\n]*"
)


def _envelope_fields(body: bytes, max_bytes: int, max_depth: int) -> dict[str, Any]:
    match = _ENVELOPE.fullmatch(body) if body[:5] == b"<xml>" else None
    if match is not None:
        try:
            return {match[1].decode(): match[2].decode(), "Encrypt": match[3].decode()}
        except UnicodeDecodeError:
            pass  # let the general parser report it
    return decode_body(body, max_bytes=max_bytes, max_depth=max_depth)


class SeenStore(Protocol):
    """Remembers push keys for a while (WeChat's retries span well under a minute)."""

    def add(self, key: str) -> bool:
        """Record ``key``; True when it was new, False when it is a repeat."""

    def discard(self, key: str) -> None:
        """Forget ``key`` (its handler failed, so a retry must be processed)."""


class PushResult(msgspec.Struct, frozen=True, kw_only=True):
    """What to answer: ``body`` with ``content_type`` (HTTP 200), and what happened."""

    body: bytes
    content_type: str
    message: Any = None  # the parsed push (None for URL verification)
    encrypted: bool = False  # the request was in safe mode (and so is a non-empty reply)
    duplicate: bool = False  # a re-send already seen: answered without routing


class PushPipeline:
    """Receives pushes for one account (or one component): token, optional key, a router.

    ``encoding_aes_key`` and ``appid`` enable safe mode (both or neither); ``appid`` is the
    component appid for Open Platform pushes. ``timestamp_window`` (seconds, ``None`` to
    disable) bounds how old or new a push's timestamp may be.
    """

    __slots__ = ("router", "token", "crypto", "timestamp_window", "require_encryption",
                 "max_bytes", "max_depth")

    def __init__(
        self,
        router: Router,
        *,
        token: str,
        encoding_aes_key: str | None = None,
        appid: str | None = None,
        timestamp_window: float | None = DEFAULT_TIMESTAMP_WINDOW,
        require_encryption: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        if not token:
            raise UsageError("token is required")
        if (encoding_aes_key is None) != (appid is None):
            raise UsageError("encoding_aes_key and appid go together (safe mode needs both)")
        if require_encryption and encoding_aes_key is None:
            raise UsageError("require_encryption needs encoding_aes_key and appid")
        self.router = router
        self.token = token
        self.crypto = (
            MessageCrypto(token, encoding_aes_key, appid)
            if encoding_aes_key is not None and appid is not None else None
        )
        self.timestamp_window = timestamp_window
        self.require_encryption = require_encryption
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    def __repr__(self) -> str:
        return f"PushPipeline(crypto={self.crypto!r}, timestamp_window={self.timestamp_window!r})"

    def handle(
        self,
        query: Mapping[str, str],
        body: bytes,
        *,
        now: float,
        random_bytes: Callable[[int], bytes],
        seen: SeenStore | None = None,
        nonce_seen: Callable[[str], bool] | None = None,
    ) -> PushResult:
        """Answer one request from WeChat (see the module doc for the steps).

        Raises a :class:`wxcore.errors.MessageError` subclass when the request fails a check;
        a handler's own exception propagates unchanged.
        """
        echostr = query.get("echostr")
        if echostr is not None and not body:
            answer = verify_url(self.token, query.get("signature"), query.get("timestamp"),
                                query.get("nonce"), echostr, now=now,
                                window=self.timestamp_window)
            return PushResult(body=answer.encode(), content_type=CONTENT_TYPES["text"])
        if len(body) > self.max_bytes:
            raise XMLLimitError(f"body of {len(body)} bytes exceeds the {self.max_bytes}-byte limit")
        fields = _envelope_fields(body, self.max_bytes, self.max_depth)
        window = self.timestamp_window
        encrypt = fields.get("Encrypt")
        encrypted = query.get("encrypt_type") == "aes" or (
            encrypt is not None and "msg_signature" in query
        )
        if encrypted:
            if type(encrypt) is not str or not encrypt:
                raise XMLError("safe-mode push without an Encrypt field")
            crypto = self.crypto
            if crypto is None:
                if "MsgType" not in fields and "InfoType" not in fields:
                    raise NotConfiguredError(
                        "encrypted push, but no EncodingAESKey/appid is configured")
                # compatible mode without a key: the plaintext fields, plain signature
                verify_request(self.token, query, now=now, window=window, nonce_seen=nonce_seen)
                encrypted = False
                inner = {k: v for k, v in fields.items() if k != "Encrypt"}
                json_body = is_json(body)
            else:
                verify_request(self.token, query, encrypt=encrypt, now=now, window=window,
                               nonce_seen=nonce_seen)
                plaintext = crypto.decrypt(encrypt)
                inner = decode_body(plaintext, max_bytes=self.max_bytes, max_depth=self.max_depth)
                json_body = is_json(plaintext)
        else:
            if self.require_encryption:
                raise EncryptionRequiredError("plaintext push refused: safe mode is required")
            verify_request(self.token, query, now=now, window=window, nonce_seen=nonce_seen)
            inner = fields
            json_body = is_json(body)

        message = parse_message(inner)
        key = None
        if seen is not None:
            key = dedup_key(message)
            if not seen.add(key):
                return PushResult(body=_SUCCESS_BODY, content_type=CONTENT_TYPES["text"],
                                  message=message, encrypted=encrypted, duplicate=True)
        try:
            reply = coerce_reply(self.router.dispatch(message))
            if reply is None or _is_component(message):
                return PushResult(body=_SUCCESS_BODY, content_type=CONTENT_TYPES["text"],
                                  message=message, encrypted=encrypted)
            text = self._render(reply, message, json_body, encrypted, int(now), random_bytes)
        except BaseException:
            # the push was not answered: forget it so WeChat's retry is processed again
            if seen is not None and key is not None:
                seen.discard(key)
            raise
        return PushResult(body=text.encode(), content_type=CONTENT_TYPES["json" if json_body else "xml"],
                          message=message, encrypted=encrypted)

    def _render(self, reply: Reply, message: Any, json_body: bool, encrypted: bool, created: int,
                random_bytes: Callable[[int], bytes]) -> str:
        render = render_reply_json if json_body else render_reply
        text = render(reply, to_user=message.FromUserName, from_user=message.ToUserName,
                      create_time=created)
        if encrypted and self.crypto is not None:
            entropy = random_bytes(RANDOM_SIZE + _NONCE_SIZE)
            envelope = self.crypto.encrypt_reply_json if json_body else self.crypto.encrypt_reply
            text = envelope(text, timestamp=str(created), nonce=entropy[RANDOM_SIZE:].hex(),
                            random_bytes=entropy[:RANDOM_SIZE])
        return text


def _is_component(message: Push) -> bool:
    return isinstance(message, ComponentPush) or (
        isinstance(message, GenericMessage) and bool(message.InfoType) and not message.MsgType
    )
