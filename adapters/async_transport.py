"""The async side of transports: the :class:`AsyncTransport` protocol, retries around any
async transport (:class:`AsyncRetryingTransport`, tenacity's ``AsyncRetrying``), and the
choice of the default one (:func:`default_async_transport`).

The retry rules are :class:`~wxcore.adapters.retry.RetryRules`, the same object the sync
:class:`~wxcore.adapters.retry.RetryingTransport` uses: connect errors always retried, read
errors and 502/503/504 only for idempotent requests, bounded attempts, total wait and
deadline. Waiting is ``await asyncio.sleep`` (injectable), so it never blocks the loop.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol, runtime_checkable

from wxcore.errors import TransportError, UsageError
from wxcore.http import Request, Response

from wxcore.adapters.deadline import close_deadline, open_deadline
from wxcore.adapters.retry import DEFAULT_RETRY_POLICY, RetryPolicy, RetryRules

__all__ = ["AsyncTransport", "AsyncRetryingTransport", "default_async_transport",
           "ASYNC_TRANSPORTS"]


@runtime_checkable
class AsyncTransport(Protocol):
    """Sends one request and returns its response; raises ``TransportError`` on failure."""

    async def send(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...


class AsyncRetryingTransport(RetryRules):
    """Wraps the async ``inner`` and retries what :class:`RetryPolicy` allows.

    ``sleep`` is an async function (``asyncio.sleep`` by default); tests pass a recorder.
    The first attempt runs outside tenacity, as in the sync wrapper.
    """

    def __init__(
        self,
        inner: AsyncTransport,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(policy, rng)
        self.inner = inner
        self._sleep = sleep

    async def send(self, request: Request) -> Response:
        opened = open_deadline(self.policy.deadline)
        try:
            try:
                response = await self.inner.send(request)
            except TransportError as exc:
                if not self.retry_first_error(request, exc):
                    raise
                return await self._retry(request, exc)
            if response.status in self.resent_statuses and request.idempotent:
                return await self._retry(request, response)
            return response
        finally:
            close_deadline(opened)

    async def _retry(self, request: Request, first: Response | TransportError) -> Response:
        import tenacity  # on the first retry, as in the sync wrapper

        pending: Iterator[Response | TransportError] = iter((first,))

        async def attempt() -> Response:
            outcome = next(pending, None)
            if outcome is None:
                return await self.inner.send(request)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        retrying = tenacity.AsyncRetrying(sleep=self._sleep, **self.tenacity_args(request))
        return await retrying(attempt)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __repr__(self) -> str:
        return f"AsyncRetryingTransport({self.inner!r}, {self.policy!r})"


#: The async transports in order of preference (the faster first, as measured by
#: benchmarks/bench_async.py; see docs/async.md), by the package each needs.
ASYNC_TRANSPORTS: tuple[tuple[str, str], ...] = (
    ("aiohttp", "wxcore.adapters.aiohttp_transport:AiohttpTransport"),
    ("httpx", "wxcore.adapters.httpx_transport:HttpxAsyncTransport"),
)


def default_async_transport(**options: Any) -> AsyncTransport:
    """The preferred async transport whose library is installed, made with ``options``
    (what both take: ``base_urls``, ``timeout``, ``ca_certs``)."""
    for package, target in ASYNC_TRANSPORTS:
        if importlib.util.find_spec(package) is not None:
            module, name = target.split(":")
            cls: type[AsyncTransport] = getattr(importlib.import_module(module), name)
            return cls(**options)
    raise UsageError("AsyncClient needs httpx or aiohttp: pip install 'wxcore[httpx]' "
                     "(or 'wxcore[aiohttp]'), or pass transport=")
