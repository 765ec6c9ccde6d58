"""The sandbox's engine: WeChat's state and behaviour as a request -> response function.

:class:`WeChatSandbox` holds apps and secrets, issued tokens with their expiry, login and
phone codes, quotas and injected faults, and answers requests with the shapes and errcodes
WeChat documents. It counts every request by path, so tests can assert "exactly one token
fetch". Fronts make it reachable: :class:`~wxcore.adapters.sandbox.transport.SandboxTransport`
in-process, :class:`~wxcore.adapters.sandbox.server.SandboxServer` over loopback HTTP.

Endpoints are added with the :func:`route` decorator, one module per API group
(``sandbox/tokens.py``, ``sandbox/miniprogram.py``, ...); a handler takes the sandbox and a
:class:`SandboxRequest` and returns a JSON-able dict (or a full :class:`Response`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

import msgspec

from wxcore.http import Response

from wxcore.adapters.sandbox.calllog import CallLog

__all__ = [
    "WeChatSandbox",
    "SandboxRequest",
    "SandboxApp",
    "Fault",
    "NetworkFault",
    "WxFail",
    "route",
    "ROUTES",
    "snapshot",
    "SNAPSHOTS",
    "json_response",
]

TOKEN_LIFETIME = 7200
#: After a new cgi-bin/token, the previous token keeps working this long (WeChat: ~5 min).
PLAIN_TOKEN_OVERLAP = 300
#: stable_token hands out the next token this long before the current one expires.
STABLE_ROTATE_BEFORE = 300


class WxFail(Exception):
    """Raised by a handler to answer with a WeChat error body."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass(frozen=True)
class SandboxRequest:
    """One request as the sandbox sees it (after the front parsed it)."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    appid: str = ""  # the app the access token belongs to, once checked

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (errcode 47001 when it is not one)."""
        try:
            value = msgspec.json.decode(self.body) if self.body else {}
        except msgspec.DecodeError:
            raise WxFail(47001, "data format error") from None
        if not isinstance(value, dict):
            raise WxFail(47001, "data format error")
        return value


#: the type of one group's state in :meth:`WeChatSandbox.group`
GroupState = TypeVar("GroupState")

Handler = Callable[["WeChatSandbox", SandboxRequest], "dict[str, Any] | Response"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    auth: Literal["access_token", "none"]


#: (method, path) -> Route, filled by the route modules.
ROUTES: dict[tuple[str, str], Route] = {}

Snapshot = Callable[["WeChatSandbox", str], "dict[str, Any]"]

#: API group name -> its per-app state as JSON, filled by the route modules with
#: :func:`snapshot`; the console (``GET /sandbox/state``) shows one section per group.
SNAPSHOTS: dict[str, Snapshot] = {}


def route(
    method: str, path: str, *, auth: Literal["access_token", "none"] = "access_token"
) -> Callable[[Handler], Handler]:
    """Register a handler for ``method path``; ``auth`` checks the access token first."""

    def register(handler: Handler) -> Handler:
        ROUTES[(method, path)] = Route(method, path, handler, auth)
        return handler

    return register


def snapshot(name: str) -> Callable[[Snapshot], Snapshot]:
    """Register ``fn(sandbox, appid) -> dict``: what group ``name`` shows of one app.

    The dict must be JSON-able and hold no secrets; an empty dict reads "none yet".
    """

    def register(fn: Snapshot) -> Snapshot:
        SNAPSHOTS[name] = fn
        return fn

    return register


@dataclass
class Fault:
    """A fault to inject into the next ``times`` matching requests.

    ``kind``: ``"errcode"`` answers ``{"errcode": errcode}`` (default -1, system busy);
    ``"status"`` answers HTTP ``status`` (default 503); ``"reset"`` drops the connection
    after reading the request; ``"slow"`` waits ``delay`` seconds then answers normally;
    ``"revoke"`` revokes the app's tokens before handling (a token cut short by WeChat).
    ``path`` limits it to one API path (None: any request).
    """

    kind: Literal["errcode", "status", "reset", "slow", "revoke"]
    times: int = 1
    path: str | None = None
    errcode: int = -1
    errmsg: str = "system error"
    status: int = 503
    delay: float = 0.0
    used: int = 0  # how many requests it has answered so far
    id: int = 0  # numbered by :meth:`WeChatSandbox.inject`

    def label(self) -> str:
        """A short description for logs and the console ("errcode -1", "slow 2.0s", ...)."""
        detail = {"errcode": f" {self.errcode}", "status": f" {self.status}",
                  "slow": f" {self.delay:g}s"}.get(self.kind, "")
        return f"#{self.id} {self.kind}{detail}"


class NetworkFault(Exception):
    """Tells a front to misbehave at the network level (reset or delay) for ``fault``."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.kind)
        self.fault = fault


@dataclass
class SandboxApp:
    """An app the sandbox knows: its secret and the users that can log in to it."""

    appid: str
    secret: str
    name: str = "Sandbox App"
    original_id: str = ""


@dataclass
class IssuedToken:
    value: str
    appid: str
    kind: Literal["token", "stable", "ticket"]
    expires_at: float
    revoked: bool = False


def json_response(payload: Mapping[str, Any], status: int = 200) -> Response:
    return Response(
        status=status,
        body=msgspec.json.encode(payload),
        headers={"content-type": "application/json; encoding=utf-8"},
    )


class WeChatSandbox:
    """An offline WeChat back end. Thread-safe; time comes from ``clock``.

    ``quotas`` maps an API path to its daily limit per app (45009 once reached);
    ``cgi-bin/token`` defaults to WeChat's 2000 a day.
    """

    DEFAULT_APPID = "wx5b2e7d9c1a04f836"
    DEFAULT_SECRET = "sandbox0secret0f0r0wxc0re0demo00"

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        apps: Mapping[str, str] | None = None,
        record_requests: int = 10_000,
    ) -> None:
        self.clock = clock
        self.apps: dict[str, SandboxApp] = {}
        for appid, secret in (apps or {self.DEFAULT_APPID: self.DEFAULT_SECRET}).items():
            self.add_app(appid, secret)
        self.tokens: dict[str, IssuedToken] = {}
        self.current: dict[tuple[str, str], str] = {}  # (appid, kind) -> latest token value
        self.forced: dict[str, list[float]] = {}
        self.calls: Counter[str] = Counter()
        self.requests: deque[SandboxRequest] = deque(maxlen=record_requests)
        self.faults: list[Fault] = []
        self.spent_faults: deque[Fault] = deque(maxlen=20)  # used up, newest last
        self.log = CallLog()
        self.quotas: dict[str, int] = {"/cgi-bin/token": 2000}
        self.usage: Counter[tuple[str, str, int]] = Counter()
        self.state: dict[str, Any] = {}  # per-API-group state, keyed by the group's name
        self.lock = threading.RLock()
        self._fault_ids = 0

    # -- set-up ---------------------------------------------------------------------------

    def add_app(self, appid: str, secret: str, **details: str) -> SandboxApp:
        """Add an app; its original id (``gh_`` + 12 hex) derives from the appid by default."""
        details.setdefault("original_id",
                           "gh_" + hashlib.sha256(f"gh:{appid}".encode()).hexdigest()[:12])
        app = SandboxApp(appid, secret, **details)
        self.apps[appid] = app
        return app

    @property
    def default_app(self) -> SandboxApp:
        return next(iter(self.apps.values()))

    def inject(self, fault: Fault) -> Fault:
        """Make the next matching request(s) fail as ``fault`` says."""
        with self.lock:
            self._fault_ids += 1
            fault.id = self._fault_ids
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> int:
        """Drop every pending fault; returns how many there were."""
        with self.lock:
            count = len(self.faults)
            self.faults.clear()
            return count

    def revoke_tokens(self, appid: str) -> int:
        """Cut every live token of ``appid`` short, as WeChat does when one leaks."""
        with self.lock:
            count = 0
            for token in self.tokens.values():
                if token.appid == appid and not token.revoked:
                    token.revoked = True
                    count += 1
            return count

    # -- helpers for route modules ------------------------------------------------------------

    def new_secret_value(self, prefix: str, nbytes: int = 48) -> str:
        """A fresh token-like string (``prefix`` + URL-safe random text)."""
        return prefix + base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode().rstrip("=")

    def issue_token(self, appid: str, kind: Literal["token", "stable", "ticket"],
                    lifetime: float = TOKEN_LIFETIME) -> IssuedToken:
        with self.lock:
            token = IssuedToken(self.new_secret_value("81_" if kind != "ticket" else ""),
                                appid, kind, self.clock() + lifetime)
            self.tokens[token.value] = token
            self.current[(appid, kind)] = token.value
            return token

    def current_token(self, appid: str, kind: str) -> IssuedToken | None:
        value = self.current.get((appid, kind))
        return self.tokens.get(value) if value else None

    def check_app(self, appid: str | None, secret: str | None) -> SandboxApp:
        """The app for ``appid`` if ``secret`` matches; else WeChat's errors."""
        if not appid:
            raise WxFail(41002, "appid missing")
        app = self.apps.get(appid)
        if app is None:
            raise WxFail(40013, "invalid appid")
        if not secret:
            raise WxFail(41004, "appsecret missing")
        if secret != app.secret:
            raise WxFail(40125, "invalid appsecret")
        return app

    def openid_for(self, appid: str, user: str) -> str:
        """A stable 28-character openid for ``user`` in ``appid``."""
        digest = hashlib.sha256(f"{appid}:{user}".encode()).digest()
        return "o" + base64.urlsafe_b64encode(digest).decode()[:27]

    def unionid_for(self, user: str) -> str:
        digest = hashlib.sha256(f"union:{user}".encode()).digest()
        return "oU" + base64.urlsafe_b64encode(digest).decode()[:26]

    def group(self, name: str, factory: Callable[[], GroupState]) -> GroupState:
        """Per-API-group state, created on first use (``factory`` gives its type)."""
        with self.lock:
            if name not in self.state:
                self.state[name] = factory()
            kept: GroupState = self.state[name]  # one factory per name, so one type
            return kept

    def quota_day(self) -> int:
        """Today's number for daily quotas: WeChat resets them at midnight China time."""
        return int((self.clock() + 8 * 3600) // 86400)

    def app_state(self, appid: str) -> dict[str, dict[str, Any]]:
        """Every registered group's snapshot of ``appid`` (see :func:`snapshot`)."""
        with self.lock:
            return {name: fn(self, appid) for name, fn in sorted(SNAPSHOTS.items())}

    # -- the request -> response function -------------------------------------------------

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and (fault.path is None or fault.path == path):
                    fault.times -= 1
                    fault.used += 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                        self.spent_faults.append(fault)
                    return fault
        return None

    def handle(self, method: str, target: str, body: bytes = b"",
               headers: Mapping[str, str] | None = None,
               pause: Callable[[float], None] = time.sleep) -> Response:
        """Answer one request. ``target`` is the path with its query string.

        A ``slow`` fault handles the request, then calls ``pause(delay)`` before answering
        (a front may raise a read timeout from it: the request was processed, the answer
        lost, as on a real network). A ``reset`` fault raises :class:`NetworkFault` for the
        front to drop the connection.
        """
        started = time.perf_counter()
        path, _, query_string = target.partition("?")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        request = SandboxRequest(method, path, query, body, dict(headers or {}))
        with self.lock:
            self.calls[path] += 1
            self.requests.append(request)
        fault = self.take_fault(path)
        response: Response | None = None
        try:
            response = self._answer(request, fault, pause)
            return response
        finally:
            self.log.add(self.clock(), request, response, time.perf_counter() - started, fault)

    def _answer(self, request: SandboxRequest, fault: Fault | None,
                pause: Callable[[float], None]) -> Response:
        if fault is not None:
            if fault.kind == "errcode":
                return json_response({"errcode": fault.errcode, "errmsg": fault.errmsg})
            if fault.kind == "status":
                return Response(status=fault.status, body=b"<html>Bad Gateway</html>",
                                headers={"content-type": "text/html"})
            if fault.kind == "revoke":
                token = self.tokens.get(request.query.get("access_token", ""))
                self.revoke_tokens(token.appid if token else self.default_app.appid)
            elif fault.kind == "slow":
                response = self.dispatch(request)
                pause(fault.delay)
                return response
            else:
                raise NetworkFault(fault)
        return self.dispatch(request)

    def dispatch(self, request: SandboxRequest) -> Response:
        """Route ``request`` to its handler, after the token and quota checks."""
        found = ROUTES.get((request.method, request.path))
        if found is None:
            if any(path == request.path for _, path in ROUTES):
                other = "POST" if request.method == "GET" else "GET"
                code = 43002 if other == "POST" else 43001
                return json_response({"errcode": code, "errmsg": f"require {other} method"})
            return Response(status=404, body=b"not found", headers={"content-type": "text/plain"})
        try:
            if found.auth == "access_token":
                request = self._authorize(request)
            self._count_quota(request)
            answer = found.handler(self, request)
        except WxFail as fail:
            rid = secrets.token_hex(4)
            return json_response({"errcode": fail.errcode, "errmsg": f"{fail.errmsg} rid: {rid}"})
        if isinstance(answer, Response):
            return answer
        return json_response(answer)

    def _authorize(self, request: SandboxRequest) -> SandboxRequest:
        value = request.query.get("access_token")
        if not value:
            raise WxFail(41001, "access_token missing")
        token = self.tokens.get(value)
        if token is None or token.kind == "ticket":
            raise WxFail(40001, "invalid credential, access_token is invalid or not latest")
        if token.revoked:
            raise WxFail(40001, "invalid credential, access_token is invalid or not latest")
        if self.clock() >= token.expires_at:
            raise WxFail(42001, "access_token expired")
        return SandboxRequest(request.method, request.path, request.query, request.body,
                              request.headers, appid=token.appid)

    def _count_quota(self, request: SandboxRequest) -> None:
        # Every call counts (openapi/quota/get reports it); only paths with a limit refuse.
        limit = self.quotas.get(request.path)
        appid = request.appid or request.query.get("appid", "")
        key = (appid, request.path, self.quota_day())
        with self.lock:
            if limit is not None and self.usage[key] >= limit:
                raise WxFail(45009, "reach max api daily quota limit")
            self.usage[key] += 1
