"""The sandbox as an in-process transport: no sockets, same behaviour."""

from __future__ import annotations

import time
from collections.abc import Callable

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError
from wxcore.http import Request, Response

from wxcore.adapters.sandbox.core import NetworkFault, WeChatSandbox

__all__ = ["SandboxAnswers", "SandboxTransport"]


class SandboxAnswers:
    """What the sync and async in-memory transports share: the sandbox's answer to a request.

    Injected network faults map to the errors a real transport raises: ``reset`` to
    :class:`ReadError`; ``slow`` waits and, when the delay reaches ``read_timeout``, raises
    :class:`ReadTimeoutError` as a socket would. Requests for a logical host in
    ``refuse_hosts`` fail with :class:`ConnectError`.
    """

    def __init__(self, sandbox: WeChatSandbox, *, read_timeout: float = 15.0,
                 refuse_hosts: frozenset[str] = frozenset()) -> None:
        self.sandbox = sandbox
        self.read_timeout = read_timeout
        self.refuse_hosts = refuse_hosts

    def _answer(self, request: Request, pause: Callable[[float], None]) -> Response:
        """The sandbox's answer, with ``pause`` called for each delay it asks for."""
        if request.host in self.refuse_hosts:
            raise ConnectError(f"{request.endpoint}: connection refused by {request.host}",
                               endpoint=request.endpoint)
        try:
            return self.sandbox.handle(request.method, request.target, request.body,
                                       dict(request.headers), pause=pause)
        except ReadTimeoutError:
            raise ReadTimeoutError(f"{request.endpoint}: no answer within the read timeout",
                                   endpoint=request.endpoint) from None
        except NetworkFault:
            raise ReadError(f"{request.endpoint}: connection reset by peer",
                            endpoint=request.endpoint) from None


class SandboxTransport(SandboxAnswers):
    """Answers requests from a :class:`WeChatSandbox` in memory (see :class:`SandboxAnswers`);
    a ``slow`` fault waits through ``sleep``."""

    def __init__(
        self,
        sandbox: WeChatSandbox,
        *,
        read_timeout: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        refuse_hosts: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(sandbox, read_timeout=read_timeout, refuse_hosts=refuse_hosts)
        self._sleep = sleep

    def _pause(self, seconds: float) -> None:
        if seconds >= self.read_timeout:
            self._sleep(self.read_timeout)
            raise ReadTimeoutError("no answer within the read timeout")
        self._sleep(seconds)

    def send(self, request: Request) -> Response:
        return self._answer(request, self._pause)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"SandboxTransport({len(self.sandbox.apps)} apps)"
