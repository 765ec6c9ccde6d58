"""The client side of the central token service: :class:`RemoteTokenProvider`.

A :class:`~wxcore.adapters.tokens.TokenProvider` for environments that do not hold the app
secret: it asks a ``wxcore token-server`` (or the same service under a WSGI server) for the
token, with finite connect and read timeouts and a short local cache, presenting its client
secret as ``Authorization: Bearer <secret>``, and raises :class:`~wxcore.errors.TokenError`
with a clear message when it cannot get one. :class:`ServiceProtocol` is the wire protocol
from the client's side (paths, the bearer header, reading answers, what each failure says),
shared with the asyncio client,
:class:`~wxcore.adapters.async_token_remote.AsyncRemoteTokenProvider`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msgspec
import urllib3
from urllib3.exceptions import HTTPError
from urllib3.exceptions import ReadTimeoutError as _Urllib3ReadTimeout

from wxcore.errors import TokenError, UsageError
from wxcore.tokens import DEFAULT_REFRESH_MARGIN, Token

from wxcore.adapters.singleflight import SingleFlight

__all__ = ["RemoteTokenProvider", "ServiceProtocol", "KINDS"]

logger = logging.getLogger("wxcore.token_server")

#: Token kinds the service serves, and the JSON field each is answered in.
KINDS: dict[str, str] = {
    "access_token": "access_token",
    "jsapi_ticket": "ticket",
    "wx_card_ticket": "ticket",
}


class ServiceProtocol:
    """How a client talks to the token service about one ``(appid, kind)``, without I/O.

    The client secret is kept only in :attr:`headers` (never in a repr or a message); the
    errors are :class:`~wxcore.errors.TokenError` saying which failure it was.
    """

    def __init__(self, base_url: str, appid: str, kind: str, secret: str) -> None:
        if kind not in KINDS:
            raise UsageError(f"unknown token kind {kind!r}; one of {sorted(KINDS)}")
        if not secret:
            raise UsageError("a token service client needs a client secret of the token server")
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.kind = kind
        self.headers = {"Authorization": f"Bearer {secret}"}
        self.path = f"/token/{quote(appid, safe='')}/{kind}"
        self.invalidate_path = self.path + "/invalidate"

    def invalidate_body(self, stale: Token) -> bytes:
        return msgspec.json.encode({"value": stale.value})

    def answer(self, status: int, data: bytes) -> dict[str, Any]:
        """The JSON answer of a 200; a TokenError explaining any other status."""
        try:
            answer = msgspec.json.decode(data) if data else {}
        except msgspec.DecodeError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if status == 200:
            return answer
        detail = answer.get("error", data[:200].decode("utf-8", "replace"))
        if status == 401:
            raise TokenError(f"token service at {self.base_url} refused the client secret "
                             f"(HTTP 401: unknown or revoked); give this process a secret the "
                             f"server lists")
        raise TokenError(f"token service at {self.base_url} answered HTTP {status} for "
                         f"{self.kind} of {self.appid}: {detail}")

    def token(self, answer: dict[str, Any], now: float) -> Token:
        """The token a GET answered (``now``: when it was asked for)."""
        value = answer.get(KINDS[self.kind])
        expires_in = answer.get("expires_in")
        if not isinstance(value, str) or not isinstance(expires_in, (int, float)):
            raise TokenError(f"token service at {self.base_url} sent an answer without "
                             f"{KINDS[self.kind]} and expires_in")
        return Token(value=value, expires_at=now + expires_in, issued_at=now)

    def unreachable(self, reason: object) -> TokenError:
        return TokenError(f"token service at {self.base_url} is unreachable ({reason}); "
                          f"is `wxcore token-server` running there?")

    def silent(self, seconds: float | None) -> TokenError:
        return TokenError(f"token service at {self.base_url} did not answer within {seconds}s")

    def wait_timeout(self, connect: float | None, read: float | None) -> float:
        """The default bound on waiting for a shared request: both timeouts plus 5 s."""
        return (connect or 10.0) + (read or 10.0) + 5.0

    def __repr__(self) -> str:
        return f"({self.base_url!r}, appid={self.appid!r}, kind={self.kind!r})"


class RemoteTokenProvider:
    """A :class:`~wxcore.adapters.tokens.TokenProvider` that gets tokens from a token server.

    ``base_url`` is the service (``http://tokens.internal:8760``), ``secret`` this
    environment's client secret (one of the service's named secrets; the single shared
    secret of older set-ups works the same way). A token is kept locally until ``margin`` seconds before it expires (at most half
    its lifetime; one request per refresh, not per call). Threads share one request and its
    outcome, success or failure, waiting for it at most ``wait_timeout`` seconds (default:
    the connect plus the read timeout, plus 5 s). A float ``timeout`` is both the connect
    and the read timeout. ``invalidate`` tells the service WeChat rejected the token, so the
    service renews it once for everybody.
    """

    def __init__(
        self,
        base_url: str,
        appid: str,
        kind: str = "access_token",
        *,
        secret: str,
        timeout: urllib3.Timeout | float = urllib3.Timeout(connect=2.0, read=10.0),
        margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
        pool: urllib3.PoolManager | None = None,
        wait_timeout: float | None = None,
    ) -> None:
        self.service = ServiceProtocol(base_url, appid, kind, secret)
        self.base_url, self.appid, self.kind = self.service.base_url, appid, kind
        self.margin = margin
        self.timeout = (timeout if isinstance(timeout, urllib3.Timeout)
                        else urllib3.Timeout(connect=timeout, read=timeout))
        connect = self.timeout.connect_timeout
        self._read_seconds = _seconds(self.timeout, "_read")
        if wait_timeout is None:
            wait_timeout = self.service.wait_timeout(
                connect if isinstance(connect, (int, float)) else None, self._read_seconds)
        self._flight: SingleFlight[Token] = SingleFlight(f"{kind} of {appid} from {base_url}",
                                                         wait_timeout)
        self._pool = pool if pool is not None else urllib3.PoolManager(maxsize=4)
        self._clock = clock
        self._token: Token | None = None
        self._lock = threading.Lock()

    def get(self) -> Token:
        token = self._token
        if token is not None and token.is_fresh(self._clock(), self.margin):
            return token
        return self._flight.run(self._fetch)

    def _fetch(self) -> Token:
        """The one request of a flight (re-checks first: a flight may just have ended)."""
        token = self._token
        if token is not None and token.is_fresh(self._clock(), self.margin):
            return token
        now = self._clock()
        token = self.service.token(self._request("GET", self.service.path), now)
        with self._lock:
            self._token = token
        return token

    def invalidate(self, stale: Token) -> None:
        with self._lock:
            if self._token is not None and self._token.value == stale.value:
                self._token = None
        try:
            self._request("POST", self.service.invalidate_path,
                          self.service.invalidate_body(stale))
        except TokenError as exc:  # the next get() reports the problem if it persists
            logger.warning("%s: could not tell the token service about a rejected %s: %s",
                           self.appid, self.kind, exc)

    def _request(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        url = self.base_url + path
        headers = dict(self.service.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            raw = self._pool.request(method, url, body=body, headers=headers, retries=False,
                                     redirect=False, timeout=self.timeout)
        except _Urllib3ReadTimeout:
            raise self.service.silent(self._read_seconds) from None
        except HTTPError as exc:
            raise self.service.unreachable(getattr(exc, "reason", None) or exc) from None
        return self.service.answer(raw.status, raw.data)

    def close(self) -> None:
        self._pool.clear()

    def __repr__(self) -> str:
        return f"RemoteTokenProvider{self.service!r}"


def _seconds(timeout: urllib3.Timeout, part: str) -> float | None:
    """The read (or connect) seconds of a not-yet-started ``Timeout``, or its total.

    ``Timeout.read_timeout`` raises ``TimeoutStateError`` on a Timeout that was never
    started when a total is set, so it is not usable for messages.
    """
    value = getattr(timeout, part, None)
    if isinstance(value, (int, float)):
        return float(value)
    total = timeout.total
    return float(total) if isinstance(total, (int, float)) else None
