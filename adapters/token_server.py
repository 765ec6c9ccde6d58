"""A central token service, and the provider other environments use to ask it for tokens.

WeChat's advice for apps that run in several places is one "central control server" (中控服务器)
that alone refreshes the access token and hands it to everybody else. :class:`TokenServer` is
that service; ``wxcore token-server`` runs it from the command line.

=============================================  ==========================================
``GET /token/<appid>/<kind>``                   ``{"access_token": ..., "expires_in": n}``
                                                (tickets: ``{"ticket": ..., "expires_in": n}``)
``POST /token/<appid>/<kind>/invalidate``       body ``{"value": "<rejected token>"}``: WeChat
                                                rejected it; the next GET renews it once
``GET /healthz``                                ``{"ok": true}`` (no secret needed, no token)
=============================================  ==========================================

``kind`` is ``access_token``, ``jsapi_ticket`` or ``wx_card_ticket``. Every token path needs
the shared secret as ``Authorization: Bearer <secret>``, compared in constant time; without it
the answer is 401 and no token. The service holds no secret of its own beyond the app secrets
it was given; put it on a private network (or behind TLS) — a bearer secret travels in clear
over plain HTTP.

:class:`RemoteTokenProvider` is a :class:`~wxcore.adapters.tokens.TokenProvider` that asks the
service (finite connect and read timeouts, a short local cache) and raises
:class:`~wxcore.errors.TokenError` with a clear message when it cannot be reached.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import quote, unquote

import msgspec
import urllib3
from urllib3.exceptions import HTTPError
from urllib3.exceptions import ReadTimeoutError as _Urllib3ReadTimeout

from wxcore.errors import TokenError, UsageError, WxError
from wxcore.tokens import DEFAULT_REFRESH_MARGIN, Token

from wxcore.adapters.client import Client
from wxcore.adapters.httpserver import BackgroundServer, QuietThreadingServer
from wxcore.adapters.singleflight import SingleFlight
from wxcore.adapters.tokens import TokenProvider

__all__ = ["TokenService", "TokenServer", "RemoteTokenProvider", "KINDS", "MIN_SECRET_LENGTH"]

logger = logging.getLogger("wxcore.token_server")

#: Token kinds the service serves, and the JSON field each is answered in.
KINDS: dict[str, str] = {
    "access_token": "access_token",
    "jsapi_ticket": "ticket",
    "wx_card_ticket": "ticket",
}
#: A shared secret shorter than this is refused: it would be guessable.
MIN_SECRET_LENGTH = 16
_MAX_BODY = 64 * 1024


class TokenService:
    """Which provider answers for which ``(appid, kind)``; the HTTP-free half of the server."""

    def __init__(self, providers: Mapping[tuple[str, str], TokenProvider],
                 clock: Callable[[], float] = time.time) -> None:
        for appid, kind in providers:
            if kind not in KINDS:
                raise UsageError(f"unknown token kind {kind!r}; one of {sorted(KINDS)}")
        self.providers = dict(providers)
        self._clock = clock

    @classmethod
    def for_clients(cls, clients: Iterable[Client],
                    clock: Callable[[], float] = time.time) -> TokenService:
        """Serve each client's access token and its JS-SDK and card tickets."""
        providers: dict[tuple[str, str], TokenProvider] = {}
        for client in clients:
            providers[(client.appid, "access_token")] = client.token_provider
            providers[(client.appid, "jsapi_ticket")] = client.ticket_provider("jsapi")
            providers[(client.appid, "wx_card_ticket")] = client.ticket_provider("wx_card")
        return cls(providers, clock=clock)

    def provider(self, appid: str, kind: str) -> TokenProvider | None:
        return self.providers.get((appid, kind))

    def answer(self, appid: str, kind: str) -> dict[str, Any] | None:
        """The JSON answer for a token request, or None when ``(appid, kind)`` is unknown."""
        provider = self.provider(appid, kind)
        if provider is None:
            return None
        token = provider.get()
        remaining = token.remaining(self._clock())
        expires_in = 0 if remaining <= 0 else (
            2**31 - 1 if remaining == float("inf") else int(remaining))
        return {KINDS[kind]: token.value, "expires_in": expires_in}

    def apps(self) -> list[str]:
        return sorted({appid for appid, _ in self.providers})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the body waits for the
    # client's delayed ACK (~40 ms per request on Linux).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def _send(self, status: int, payload: Mapping[str, Any],
              extra: Mapping[str, str] | None = None) -> None:
        body = msgspec.json.encode(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        given = self.headers.get("Authorization", "")
        scheme, _, secret = given.partition(" ")
        # Compare fixed-length digests in constant time: neither content nor length leaks.
        ok = hmac.compare_digest(hashlib.sha256(secret.strip().encode()).digest(),
                                 self.server.secret_digest) and scheme.lower() == "bearer"
        if not ok:
            logger.warning("token-server: refused %s %s from %s: missing or wrong shared secret",
                           self.command, self.path.partition("?")[0], self.client_address[0])
            self._send(401, {"error": "missing or wrong shared secret"},
                       {"WWW-Authenticate": 'Bearer realm="wxcore-token-server"'})
        return ok

    def _route(self) -> tuple[str, str, str] | None:
        parts = [unquote(p) for p in self.path.partition("?")[0].split("/")]
        if len(parts) in (4, 5) and parts[0] == "" and parts[1] == "token":
            action = parts[4] if len(parts) == 5 else ""
            return parts[2], parts[3], action
        return None

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        if self.path.partition("?")[0] == "/healthz":
            self._send(200, {"ok": True, "apps": len(self.server.service.apps())})
            return
        route = self._route()
        if route is None or route[2]:
            self._send(404, {"error": "unknown path"})
            return
        if not self._authorized():
            return
        appid, kind, _ = route
        try:
            answer = self.server.service.answer(appid, kind)
        except TokenError as exc:
            self._send(503, {"error": str(exc), "type": type(exc).__name__})
            return
        except WxError as exc:
            self._send(502, {"error": str(exc), "type": type(exc).__name__})
            return
        if answer is None:
            self._send(404, {"error": f"this service has no {kind} for appid {appid}"})
            return
        self._send(200, answer)

    def do_POST(self) -> None:
        try:
            body = self._body()
        except ValueError:
            self.close_connection = True
            self._send(413, {"error": "body too large"})
            return
        route = self._route()
        if route is None or route[2] != "invalidate":
            self._send(404, {"error": "unknown path"})
            return
        if not self._authorized():
            return
        appid, kind, _ = route
        provider = self.server.service.provider(appid, kind)
        if provider is None:
            self._send(404, {"error": f"this service has no {kind} for appid {appid}"})
            return
        try:
            value = msgspec.json.decode(body).get("value") if body else None
        except (msgspec.DecodeError, AttributeError):
            value = None
        if not isinstance(value, str) or not value:
            self._send(400, {"error": 'send {"value": "<the rejected token>"}'})
            return
        try:
            provider.invalidate(Token(value=value))
        except WxError as exc:
            self._send(503, {"error": str(exc), "type": type(exc).__name__})
            return
        self._send(200, {"ok": True})


class _Server(QuietThreadingServer):
    service: TokenService
    secret_digest: bytes


class TokenServer(BackgroundServer):
    """Serves ``service`` over HTTP on ``host:port`` (port 0: a free one) to holders of
    ``secret``.

    Use as a context manager (a background thread) or call :meth:`serve_forever`.
    """

    def __init__(self, service: TokenService, secret: str, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            raise UsageError(f"the token server needs a shared secret of at least "
                             f"{MIN_SECRET_LENGTH} characters; no token is served without one")
        self.service = service
        server = _Server((host, port), _Handler)
        server.service = service
        server.secret_digest = hashlib.sha256(secret.encode()).digest()
        super().__init__(server)

    thread_name = "wxcore-token-server"

    def __repr__(self) -> str:
        return f"TokenServer({self.base_url}, apps={self.service.apps()})"


class RemoteTokenProvider:
    """A :class:`~wxcore.adapters.tokens.TokenProvider` that gets tokens from a token server.

    ``base_url`` is the service (``http://tokens.internal:8760``), ``secret`` the shared
    secret. A token is kept locally until ``margin`` seconds before it expires (at most half
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
        if kind not in KINDS:
            raise UsageError(f"unknown token kind {kind!r}; one of {sorted(KINDS)}")
        if not secret:
            raise UsageError("RemoteTokenProvider needs the token server's shared secret")
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.kind = kind
        self.margin = margin
        self.timeout = (timeout if isinstance(timeout, urllib3.Timeout)
                        else urllib3.Timeout(connect=timeout, read=timeout))
        connect = self.timeout.connect_timeout
        self._read_seconds = _seconds(self.timeout, "_read")
        if wait_timeout is None:
            wait_timeout = (connect if isinstance(connect, (int, float)) else 10.0) + (
                self._read_seconds or 10.0) + 5.0
        self._flight: SingleFlight[Token] = SingleFlight(f"{kind} of {appid} from {base_url}",
                                                         wait_timeout)
        self._headers = {"Authorization": f"Bearer {secret}"}
        self._path = f"/token/{quote(appid, safe='')}/{kind}"
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
        answer = self._request("GET", self._path)
        value = answer.get(KINDS[self.kind])
        expires_in = answer.get("expires_in")
        if not isinstance(value, str) or not isinstance(expires_in, (int, float)):
            raise TokenError(f"token service at {self.base_url} sent an answer without "
                             f"{KINDS[self.kind]} and expires_in")
        token = Token(value=value, expires_at=now + expires_in, issued_at=now)
        with self._lock:
            self._token = token
        return token

    def invalidate(self, stale: Token) -> None:
        with self._lock:
            if self._token is not None and self._token.value == stale.value:
                self._token = None
        try:
            self._request("POST", self._path + "/invalidate",
                          msgspec.json.encode({"value": stale.value}))
        except TokenError as exc:  # the next get() reports the problem if it persists
            logger.warning("%s: could not tell the token service about a rejected %s: %s",
                           self.appid, self.kind, exc)

    def _request(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        url = self.base_url + path
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            raw = self._pool.request(method, url, body=body, headers=headers, retries=False,
                                     redirect=False, timeout=self.timeout)
        except _Urllib3ReadTimeout:
            raise TokenError(f"token service at {self.base_url} did not answer within "
                             f"{self._read_seconds}s") from None
        except HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise TokenError(f"token service at {self.base_url} is unreachable ({reason}); "
                             f"is `wxcore token-server` running there?") from None
        try:
            answer = msgspec.json.decode(raw.data) if raw.data else {}
        except msgspec.DecodeError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if raw.status == 200:
            return answer
        detail = answer.get("error", raw.data[:200].decode("utf-8", "replace"))
        if raw.status == 401:
            raise TokenError(f"token service at {self.base_url} refused the shared secret "
                             f"(HTTP 401); give this process the server's secret")
        raise TokenError(f"token service at {self.base_url} answered HTTP {raw.status} for "
                         f"{self.kind} of {self.appid}: {detail}")

    def close(self) -> None:
        self._pool.clear()

    def __repr__(self) -> str:
        return f"RemoteTokenProvider({self.base_url!r}, appid={self.appid!r}, kind={self.kind!r})"


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
