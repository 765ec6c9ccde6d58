"""Transports: the one small interface that puts a :class:`~wxcore.http.Request` on the wire.

A transport takes a bound request and returns a :class:`~wxcore.http.Response`, or raises a
:class:`~wxcore.errors.TransportError`. It never decodes JSON and never retries (wrap it in
:class:`~wxcore.adapters.retry.RetryingTransport` for that), so its behaviour is easy to state
and to replace: a test can pass any object with ``send`` and ``close``.

:class:`Urllib3Transport` is the default: one urllib3 ``PoolManager`` (or ``ProxyManager``),
``retries=False`` so there is no hidden second retry policy, finite connect and read
timeouts, TLS verification always on, and fail-over across WeChat's alternative API hosts
when the preferred one cannot be reached.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import ReadTimeoutError as _Urllib3ReadTimeout

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from wxcore.http import API_HOST, Request, Response
from wxcore.redact import redact_url

__all__ = [
    "Transport",
    "Urllib3Transport",
    "DEFAULT_TIMEOUT",
    "WECHAT_API_BASES",
]

logger = logging.getLogger("wxcore.transport")

#: Connect and read timeouts in seconds. WeChat answers in well under a second normally;
#: these bound a stuck connection instead of waiting forever.
DEFAULT_TIMEOUT = urllib3.Timeout(connect=5.0, read=15.0)

#: WeChat's API host and its documented alternatives, in order of preference. api2 is the
#: general back-up; the regional hosts (Shanghai, Shenzhen, Hong Kong) serve the same API.
WECHAT_API_BASES: tuple[str, ...] = (
    "https://api.weixin.qq.com",
    "https://api2.weixin.qq.com",
    "https://sh.api.weixin.qq.com",
    "https://sz.api.weixin.qq.com",
    "https://hk.api.weixin.qq.com",
)


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns its response; raises ``TransportError`` on failure."""

    def send(self, request: Request) -> Response: ...

    def close(self) -> None: ...


class Urllib3Transport:
    """The default transport, over urllib3.

    ``base_urls`` maps WeChat's logical host to the base URLs to try in order (fail-over moves
    to the next one only when a connection cannot be made, so a request is never sent twice
    by the fail-over). Hosts not in the map are reached directly over HTTPS.
    ``proxy_url`` sends everything through an HTTP(S) proxy; wxcore does not read proxy
    environment variables by itself, so pass ``os.environ.get("HTTPS_PROXY")`` if you want that.
    """

    def __init__(
        self,
        *,
        base_urls: Mapping[str, Sequence[str]] | None = None,
        timeout: urllib3.Timeout | float = DEFAULT_TIMEOUT,
        proxy_url: str | None = None,
        proxy_headers: Mapping[str, str] | None = None,
        maxsize: int = 16,
        ca_certs: str | None = None,
    ) -> None:
        routes = {API_HOST: WECHAT_API_BASES} if base_urls is None else base_urls
        self._routes: dict[str, tuple[str, ...]] = {
            host: tuple(b.rstrip("/") for b in bases) for host, bases in routes.items()
        }
        self._default_bases: tuple[str, ...] | None = self._routes.get("*")
        self._preferred: dict[str, int] = {}
        self._lock = threading.Lock()
        self.timeout = timeout if isinstance(timeout, urllib3.Timeout) else urllib3.Timeout(timeout)
        kwargs: dict[str, object] = {"maxsize": maxsize, "cert_reqs": "CERT_REQUIRED"}
        if ca_certs:
            kwargs["ca_certs"] = ca_certs
        if proxy_url:
            self._pool: urllib3.PoolManager = urllib3.ProxyManager(
                proxy_url, proxy_headers=dict(proxy_headers or {}), **kwargs  # type: ignore[arg-type]
            )
        else:
            self._pool = urllib3.PoolManager(**kwargs)  # type: ignore[arg-type]

    @classmethod
    def for_base_url(cls, base_url: str, **kwargs: object) -> Urllib3Transport:
        """A transport that sends every request, whatever its host, to ``base_url``.

        This is how the client talks to the sandbox, a proxy gateway, or a test server.
        """
        return cls(base_urls={"*": (base_url,)}, **kwargs)  # type: ignore[arg-type]

    def _bases(self, host: str) -> tuple[str, ...]:
        bases = self._routes.get(host) or self._default_bases
        return bases if bases else (f"https://{host}",)

    def send(self, request: Request) -> Response:
        host = request.host
        bases = self._bases(host)
        start = self._preferred.get(host, 0) if len(bases) > 1 else 0
        target = request.target
        headers = dict(request.headers) if request.headers else None
        last: ConnectError | None = None
        for i in range(len(bases)):
            index = (start + i) % len(bases)
            url = bases[index] + target
            try:
                raw = self._pool.urlopen(
                    request.method,
                    url,
                    body=request.body or None,
                    headers=headers,
                    retries=False,
                    redirect=False,
                    timeout=self.timeout,
                    preload_content=True,
                )
            except (NewConnectionError, ConnectTimeoutError, ProxyError, SSLError) as exc:
                last = ConnectError(
                    f"{request.endpoint}: cannot connect to {bases[index]}: {_reason(exc)}",
                    endpoint=request.endpoint,
                    url=redact_url(url),
                )
                if i + 1 < len(bases):
                    logger.warning(
                        "%s: %s unreachable (%s); failing over to %s",
                        request.endpoint, bases[index], _reason(exc),
                        bases[(index + 1) % len(bases)],
                    )
                continue
            except _Urllib3ReadTimeout as exc:
                raise ReadTimeoutError(
                    f"{request.endpoint}: no answer within the read timeout",
                    endpoint=request.endpoint, url=redact_url(url),
                ) from None
            except (ProtocolError, HTTPError) as exc:
                raise ReadError(
                    f"{request.endpoint}: connection broke before the answer arrived: "
                    f"{_reason(exc)}",
                    endpoint=request.endpoint, url=redact_url(url),
                ) from None
            if index != start:
                with self._lock:
                    self._preferred[host] = index
            return Response(
                status=raw.status,
                body=raw.data,
                headers={k.lower(): v for k, v in raw.headers.items()},
            )
        assert last is not None
        raise last

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> Urllib3Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Urllib3Transport(routes={self._routes!r})"


def _reason(exc: BaseException) -> str:
    """A short cause for a urllib3 error, with any URL in it redacted."""
    reason = getattr(exc, "reason", None) or exc
    return redact_url(str(reason))
