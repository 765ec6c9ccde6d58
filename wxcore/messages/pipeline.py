"""The whole receive path, written once: verify, decrypt, parse, de-duplicate, route, reply.

:meth:`PushPipeline.steps` is that path as a generator of effects: it does every pure step
itself and *yields* the few it cannot do (ask a nonce store, remember or forget a push key,
run the routed handler), to be *sent* the outcome -- the shape of :mod:`wxcore.policy`. Two
executors drive the same generator: :meth:`PushPipeline.handle` (sync: the stores and
handlers are plain callables; any web framework, or none, serves pushes with it) and the
async server in ``wxcore.adapters.async_message_server`` (awaits async stores and handlers).
``wxcore.adapters.message_server`` adds a clock, ``secrets`` randomness, de-duplication
stores and a WSGI app. Whatever can be checked before parsing is checked
first, so a forged request costs no parse. Steps, in order:

1. ``echostr`` in the query (the server-URL verification GET): check ``signature`` and
   answer the ``echostr``.
2. The body size (``max_bytes``), before anything else.
3. The mode, from the query alone. WeChat adds *both* ``encrypt_type=aes`` and
   ``msg_signature`` in safe and compatible mode; without ``encrypt_type`` the body is
   plaintext (https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.html).
   A request with ``msg_signature`` but no ``encrypt_type=aes`` is not one WeChat sends:
   refused with :class:`EncryptionModeError` rather than guessed either way.
4. Safe mode: find ``Encrypt`` with a bounded scan (no parse), check the timestamp window,
   ``msg_signature`` over it and the nonce hook; only then parse the envelope (checking it
   holds that same ``Encrypt``), decrypt and parse the inner message. Compatible mode
   (兼容模式) without a configured key uses the plaintext fields beside ``Encrypt``.
   Plain mode: the plain ``signature`` covers only token, timestamp and nonce, so it is
   checked before the body is parsed (refused when ``require_encryption`` is set).
5. De-duplicate through ``seen.add(dedup_key(message))`` (the :class:`Remember` effect) (WeChat re-sends unanswered
   pushes up to three times); a repeat is answered ``success`` without routing. If the
   handler raises, the key is discarded again so WeChat's retry is processed. If the store
   itself fails, ``dedup_failure`` decides: ``"open"`` handles the push anyway (a retry may
   then run twice; ``PushResult.dedup_failed`` says so), ``"closed"`` raises
   :class:`DedupUnavailableError` (answer 503: WeChat retries later).
6. Route to a handler and render its reply, encrypted when the request was. Component
   pushes and "no reply" are answered with plain ``success``.

The time (``now``) and random bytes (``random_bytes(n)``) are arguments: nothing here reads a
clock or draws randomness itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, Literal, Protocol, Union

import msgspec

from wxcore.messages.body import decode_body, envelope_encrypt, find_encrypt, is_json
from wxcore.messages.crypto import RANDOM_SIZE
from wxcore.messages.errors import (
    DedupUnavailableError,
    EncryptionModeError,
    EncryptionRequiredError,
    NonceReusedError,
    NotConfiguredError,
    XMLError,
)
from wxcore.messages.models import ComponentPush, GenericMessage, Push, dedup_key, parse_message
from wxcore.messages.replies import SUCCESS, Reply, coerce_reply, render_reply, render_reply_json
from wxcore.messages.router import Handler, Router, refuse_awaitable
from wxcore.messages.settings import PushSettings
from wxcore.messages.signature import verify_request, verify_url
from wxcore.messages.xml import check_size

__all__ = [
    "SeenStore", "PushResult", "PushPipeline", "DedupFailure", "CONTENT_TYPES",
    "CheckNonce", "Remember", "Forget", "CallHandler", "PushEffect", "PushSteps",
]

CONTENT_TYPES = {
    "text": "text/plain; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "json": "application/json",
}
_SUCCESS_BODY = SUCCESS.encode()
_NONCE_SIZE = 8

#: What to do when the de-duplication store fails: handle anyway, or refuse (503).
DedupFailure = Literal["open", "closed"]


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
    dedup_failed: bool = False  # the store failed and the push was handled anyway ("open")


class CheckNonce(msgspec.Struct, frozen=True):
    """Was this nonce used before? (answer: ``True`` for a replay). Only with a nonce store."""

    nonce: str


class Remember(msgspec.Struct, frozen=True):
    """Record this push's de-duplication key (answer: ``True`` when it was new)."""

    key: str


class Forget(msgspec.Struct, frozen=True):
    """Forget this key: the push was not answered, so WeChat's retry must run (answer: None)."""

    key: str


class CallHandler(msgspec.Struct, frozen=True):
    """Run the routed handler on the message (answer: what it returned, a ReplyLike)."""

    handler: Handler
    message: Push


PushEffect = Union[CheckNonce, Remember, Forget, CallHandler]
#: The generator :meth:`PushPipeline.steps` returns.
PushSteps = Generator[PushEffect, Any, PushResult]


class PushPipeline:
    """Receives pushes for one account (or one component): its settings and a router.

    The settings (token, optional key and appid, window, limits) are one
    :class:`~wxcore.messages.settings.PushSettings` value.
    """

    __slots__ = ("router", "settings", "crypto")

    def __init__(self, router: Router, settings: PushSettings) -> None:
        self.router = router
        self.settings = settings
        self.crypto = settings.crypto()

    def __repr__(self) -> str:
        return f"PushPipeline({self.settings!r})"

    def handle(
        self,
        query: Mapping[str, str],
        body: bytes,
        *,
        now: float,
        random_bytes: Callable[[int], bytes],
        seen: SeenStore | None = None,
        nonce_seen: Callable[[str], bool] | None = None,
        dedup_failure: DedupFailure = "open",
    ) -> PushResult:
        """Answer one request from WeChat (see the module doc for the steps), synchronously.

        ``seen`` de-duplicates pushes; ``nonce_seen(nonce)`` returns True for a nonce used
        before. Raises a :class:`wxcore.errors.MessageError` subclass when the request fails
        a check, :class:`DedupUnavailableError` when the store fails and
        ``dedup_failure="closed"``, :class:`~wxcore.errors.UsageError` when the handler is
        a coroutine function (serve those with the async server); a handler's own exception
        propagates unchanged.
        """
        steps = self.steps(query, body, now=now, random_bytes=random_bytes,
                           dedup=seen is not None, nonce_check=nonce_seen is not None,
                           dedup_failure=dedup_failure)
        answer: Any = None
        failure: BaseException | None = None
        while True:
            try:
                effect = steps.send(answer) if failure is None else steps.throw(failure)
            except StopIteration as done:
                result: PushResult = done.value
                return result
            failure = None
            try:
                if type(effect) is CallHandler:
                    answer = effect.handler(effect.message)
                    if (answer is not None and type(answer) is not str
                            and not isinstance(answer, Reply) and isinstance(answer, Awaitable)):
                        refuse_awaitable(answer, effect.handler)
                elif type(effect) is Remember:
                    assert seen is not None  # Remember and Forget are yielded only with dedup
                    answer = seen.add(effect.key)
                elif type(effect) is Forget:
                    assert seen is not None
                    seen.discard(effect.key)
                    answer = None
                elif type(effect) is CheckNonce:
                    assert nonce_seen is not None  # yielded only with nonce_check
                    answer = nonce_seen(effect.nonce)
            except BaseException as exc:  # handed to the steps, which decide what it means
                failure = exc

    def steps(
        self,
        query: Mapping[str, str],
        body: bytes,
        *,
        now: float,
        random_bytes: Callable[[int], bytes],
        dedup: bool = False,
        nonce_check: bool = False,
        dedup_failure: DedupFailure = "open",
    ) -> PushSteps:
        """The receive path as a generator of effects, for executors (see the module doc).

        ``dedup`` and ``nonce_check`` say whether the executor has a de-duplication store
        and a nonce store (without them, no :class:`Remember`/:class:`Forget` or
        :class:`CheckNonce` is yielded). An effect's failure is thrown back in: a store's
        error at :class:`Remember` means what ``dedup_failure`` says, a handler's error
        forgets the push and propagates.
        """
        settings = self.settings
        echostr = query.get("echostr")
        if echostr is not None and not body:
            answer = verify_url(settings.token, query.get("signature"), query.get("timestamp"),
                                query.get("nonce"), echostr, now=now,
                                window=settings.timestamp_window)
            return PushResult(body=answer.encode(), content_type=CONTENT_TYPES["text"])
        check_size(body, settings.max_bytes)
        safe = query.get("encrypt_type") == "aes"
        if not safe and "msg_signature" in query:
            raise EncryptionModeError("msg_signature without encrypt_type=aes: not a WeChat push")
        canonical = encrypt = None
        if safe:  # find Encrypt with a bounded scan (no parse): it is what msg_signature covers
            canonical = envelope_encrypt(body)
            encrypt = canonical[2] if canonical is not None else find_encrypt(body)
        elif settings.require_encryption:
            raise EncryptionRequiredError("plaintext push refused: safe mode is required")
        verify_request(settings.token, query, encrypt=encrypt, now=now,
                       window=settings.timestamp_window)
        # only after the signature passed, so a forger cannot fill the nonce store
        if nonce_check and (yield CheckNonce(query["nonce"])):
            raise NonceReusedError("nonce already used: the request is a replay")
        if encrypt is not None:
            inner, json_body, encrypted = self._open_safe(body, canonical, encrypt)
        else:
            inner = self._decode(body)
            if "Encrypt" in inner and "MsgType" not in inner and "InfoType" not in inner:
                raise EncryptionModeError("an encrypted envelope without encrypt_type=aes")
            json_body, encrypted = is_json(body), False
        message = parse_message(inner)

        key = None
        dedup_failed = False
        if dedup:
            key = dedup_key(message)
            try:
                new = yield Remember(key)
            except Exception as exc:
                if dedup_failure == "closed":
                    raise DedupUnavailableError(
                        f"de-duplication store failed ({type(exc).__name__}): push refused so "
                        "that WeChat retries it") from exc
                new, key, dedup_failed = True, None, True
            if not new:
                return PushResult(body=_SUCCESS_BODY, content_type=CONTENT_TYPES["text"],
                                  message=message, encrypted=encrypted, duplicate=True)
        try:
            handler = self.router.resolve(message)
            reply = coerce_reply(None if handler is None else (yield CallHandler(handler, message)))
            if reply is None or _is_component(message):
                return PushResult(body=_SUCCESS_BODY, content_type=CONTENT_TYPES["text"],
                                  message=message, encrypted=encrypted, dedup_failed=dedup_failed)
            text = self._render(reply, message, json_body, encrypted, int(now), random_bytes)
        except GeneratorExit:  # the executor abandoned the steps: nothing more to yield
            raise
        except BaseException:
            # the push was not answered: forget it so WeChat's retry is processed again
            if key is not None:
                try:
                    yield Forget(key)
                except Exception as exc:
                    # the handler's exception stays attached as __context__ of exc
                    raise DedupUnavailableError(
                        f"the handler failed and the de-duplication store could not forget the "
                        f"push ({type(exc).__name__}): its retries may be dropped") from exc
            raise
        return PushResult(body=text.encode(), content_type=CONTENT_TYPES["json" if json_body else "xml"],
                          message=message, encrypted=encrypted, dedup_failed=dedup_failed)

    def _decode(self, body: bytes) -> dict[str, Any]:
        return decode_body(body, max_bytes=self.settings.max_bytes,
                           max_depth=self.settings.max_depth)

    def _open_safe(
        self, body: bytes, canonical: tuple[str, str, str] | None, encrypt: str,
    ) -> tuple[dict[str, Any], bool, bool]:
        """A verified safe-mode request's inner fields, JSON?, encrypted?"""
        fields: dict[str, Any] | None = None
        if canonical is None:  # signed, so now worth a full parse: it must agree with the scan
            fields = self._decode(body)
            if fields.get("Encrypt") != encrypt:
                raise XMLError("the Encrypt field is ambiguous (the scan and the parser disagree)")
        crypto = self.crypto
        if crypto is not None:
            plaintext = crypto.decrypt(encrypt)
            return self._decode(plaintext), is_json(plaintext), True
        if fields is None or ("MsgType" not in fields and "InfoType" not in fields):
            raise NotConfiguredError("encrypted push, but no EncodingAESKey/appid is configured")
        # compatible mode without a key: the plaintext fields beside Encrypt, answered plain
        return {k: v for k, v in fields.items() if k != "Encrypt"}, is_json(body), False

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
