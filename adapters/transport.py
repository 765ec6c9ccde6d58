"""Transports: the one small interface that puts a :class:`~wxcore.http.Request` on the wire.

A transport takes a bound request and returns a :class:`~wxcore.http.Response`, or raises a
:class:`~wxcore.errors.TransportError`. It never decodes JSON and never retries (wrap it in
:class:`~wxcore.adapters.retry.RetryingTransport` for that), so its behaviour is easy to state
and to replace: a test can pass any object with ``send`` and ``close``.

The default is :class:`~wxcore.adapters.urllib3_transport.Urllib3Transport`, offered here too
(``from wxcore.adapters.transport import Urllib3Transport``). It is loaded on first access, so
importing this module -- as the client and the facades do -- does not import urllib3; the
client makes its default transport, and so imports urllib3, only when it is constructed
without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from wxcore.http import Request, Response

from wxcore.adapters.routing import WECHAT_API_BASES

if TYPE_CHECKING:
    from wxcore.adapters.urllib3_transport import DEFAULT_TIMEOUT, Urllib3Transport

__all__ = [
    "Transport",
    "Urllib3Transport",
    "DEFAULT_TIMEOUT",
    "WECHAT_API_BASES",
]


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns its response; raises ``TransportError`` on failure."""

    def send(self, request: Request) -> Response: ...

    def close(self) -> None: ...


def __getattr__(name: str) -> Any:
    """``Urllib3Transport`` and ``DEFAULT_TIMEOUT``, imported (with urllib3) on first access."""
    if name in ("Urllib3Transport", "DEFAULT_TIMEOUT"):
        from wxcore.adapters import urllib3_transport

        return getattr(urllib3_transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
