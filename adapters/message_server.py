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
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from wxcore.errors import UsageError
from wxcore.messages import (
    BodyTooLargeError,
    DedupUnavailableError,
    EncryptionRequiredError,
    MessageError,
    NotConfiguredError,
    PushPipeline,
    PushResult,
    PushSettings,
    Router,
    SignatureError,
)
from wxcore.messages.pipeline import CONTENT_TYPES, DedupFailure, SeenStore

__all__ = [
    "DEFAULT_DEDUP_TTL",
    "MemoryDedupStore",
    "RedisDedupStore",
    "MessageServer",
    "random_bytes",
]

logger = logging.getLogger("wxcore.messages")

#: Seconds a push key is remembered. WeChat retries three times, about 5 s apart.
DEFAULT_DEDUP_TTL = 300


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


class RedisDedupStore:
    """Remembers keys in Redis with ``SET key 1 NX EX ttl``: shared by every worker.

    ``client`` is a redis-py client (``redis.Redis.from_url(...)``); keys are prefixed.
    """

    def __init__(self, client: Any, ttl: int = DEFAULT_DEDUP_TTL, *,
                 prefix: str = "wxcore:push:") -> None:
        self.client = client
        self.ttl = int(ttl)
        self.prefix = prefix

    def add(self, key: str) -> bool:
        return bool(self.client.set(self.prefix + key, b"1", nx=True, ex=self.ttl))

    def discard(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class MessageServer:
    """One account's (or component's) push endpoint: pipeline + clock + randomness + store.

    ``settings`` is the endpoint's :class:`~wxcore.messages.PushSettings`. ``dedup``
    defaults to a :class:`MemoryDedupStore`; pass ``None`` to turn de-duplication off.
    ``dedup_failure`` says what a failing store (Redis down) means: ``"open"`` handles the
    push anyway and logs the failure (a WeChat retry may then run twice), ``"closed"``
    answers 503 so WeChat retries later (pushes are lost if the store stays down past
    WeChat's three retries). ``nonce_store`` (optional, same interface) rejects a repeated
    nonce within its TTL; note WeChat's own retries may reuse a nonce, so it is off by default.
    """

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
        if dedup_failure not in ("open", "closed"):
            raise UsageError('dedup_failure must be "open" or "closed"')
        self.pipeline = PushPipeline(router, settings)
        self.dedup: SeenStore | None = MemoryDedupStore() if dedup == "memory" else dedup  # type: ignore[assignment]
        self.dedup_failure: DedupFailure = dedup_failure
        self.nonce_store = nonce_store
        self.clock = clock
        self.random_bytes = random_bytes

    def __repr__(self) -> str:
        return f"MessageServer({self.pipeline!r})"

    def handle(self, query: Mapping[str, str], body: bytes) -> PushResult:
        """Run the pipeline with the real clock and randomness; raises MessageError."""
        nonce_store = self.nonce_store
        return self.pipeline.handle(
            query, body, now=self.clock(), random_bytes=self.random_bytes, seen=self.dedup,
            nonce_seen=None if nonce_store is None else (lambda n: not nonce_store.add("n:" + n)),
            dedup_failure=self.dedup_failure,
        )

    def respond(
        self, method: str, query: Mapping[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Framework-agnostic: (status, headers, body) for one HTTP request."""
        if method not in ("GET", "POST"):
            return _plain(405, b"method not allowed")
        if method == "GET" and "echostr" not in query:
            return _plain(400, b"missing echostr")
        try:
            result = self.handle(query, body if method == "POST" else b"")
        except SignatureError as exc:
            logger.warning("push rejected: %s: %s", type(exc).__name__, exc)
            return _plain(403, b"forbidden")
        except EncryptionRequiredError as exc:
            logger.warning("push rejected: %s", exc)
            return _plain(403, b"encryption required")
        except BodyTooLargeError as exc:
            logger.warning("push rejected: %s", exc)
            return _plain(413, b"too large")
        except NotConfiguredError as exc:
            logger.error("push not handled: %s", exc)
            return _plain(500, b"not configured")
        except MessageError as exc:
            logger.warning("push rejected: %s: %s", type(exc).__name__, exc)
            return _plain(400, b"bad request")
        except DedupUnavailableError:
            logger.exception("dedup store failed: push refused with 503 so that WeChat retries")
            return _plain(503, b"dedup store unavailable")
        except Exception:
            logger.exception("push handler failed")
            return _plain(500, b"handler error")
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
