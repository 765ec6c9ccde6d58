"""Serving WeChat pushes: de-duplication stores, a framework-agnostic handler, a WSGI app.

The pure receive path is :class:`wxcore.messages.PushPipeline`; this module adds what it
must not do itself: read the clock, draw ``secrets`` randomness, remember pushes it has
seen (in memory, or in Redis shared by several processes), log, and speak HTTP::

    from wxcore.messages import PushSettings, Router, TextMessage
    from wxcore.adapters.message_server import MessageServer

    router = Router()

    @router.message("text")
    def echo(msg: TextMessage) -> str:
        return msg.Content

    settings = PushSettings(token="TOKEN", encoding_aes_key="43 chars", appid="wx...")
    server = MessageServer(router, settings)
    app = server.wsgi_app                  # any WSGI server: gunicorn module:app
    status, headers, body = server.respond("POST", query_dict, body_bytes)  # any framework

Status codes: 200 with the reply (or ``success``); 403 for a failed signature, timestamp
or nonce check; 400 for a body that cannot be decrypted or parsed, or nests too deep; 413
when too large; 405 for other methods; 500 when a handler raises (its push is forgotten by
the de-duplication store, so WeChat's retry runs it again) or the server lacks a key; 503
when the de-duplication store fails and ``dedup_failure="closed"`` (WeChat retries).
With ``dedup_failure="open"`` (the default) a store failure is logged as such and the push
is handled anyway, risking a duplicate if WeChat retries it.
Failures are logged on the ``wxcore.messages`` logger without the token, key or body.

This server is sync: its handlers are plain functions (a router with ``async def``
handlers is refused when the server is built). For asyncio, ASGI, async handlers and async
stores use :class:`~wxcore.adapters.async_message_server.AsyncMessageServer`, which drives
the same :meth:`~wxcore.messages.PushPipeline.steps` and shares :class:`PushServerBase`.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from wxcore.errors import UsageError
from wxcore.messages import PushPipeline, PushResult, PushSettings, Router
from wxcore.messages.errors import (
    BodyTooLargeError,
    DedupUnavailableError,
    EncryptionRequiredError,
    MessageError,
    NotConfiguredError,
    SignatureError,
)
from wxcore.messages.pipeline import CONTENT_TYPES, DedupFailure, SeenStore
from wxcore.messages.router import Handler

from wxcore.adapters.stores.dedup import DEDUP_PREFIX, DEFAULT_DEDUP_TTL, RedisDedupStore

__all__ = [
    "DEFAULT_DEDUP_TTL",
    "MemoryDedupStore",
    "RedisDedupStore",
    "DEDUP_PREFIX",
    "MessageServer",
    "PushServerBase",
    "is_async_handler",
    "random_bytes",
]

logger = logging.getLogger("wxcore.messages")

#: Nonces share the store with push keys under this sub-prefix.
NONCE_PREFIX = "n:"


def random_bytes(n: int) -> bytes:
    """Cryptographically strong random bytes: the default for reply encryption and nonces."""
    return secrets.token_bytes(n)


class MemoryDedupStore:
    """Remembers keys for ``ttl`` seconds in this process (thread-safe, bounded).

    Good for one process; with several workers use :class:`RedisDedupStore`. When more
    than ``max_entries`` keys are live, the oldest are dropped first.
    """

    def __init__(self, ttl: float = DEFAULT_DEDUP_TTL, *, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            expiry = self._expiry
            while expiry:  # entries are in insertion order, so expiry order too
                oldest, until = next(iter(expiry.items()))
                if until > now and len(expiry) < self.max_entries:
                    break
                del expiry[oldest]
            if key in expiry:
                return False
            expiry[key] = now + self.ttl
            return True

    def discard(self, key: str) -> None:
        with self._lock:
            self._expiry.pop(key, None)

    def __len__(self) -> int:
        return len(self._expiry)


def is_async_handler(handler: Handler) -> bool:
    """Whether ``handler`` is a coroutine function (also through ``functools.partial`` and
    objects with an ``async def __call__``)."""
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None))


class PushServerBase:
    """What the sync and async servers share: the pipeline, clock, randomness, options
    (``dedup="memory"`` meaning a new store of the server's kind, :attr:`_memory_dedup`),
    and the mapping of outcomes to HTTP answers (:meth:`answer`, :meth:`refusal`)."""

    _memory_dedup: Callable[[], Any]

    def __init__(self, router: Router, settings: PushSettings, *, dedup: Any,
                 dedup_failure: DedupFailure, nonce_store: Any, clock: Callable[[], float],
                 random_bytes: Callable[[int], bytes]) -> None:
        if dedup_failure not in ("open", "closed"):
            raise UsageError('dedup_failure must be "open" or "closed"')
        if isinstance(dedup, str):
            if dedup != "memory":
                raise UsageError(f'dedup must be a store, None or "memory", not {dedup!r}')
            dedup = self._memory_dedup()
        self.pipeline = PushPipeline(router, settings)
        self.dedup = dedup
        self.dedup_failure: DedupFailure = dedup_failure
        self.nonce_store = nonce_store
        self.clock = clock
        self.random_bytes = random_bytes

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.pipeline!r})"

    @staticmethod
    def refuse_request(method: str, query: Mapping[str, str]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The answer to a request that is not one WeChat sends, judged by method and query."""
        if method not in ("GET", "POST"):
            return _plain(405, b"method not allowed")
        if method == "GET" and "echostr" not in query:
            return _plain(400, b"missing echostr")
        return None

    @staticmethod
    def refusal(exc: Exception) -> tuple[int, list[tuple[str, str]], bytes]:
        """The answer (and the log line) for a request the pipeline or its handler failed."""
        if isinstance(exc, SignatureError):
            logger.warning("push rejected: %s: %s", type(exc).__name__, exc)
            return _plain(403, b"forbidden")
        if isinstance(exc, EncryptionRequiredError):
            logger.warning("push rejected: %s", exc)
            return _plain(403, b"encryption required")
        if isinstance(exc, BodyTooLargeError):
            logger.warning("push rejected: %s", exc)
            return _plain(413, b"too large")
        if isinstance(exc, NotConfiguredError):
            logger.error("push not handled: %s", exc)
            return _plain(500, b"not configured")
        if isinstance(exc, MessageError):
            logger.warning("push rejected: %s: %s", type(exc).__name__, exc)
            return _plain(400, b"bad request")
        if isinstance(exc, DedupUnavailableError):
            logger.error("dedup store failed: push refused with 503 so that WeChat retries",
                         exc_info=exc)
            return _plain(503, b"dedup store unavailable")
        logger.error("push handler failed", exc_info=exc)
        return _plain(500, b"handler error")

    @staticmethod
    def answer(result: PushResult) -> tuple[int, list[tuple[str, str]], bytes]:
        """The 200 answer for a handled push (logging a duplicate or a failed store)."""
        if result.dedup_failed:
            logger.warning("dedup store failed: push handled anyway (dedup_failure='open'); "
                           "a WeChat retry of it would run again")
        if result.duplicate:
            logger.info("duplicate push dropped")
        return 200, [("Content-Type", result.content_type),
                     ("Content-Length", str(len(result.body)))], result.body

    @staticmethod
    def too_large() -> tuple[int, list[tuple[str, str]], bytes]:
        """The answer to a body over the settings' ``max_bytes`` (before reading it all)."""
        return _plain(413, b"too large")


class MessageServer(PushServerBase):
    """One account's (or component's) push endpoint: pipeline + clock + randomness + store.

    ``settings`` is the endpoint's :class:`~wxcore.messages.PushSettings`. ``dedup``
    defaults to a :class:`MemoryDedupStore`; pass ``None`` to turn de-duplication off.
    ``dedup_failure`` says what a failing store (Redis down) means: ``"open"`` handles the
    push anyway and logs the failure (a WeChat retry may then run twice), ``"closed"``
    answers 503 so WeChat retries later (pushes are lost if the store stays down past
    WeChat's three retries). ``nonce_store`` (optional, same interface) rejects a repeated
    nonce within its TTL; note WeChat's own retries may reuse a nonce, so it is off by default.

    It is sync (WSGI, or any framework through :meth:`respond`), so its handlers are plain
    functions: a router with an ``async def`` handler is refused here with a
    :class:`~wxcore.errors.UsageError` (serve it with
    :class:`~wxcore.adapters.async_message_server.AsyncMessageServer`), and a handler that
    returns an awaitable anyway fails its push with a 500 saying so.
    """

    _memory_dedup = MemoryDedupStore
    dedup: SeenStore | None
    nonce_store: SeenStore | None

    def __init__(
        self,
        router: Router,
        settings: PushSettings,
        *,
        dedup: SeenStore | None | str = "memory",
        dedup_failure: DedupFailure = "open",
        nonce_store: SeenStore | None = None,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = random_bytes,
    ) -> None:
        awaited = [getattr(h, "__qualname__", repr(h)) for h in router.handlers()
                   if is_async_handler(h)]
        if awaited:
            raise UsageError(f"MessageServer is sync and cannot await the async handlers "
                             f"{', '.join(awaited)}: serve this router with AsyncMessageServer "
                             "(wxcore.adapters.async_message_server, ASGI)")
        super().__init__(router, settings, dedup=dedup, dedup_failure=dedup_failure,
                         nonce_store=nonce_store, clock=clock, random_bytes=random_bytes)

    def handle(self, query: Mapping[str, str], body: bytes) -> PushResult:
        """Run the pipeline with the real clock and randomness; raises MessageError."""
        nonce_store = self.nonce_store
        return self.pipeline.handle(
            query, body, now=self.clock(), random_bytes=self.random_bytes, seen=self.dedup,
            nonce_seen=None if nonce_store is None
            else (lambda n: not nonce_store.add(NONCE_PREFIX + n)),
            dedup_failure=self.dedup_failure,
        )

    def respond(
        self, method: str, query: Mapping[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Framework-agnostic: (status, headers, body) for one HTTP request."""
        refused = self.refuse_request(method, query)
        if refused is not None:
            return refused
        try:
            result = self.handle(query, body if method == "POST" else b"")
        except Exception as exc:
            return self.refusal(exc)
        return self.answer(result)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """A WSGI application serving this endpoint (GET verification and POST pushes)."""
        method = environ.get("REQUEST_METHOD", "GET")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        body = b""
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            limit = self.pipeline.settings.max_bytes
            if length < 0 or length > limit:
                status, headers, payload = self.too_large()
                start_response(_STATUS[status], headers)
                return [payload]
            body = environ["wsgi.input"].read(length) if length else b""
        status, headers, payload = self.respond(method, query, body)
        start_response(_STATUS[status], headers)
        return [payload]


_STATUS = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden", 405: "405 Method Not Allowed",
           413: "413 Payload Too Large", 500: "500 Internal Server Error",
           503: "503 Service Unavailable"}


def _plain(status: int, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", CONTENT_TYPES["text"]), ("Content-Length", str(len(body)))], body
