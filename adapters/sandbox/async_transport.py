"""The sandbox as an in-process async transport: no sockets, the sync transport's behaviour.

The sandbox answers synchronously (it is memory only, so that is no blocking I/O); the
delays it asks for (``slow`` faults) are added up while it answers and then awaited with
the async ``sleep``, so a slow answer suspends only its own task. A delay reaching
``read_timeout`` raises :class:`~wxcore.errors.ReadTimeoutError` after that long, as a socket
would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from wxcore.errors import ReadTimeoutError
from wxcore.http import Request, Response

from wxcore.adapters.sandbox.core import WeChatSandbox
from wxcore.adapters.sandbox.transport import SandboxAnswers

__all__ = ["AsyncSandboxTransport"]


class AsyncSandboxTransport(SandboxAnswers):
    """Answers requests from a :class:`WeChatSandbox` in memory, for async clients."""

    def __init__(
        self,
        sandbox: WeChatSandbox,
        *,
        read_timeout: float = 15.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        refuse_hosts: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(sandbox, read_timeout=read_timeout, refuse_hosts=refuse_hosts)
        self._async_sleep = sleep

    async def send(self, request: Request) -> Response:
        delays: list[float] = []

        def pause(seconds: float) -> None:
            if sum(delays) + seconds >= self.read_timeout:
                delays.append(self.read_timeout - sum(delays))
                raise ReadTimeoutError("no answer within the read timeout")
            delays.append(seconds)

        try:
            response = self._answer(request, pause)
        except ReadTimeoutError:
            await self._async_sleep(sum(delays))
            raise
        if delays:
            await self._async_sleep(sum(delays))
        return response

    async def aclose(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"AsyncSandboxTransport({len(self.sandbox.apps)} apps)"
