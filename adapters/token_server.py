"""A central token service: WeChat's "central control server" (中控服务器), as a WSGI app.

One place refreshes each app's access token and tickets and hands them to every environment
that presents one of its client secrets. The service is a WSGI application
(:class:`TokenApp`), so it runs under gunicorn or uwsgi behind TLS (see docs/tokens.md), and
``wxcore token-server`` (:class:`TokenServer`) serves it without one for the simple case.

=============================================  ==========================================
``GET /token/<appid>/<kind>``                   ``{"access_token": ..., "expires_in": n}``
                                                (tickets: ``{"ticket": ..., "expires_in": n}``)
``POST /token/<appid>/<kind>/invalidate``       body ``{"value": "<rejected token>"}``: WeChat
                                                rejected it; the next GET renews it once
``GET /healthz``                                ``{"ok": true}`` (no secret needed, no token)
=============================================  ==========================================

``kind`` is ``access_token``, ``jsapi_ticket`` or ``wx_card_ticket``. Every token path needs
``Authorization: Bearer <secret>`` with one of the named client secrets
(:class:`ClientSecrets`: one per environment, each revocable on its own), checked before any
body is read; the comparison runs in constant time over every secret. Without a valid one the
answer is 401 and no token. A body needs a valid ``Content-Length`` (400 if it is not a
non-negative integer, 411 if missing, 413 past 64 KiB). A bearer secret travels in clear over
plain HTTP: use a private network or TLS in front.

:class:`~wxcore.adapters.token_remote.RemoteTokenProvider` is the client side.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote

import msgspec

from wxcore.errors import TokenError, UsageError, WxError
from wxcore.tokens import Token

from wxcore.adapters.client import Client
from wxcore.adapters.httpserver import BackgroundServer, PooledWSGIServer
from wxcore.adapters.token_remote import KINDS, RemoteTokenProvider  # re-exported
from wxcore.adapters.tokens import TokenProvider

__all__ = ["TokenService", "TokenApp", "TokenServer", "ClientSecrets", "RemoteTokenProvider",
           "KINDS", "MIN_SECRET_LENGTH"]

logger = logging.getLogger("wxcore.token_server")

#: A client secret shorter than this is refused: it would be guessable.
MIN_SECRET_LENGTH = 16
_MAX_BODY = 64 * 1024

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


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


class ClientSecrets:
    """The named client secrets the service accepts: one per environment, each revocable.

    A plain string is one secret named ``default`` (the single shared secret of older
    set-ups). Secrets are kept as SHA-256 digests; :meth:`identify` compares a presented
    secret with every one of them in constant time, so neither which one matched nor how
    long they are leaks through timing.
    """

    def __init__(self, secrets: Mapping[str, str] | str) -> None:
        named = {"default": secrets} if isinstance(secrets, str) else dict(secrets)
        if not named:
            raise UsageError("the token server needs at least one client secret; no token "
                             "is served without one")
        self._digests: dict[str, bytes] = {}
        for name, secret in named.items():
            self.add(name, secret)

    def add(self, name: str, secret: str) -> None:
        """Accept ``secret`` under ``name`` (replacing that name's previous secret)."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise UsageError(f"client names are letters, digits, '-' and '_', not {name!r}")
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            raise UsageError(f"client {name!r}: a client secret needs at least "
                             f"{MIN_SECRET_LENGTH} characters")
        digests = dict(self._digests)
        digests[name] = hashlib.sha256(secret.encode()).digest()
        self._digests = digests  # replaced whole: readers never see a half-updated map

    def revoke(self, name: str) -> bool:
        """Stop accepting ``name``'s secret; True if it was known."""
        digests = dict(self._digests)
        known = digests.pop(name, None) is not None
        self._digests = digests
        return known

    @property
    def names(self) -> list[str]:
        return sorted(self._digests)

    def identify(self, authorization: str | None) -> str | None:
        """The name of the client whose secret ``Authorization: Bearer <secret>`` presents."""
        scheme, _, credential = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        presented = hashlib.sha256(credential.strip().encode()).digest()
        found = None
        for name, digest in self._digests.items():  # no early exit: constant time
            if hmac.compare_digest(presented, digest):
                found = name
        return found

    def __repr__(self) -> str:
        return f"ClientSecrets({self.names})"


class _Answer(Exception):
    """Stops handling a request with this answer."""

    def __init__(self, status: int, payload: Mapping[str, Any],
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.payload, self.headers = status, payload, dict(headers or {})


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 411: "Length Required", 413: "Payload Too Large",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class TokenApp:
    """The token service as a WSGI application (see the module docstring for its paths).

    ``gunicorn 'wxcore.adapters.cli.token_server:wsgi_app()'`` builds one from the same
    environment variables and config file as ``wxcore token-server``.
    """

    def __init__(self, service: TokenService, clients: ClientSecrets | Mapping[str, str] | str
                 ) -> None:
        self.service = service
        self.clients = clients if isinstance(clients, ClientSecrets) else ClientSecrets(clients)

    def __call__(self, environ: Mapping[str, Any], start_response: StartResponse
                 ) -> list[bytes]:
        payload: Mapping[str, Any]
        headers: Mapping[str, str]
        try:
            status, payload, headers = 200, self._handle(environ), {}
        except _Answer as answer:
            status, payload, headers = answer.status, answer.payload, answer.headers
        except Exception:  # a bug must not leak a traceback (or a token) to the client
            logger.exception("token-server: failed to answer %s", environ.get("PATH_INFO"))
            status, payload, headers = 500, {"error": "internal error"}, {}
        body = msgspec.json.encode(payload)
        start_response(f"{status} {_REASONS.get(status, 'Error')}", [
            ("Content-Type", "application/json"), ("Cache-Control", "no-store"),
            ("Content-Length", str(len(body))), *headers.items()])
        return [body]

    def _handle(self, environ: Mapping[str, Any]) -> dict[str, Any]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and method == "GET":
            return {"ok": True, "apps": len(self.service.apps())}
        parts = [unquote(p) for p in path.split("/")]
        if not (len(parts) in (4, 5) and parts[0] == "" and parts[1] == "token"):
            raise _Answer(404, {"error": "unknown path"})
        appid, kind = parts[2], parts[3]
        action = parts[4] if len(parts) == 5 else ""
        if (method, action) not in (("GET", ""), ("POST", "invalidate")):
            raise _Answer(404 if action not in ("", "invalidate") else 405,
                          {"error": f"{method} {path} is not served"})
        client = self._authenticate(environ, method, path)
        provider = self.service.provider(appid, kind)
        if provider is None:
            raise _Answer(404, {"error": f"this service has no {kind} for appid {appid}"})
        try:
            if method == "GET":
                answer = self.service.answer(appid, kind)
                logger.info("token-server: %s of %s to client %s", kind, appid, client)
                return answer or {}
            provider.invalidate(Token(value=self._rejected_value(environ)))
            logger.info("token-server: client %s reported a rejected %s of %s",
                        client, kind, appid)
            return {"ok": True}
        except TokenError as exc:
            raise _Answer(503, {"error": str(exc), "type": type(exc).__name__}) from None
        except WxError as exc:
            raise _Answer(502, {"error": str(exc), "type": type(exc).__name__}) from None

    def _authenticate(self, environ: Mapping[str, Any], method: str, path: str) -> str:
        client = self.clients.identify(environ.get("HTTP_AUTHORIZATION"))
        if client is None:
            logger.warning("token-server: refused %s %s from %s: missing, unknown or revoked "
                           "client secret", method, path, environ.get("REMOTE_ADDR", "?"))
            raise _Answer(401, {"error": "missing, unknown or revoked client secret "
                                         "(send Authorization: Bearer <secret>)"},
                          {"WWW-Authenticate": 'Bearer realm="wxcore-token-server"'})
        return client

    @staticmethod
    def _rejected_value(environ: Mapping[str, Any]) -> str:
        if environ.get("HTTP_TRANSFER_ENCODING"):
            raise _Answer(411, {"error": "send the body with a Content-Length"})
        raw = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not raw:
            raise _Answer(411, {"error": "Content-Length required"})
        if not raw.isdigit():
            raise _Answer(400, {"error": f"Content-Length must be a non-negative integer, "
                                         f"not {raw[:20]!r}"})
        length = int(raw)
        if length > _MAX_BODY:
            raise _Answer(413, {"error": f"body too large (at most {_MAX_BODY} bytes)"})
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            value = msgspec.json.decode(body).get("value") if body else None
        except (msgspec.DecodeError, AttributeError):
            value = None
        if not isinstance(value, str) or not value:
            raise _Answer(400, {"error": 'send {"value": "<the rejected token>"}'})
        return value


class TokenServer(BackgroundServer):
    """Serves ``service`` to holders of ``clients``' secrets on ``host:port`` (0: a free
    port), with the bounded worker pool and socket timeouts of :class:`PooledWSGIServer`.

    ``clients`` is a :class:`ClientSecrets`, a ``{name: secret}`` mapping, or one shared
    secret (named ``default``). Use as a context manager (a background thread) or call
    :meth:`serve_forever`.
    """

    thread_name = "wxcore-token-server"

    def __init__(self, service: TokenService, clients: ClientSecrets | Mapping[str, str] | str,
                 host: str = "127.0.0.1", port: int = 0, *, workers: int = 16,
                 waiting: int = 64, socket_timeout: float = 10.0) -> None:
        self.service = service
        self.app = TokenApp(service, clients)
        server = PooledWSGIServer((host, port), workers=workers, waiting=waiting,
                                  socket_timeout=socket_timeout)
        server.set_app(self.app)
        super().__init__(server)

    @property
    def clients(self) -> ClientSecrets:
        return self.app.clients

    def __repr__(self) -> str:
        return f"TokenServer({self.base_url}, apps={self.service.apps()})"

