"""The async executor: :class:`AsyncClient` drives :func:`wxcore.policy.run_call` with ``await``.

It is :class:`~wxcore.adapters.client.ClientBase` (credentials, providers per credential
kind, store keys) plus a loop of a few lines answering the policy's effects: a credential
from an async provider, a request through an async transport (retried by
:class:`~wxcore.adapters.async_transport.AsyncRetryingTransport`), an invalidation, a pause
with ``await asyncio.sleep``. Facade declarations (:mod:`wxcore.facade`) read from a class
whose ``call`` is ``async def`` become coroutine functions, so
``AsyncMiniProgram(MiniProgramAPI, AsyncClient)`` needs no endpoint written twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, Literal, TypeVar

from wxcore.endpoint import Call
from wxcore.http import Request, Response
from wxcore.policy import DEFAULT_POLICY, RESUMABLE_ERRORS, CallPolicy, Effect, run_call

from wxcore.adapters.async_tokens import (
    AsyncCachedTokenProvider,
    AsyncForceRefreshBudget,
    AsyncTokenProvider,
    AsyncTokenStore,
    Immediate,
    arun_steps,
)
from wxcore.adapters.async_transport import (
    AsyncRetryingTransport,
    AsyncTransport,
    default_async_transport,
)
from wxcore.adapters.client import ClientBase, log_send
from wxcore.adapters.deadline import close_deadline, open_deadline
from wxcore.adapters.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from wxcore.adapters.tokens import (
    AccessTokenFetcher,
    StaticTokenProvider,
    TicketFetcher,
    TokenProvider,
)

__all__ = ["AsyncClient"]

T = TypeVar("T")
logger = logging.getLogger("wxcore.client")


class AsyncClient(ClientBase[AsyncTokenProvider, AsyncTokenStore]):
    """One WeChat app and everything needed to call its APIs from asyncio.

    * ``transport``: an :class:`~wxcore.adapters.async_transport.AsyncTransport` (default:
      :func:`~wxcore.adapters.async_transport.default_async_transport`, the faster of
      aiohttp and httpx that is installed), wrapped in ``AsyncRetryingTransport`` with
      ``retry`` unless it is None.
    * ``sleep`` (async) and ``clock`` are injectable so tests control time.
    * Use it as ``async with AsyncClient(...) as client`` or ``await client.aclose()``.
    """

    def __init__(
        self,
        appid: str,
        secret: str | None = None,
        *,
        transport: AsyncTransport | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY_POLICY,
        token_provider: AsyncTokenProvider | None = None,
        token_store: AsyncTokenStore | None = None,
        token_api: Literal["stable", "token"] = "stable",
        ticket_providers: Mapping[str, AsyncTokenProvider] | None = None,
        policy: CallPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._sleep = sleep
        base = transport if transport is not None else default_async_transport()
        self.transport: AsyncTransport = (
            AsyncRetryingTransport(base, retry, sleep=sleep) if retry is not None else base)
        self._deadline = retry.deadline if retry is not None else None
        super().__init__(appid, secret, token_provider=token_provider, token_store=token_store,
                         token_api=token_api, ticket_providers=ticket_providers, policy=policy,
                         clock=clock)

    # -- providers ------------------------------------------------------------------------

    def _immediate(self, provider: TokenProvider) -> AsyncTokenProvider:
        return Immediate(provider)

    def _default_token_provider(self, secret: str | None) -> AsyncTokenProvider:
        if not secret:
            return Immediate(StaticTokenProvider(clock=self._clock))
        # Counted in the store when it keeps one (AsyncRedisTokenStore: the sync store's key).
        budget = AsyncForceRefreshBudget(clock=self._clock, store=self.token_store,
                                         key=self.store_key("force_refresh"))
        fetcher = AccessTokenFetcher(self.call, self.appid, api=self.token_api,
                                     clock=self._clock)
        return AsyncCachedTokenProvider(
            lambda rejected: arun_steps(fetcher.steps(rejected), self.call, budget),
            key=self.store_key("access_token", self.token_api), store=self.token_store,
            clock=self._clock)

    def _new_ticket_provider(self, ticket_type: Literal["jsapi", "wx_card"],
                             ) -> AsyncTokenProvider:
        fetcher = TicketFetcher(self.call, ticket_type, clock=self._clock)
        return AsyncCachedTokenProvider(
            lambda rejected: arun_steps(fetcher.steps(rejected), self.call),
            key=self.store_key("ticket", ticket_type), store=self.token_store,
            clock=self._clock)

    # -- driving calls --------------------------------------------------------------------

    async def call(self, call: Call[T]) -> T:
        """Send ``call`` with the right credential and return its typed result, within the
        retry policy's ``deadline`` (every send, resend, pause and token fetch included)."""
        opened = open_deadline(self._deadline)  # not a with block: the call's hot path
        try:
            if call.credential is not None:  # a user's own token: the policy from the start
                return await self._drive_effects(call, run_call(call, self.policy))
            # The first attempt without the policy's generator, as in the sync Client._drive;
            # only an outcome the policy acts on is handed to it (ClientBase._resumed).
            request = call.request
            kind = request.auth.kind
            token = None
            if kind is not None:
                provider = self._credentials.get(kind) or self.credential_provider(kind)
                peek = getattr(provider, "peek", None)  # a token at hand needs no await
                token = peek() if peek is not None else None
                if token is None:
                    token = await provider.get()
            bound = call.bound(token.value if token is not None else None)
            if logger.isEnabledFor(logging.DEBUG):  # the redacted URL costs a regex: log only
                log_send(bound)
            response = await self.transport.send(bound)
            try:
                return call.parse(response)
            except RESUMABLE_ERRORS:
                return await self._drive_effects(call, self._resumed(call, token, response))
        finally:
            close_deadline(opened)

    async def _drive_effects(self, call: Call[T], effects: Generator[Effect, Any, T]) -> T:
        """Drive the policy to its end, awaiting each answer (see ClientBase._answer_effect)."""
        answer: Any = None
        try:
            while True:
                answer = await self._answer_effect(call, effects.send(answer))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # StopIteration.value is Any

    def _effect_send(self, request: Request) -> Awaitable[Response]:
        return self.transport.send(request)

    def _effect_pause(self, seconds: float) -> Awaitable[None]:
        return self._sleep(seconds)

    # -- tokens -----------------------------------------------------------------------------

    async def get_access_token(self) -> str:
        """The current access token (fetched or refreshed if needed)."""
        return (await self.token_provider.get()).value

    async def get_jsapi_ticket(self) -> str:
        """The JS-SDK ticket for ``wx.config`` signatures, cached for its lifetime."""
        return (await self.ticket_provider("jsapi").get()).value

    # -- lifecycle ------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r}, transport={self.transport!r})"


_A = TypeVar("_A", bound=AsyncClient)
