"""What every transport shares, whatever its HTTP library: hosts, fail-over, error wording.

The urllib3, httpx and aiohttp transports differ only in how they put bytes on the wire and
how their library reports a failure. Which base URLs serve a logical host, in which order
they are tried, when a host that answered becomes the preferred one, how the time left before
the call's :func:`~wxcore.adapters.deadline.deadline` cuts each attempt, and what the three
transport errors say (with URLs redacted) live here once.

The rule all transports follow: a failure is a :class:`~wxcore.errors.ConnectError` (safe to
retry and to fail over, even for a POST) only when the request provably never left; anything
later is a :class:`~wxcore.errors.ReadError` (or :class:`~wxcore.errors.ReadTimeoutError`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import urlsplit

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError, UsageError
from wxcore.http import API_HOST, Request, Response
from wxcore.redact import redact_url

from wxcore.adapters.deadline import time_left

if TYPE_CHECKING:  # ssl is imported when a transport needs a context (not with this module)
    import ssl

__all__ = ["DEFAULT_TIMEOUTS", "WECHAT_API_BASES", "HostRoutes", "ErrorKinds", "send_over",
           "Proxies", "ProxySetting", "ResponseHeaders", "read_error", "read_timeout_error",
           "reason_of", "split_timeout", "tls_verification"]

logger = logging.getLogger("wxcore.transport")

#: Connect and read timeouts in seconds of every transport. WeChat answers in well under a
#: second normally; these bound a stuck connection instead of waiting forever.
DEFAULT_TIMEOUTS: tuple[float, float] = (5.0, 15.0)

#: WeChat's API host and its documented alternatives, in order of preference. api2 is the
#: general back-up; the regional hosts (Shanghai, Shenzhen, Hong Kong) serve the same API.
WECHAT_API_BASES: tuple[str, ...] = (
    "https://api.weixin.qq.com",
    "https://api2.weixin.qq.com",
    "https://sh.api.weixin.qq.com",
    "https://sz.api.weixin.qq.com",
    "https://hk.api.weixin.qq.com",
)


class HostRoutes:
    """The base URLs of each logical host, tried in order, remembering the one that worked.

    ``base_urls`` maps a logical host (``api.weixin.qq.com``) to base URLs; ``"*"`` applies
    to every host not listed; None means WeChat's API host with its alternatives. A host not
    in the map is reached directly over HTTPS.
    """

    __slots__ = ("routes", "_default", "_plans", "_lock")

    def __init__(self, base_urls: Mapping[str, Sequence[str]] | None = None) -> None:
        routes = {API_HOST: WECHAT_API_BASES} if base_urls is None else base_urls
        self.routes: dict[str, tuple[str, ...]] = {
            host: tuple(b.rstrip("/") for b in bases) for host, bases in routes.items()
        }
        self._default: tuple[str, ...] | None = self.routes.get("*")
        # each host's plan, the preferred base first; made on first use, remade on a change
        self._plans: dict[str, tuple[tuple[int, str], ...]] = {}
        self._lock = threading.Lock()

    def bases(self, host: str) -> tuple[str, ...]:
        """The base URLs serving ``host``, in the configured order."""
        bases = self.routes.get(host) or self._default
        return bases if bases else (f"https://{host}",)

    def plan(self, host: str) -> tuple[tuple[int, str], ...]:
        """(index, base URL) pairs to try for ``host``, the preferred one first."""
        plan = self._plans.get(host)
        if plan is None:
            plan = self._plans[host] = self._plan_from(host, 0)
        return plan

    def _plan_from(self, host: str, start: int) -> tuple[tuple[int, str], ...]:
        bases = self.bases(host)
        return tuple(((start + i) % len(bases), bases[(start + i) % len(bases)])
                     for i in range(len(bases)))

    def reached(self, host: str, index: int) -> None:
        """``host`` answered at base ``index``: try that one first from now on."""
        if self.plan(host)[0][0] != index:
            with self._lock:
                self._plans[host] = self._plan_from(host, index)

    def attempt_time(self, endpoint: str, base: str, last: ConnectError | None) -> float | None:
        """Seconds this attempt may take (None: no deadline). Once the deadline has passed,
        raises ``last`` (the previous host's failure) or a ConnectError naming ``base``."""
        left = time_left()
        if left is None or left > 0:
            return left
        if last is not None:
            raise last
        raise ConnectError(f"{endpoint}: the call's deadline passed before {base} was tried",
                           endpoint=endpoint)

    def unreachable(self, request: Request, plan: Sequence[tuple[int, str]], attempt: int,
                    url: str, reason: str) -> ConnectError:
        """The ConnectError for attempt ``attempt`` of ``plan``, logging the fail-over."""
        base = plan[attempt][1]
        if attempt + 1 < len(plan):
            logger.warning("%s: %s unreachable (%s); failing over to %s",
                           request.endpoint, base, reason, plan[attempt + 1][1])
        return ConnectError(f"{request.endpoint}: cannot connect to {base}: {reason}",
                            endpoint=request.endpoint, url=redact_url(url))

    def __repr__(self) -> str:
        return repr(self.routes)


class ErrorKinds(NamedTuple):
    """How an HTTP library reports the three kinds of failure, as exception classes.

    ``connect``: the request provably never left (refused, DNS, connect timeout, TLS
    handshake, proxy); ``read_timeout``: no answer in time; ``other``: anything else the
    library raises once the request may have left. Checked in that order.
    """

    connect: tuple[type[BaseException], ...]
    read_timeout: tuple[type[BaseException], ...]
    other: tuple[type[BaseException], ...]


#: One attempt on the wire: (request, base URL, full URL, seconds left or None) -> Response.
Exchange = Callable[[Request, str, str, "float | None"], Awaitable[Response]]


async def send_over(routes: HostRoutes, request: Request, exchange: Exchange,
                    errors: ErrorKinds) -> Response:
    """Send ``request`` through ``exchange``, failing over across ``routes``' bases.

    The one send loop of the httpx and aiohttp transports (sync httpx runs it without an
    event loop: its exchange never suspends). A ``connect`` failure moves to the next base
    (the last one's is raised when none is left); a read timeout or any later failure is
    raised at once as :class:`~wxcore.errors.ReadTimeoutError` / :class:`~wxcore.errors.ReadError`.
    """
    plan = routes.plan(request.host)
    last: ConnectError | None = None
    for attempt, (index, base) in enumerate(plan):
        url = base + request.target
        left = routes.attempt_time(request.endpoint, base, last)
        try:
            response = await exchange(request, base, url, left)
        except errors.connect as exc:
            last = routes.unreachable(request, plan, attempt, url, reason_of(exc))
            continue
        except errors.read_timeout:
            raise read_timeout_error(request, url) from None
        except errors.other as exc:
            raise read_error(request, url, reason_of(exc)) from None
        if attempt:  # a base after the preferred one answered: prefer it from now on
            routes.reached(request.host, index)
        return response
    assert last is not None
    raise last


class ResponseHeaders(Mapping[str, str]):
    """A library's case-insensitive response headers, seen with lower-case names.

    A view, not a copy: copying every header into a dict cost more than the rest of a
    transport's own work per call, and most callers read one header or none. A header sent
    more than once reads as its values joined by ", " (as urllib3 and httpx give it).
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw

    def __getitem__(self, name: str) -> str:
        return self._raw[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name.lower() for name in self._raw))

    def __len__(self) -> int:
        return len(dict.fromkeys(name.lower() for name in self._raw))

    def __repr__(self) -> str:
        return repr(dict(self))


#: ``proxy=`` values: a URL (always that proxy), False (never a proxy), None (the environment).
ProxySetting = str | Literal[False] | None


class Proxies:
    """Which proxy a request goes through, decided as requests and curl decide it.

    ``proxy``: a URL sends everything through that proxy, whatever the environment says;
    False never uses one; None uses the environment's, read once here (not per request):
    ``HTTPS_PROXY`` for https URLs, ``HTTP_PROXY`` for http URLs (either case), none for
    hosts matched by ``NO_PROXY``. The choice is remembered per base URL.
    """

    __slots__ = ("_fixed", "_env", "_by_origin")

    def __init__(self, proxy: ProxySetting = None) -> None:
        proxy = self.checked(proxy)
        self._fixed: ProxySetting = proxy or (False if proxy is not None else None)
        self._env: dict[str, str] = {}
        if proxy is None:  # urllib.request imports http.client and ssl: only when needed
            from urllib.request import getproxies_environment

            self._env = getproxies_environment()
        self._by_origin: dict[str, str | None] = {}

    @staticmethod
    def checked(proxy: object) -> ProxySetting:
        """``proxy`` if it is a valid ``proxy=`` value; else a UsageError saying what is."""
        if proxy is None or proxy is False or isinstance(proxy, str):
            return proxy
        raise UsageError(f"proxy must be a URL, False or None, not {proxy!r}")

    def for_url(self, url: str) -> str | None:
        """The proxy a request to ``url`` (or to a base URL) goes through; None: directly."""
        fixed = self._fixed
        if isinstance(fixed, str):
            return fixed
        if fixed is False:
            return None
        if not self._env:
            return None
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._by_origin:
            return self._by_origin[origin]
        chosen = self._env.get(parts.scheme) or None
        if chosen and _bypass(parts.netloc, self._env):
            chosen = None
        self._by_origin[origin] = chosen
        return chosen


def _bypass(netloc: str, proxies: dict[str, str]) -> bool:
    """NO_PROXY matching as the standard library does it (not in its type stubs)."""
    import urllib.request

    matches: Any = getattr(urllib.request, "proxy_bypass_environment")
    return bool(matches(netloc, proxies))


def read_timeout_error(request: Request, url: str) -> ReadTimeoutError:
    return ReadTimeoutError(f"{request.endpoint}: no answer within the read timeout",
                            endpoint=request.endpoint, url=redact_url(url))


def read_error(request: Request, url: str, reason: str) -> ReadError:
    return ReadError(
        f"{request.endpoint}: connection broke after the request was sent, "
        f"before the answer arrived in full: {reason}",
        endpoint=request.endpoint, url=redact_url(url))


def reason_of(exc: BaseException) -> str:
    """A short cause for a library's error, with any URL in it redacted."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason) or type(exc).__name__
    return redact_url(text)


def split_timeout(timeout: float | tuple[float, float] | None,
                  default: tuple[float, float]) -> tuple[float, float]:
    """(connect, read) seconds from one float (both), a pair, or None (``default``)."""
    if timeout is None:
        return default
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if not all(isinstance(t, (int, float)) and t > 0 for t in (connect, read)):
        raise UsageError(f"timeouts must be positive seconds (got {timeout!r})")
    return float(connect), float(read)


def tls_verification(ca_certs: str | None) -> ssl.SSLContext | bool:
    """Verification always on: the system's CAs (True), or a context trusting ``ca_certs``."""
    if not ca_certs:
        return True
    import ssl

    return ssl.create_default_context(cafile=ca_certs)
