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
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError, UsageError
from wxcore.http import API_HOST, Request
from wxcore.redact import redact_url

from wxcore.adapters.deadline import time_left

if TYPE_CHECKING:  # ssl is imported when a transport needs a context (not with this module)
    import ssl

__all__ = ["DEFAULT_TIMEOUTS", "WECHAT_API_BASES", "HostRoutes", "read_error",
           "read_timeout_error", "reason_of", "split_timeout", "tls_verification"]

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

    def __init__(self, base_urls: Mapping[str, Sequence[str]] | None = None) -> None:
        routes = {API_HOST: WECHAT_API_BASES} if base_urls is None else base_urls
        self.routes: dict[str, tuple[str, ...]] = {
            host: tuple(b.rstrip("/") for b in bases) for host, bases in routes.items()
        }
        self._default: tuple[str, ...] | None = self.routes.get("*")
        self._preferred: dict[str, int] = {}
        self._lock = threading.Lock()

    def bases(self, host: str) -> tuple[str, ...]:
        """The base URLs serving ``host``, in the configured order."""
        bases = self.routes.get(host) or self._default
        return bases if bases else (f"https://{host}",)

    def plan(self, host: str) -> list[tuple[int, str]]:
        """(index, base URL) pairs to try for ``host``, the preferred one first."""
        bases = self.bases(host)
        start = self._preferred.get(host, 0) if len(bases) > 1 else 0
        return [((start + i) % len(bases), bases[(start + i) % len(bases)])
                for i in range(len(bases))]

    def reached(self, host: str, index: int) -> None:
        """``host`` answered at base ``index``: try that one first from now on."""
        if self._preferred.get(host, 0) != index:
            with self._lock:
                self._preferred[host] = index

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

    def unreachable(self, request: Request, plan: list[tuple[int, str]], attempt: int,
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
