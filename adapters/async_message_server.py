"""Serving WeChat pushes from asyncio: :class:`AsyncMessageServer` and async de-duplication.

The same receive path as the sync :class:`~wxcore.adapters.message_server.MessageServer`:
both drive :meth:`wxcore.messages.PushPipeline.steps`, which verifies, decrypts, parses,
routes and renders the reply (encrypted when the push was), and yields only what needs
I/O. Here those effects are awaited: the de-duplication and nonce stores are async
(:class:`AsyncMemoryDedupStore`, :class:`AsyncRedisDedupStore` on redis.asyncio), an
``async def`` handler is awaited on the event loop, and a plain handler runs in a worker
thread (``asyncio.to_thread``), so a blocking handler never holds the loop::

    router = Router()

    @router.message("text")
    async def echo(msg: TextMessage) -> str:
        await save(msg)                       # awaited on the loop
        return msg.Content

    server = AsyncMessageServer(router, settings, dedup=AsyncRedisDedupStore(url))
    app = Starlette(routes=[Route("/wechat", server.asgi_app)])  # FastAPI(routes=...) too

Status codes, logging and the ``dedup_failure`` choice are the sync server's
(:class:`~wxcore.adapters.message_server.PushServerBase`). The Redis store writes the sync
:class:`~wxcore.adapters.message_server.RedisDedupStore`'s keys, so a sync and an async
server of one account de-duplicate WeChat's retries together.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast

from wxcore.errors import UsageError
from wxcore.messages import PushResult, PushSettings, Router
from wxcore.messages.models import Push
from wxcore.messages.replies import ReplyLike
from wxcore.messages.router import Handler
from wxcore.messages.pipeline import CallHandler, CheckNonce, DedupFailure, Forget, PushSteps, Remember

from wxcore.adapters.asgi import ASGIEndpoint
from wxcore.adapters.message_server import (
    DEFAULT_DEDUP_TTL,
    NONCE_PREFIX,
    MemoryDedupStore,
    PushServerBase,
    is_async_handler,
    random_bytes,
)
from wxcore.adapters.stores.dedup import AsyncRedisDedupStore

__all__ = ["AsyncSeenStore", "AsyncMemoryDedupStore", "AsyncRedisDedupStore", "AsyncMessageServer"]


class AsyncSeenStore(Protocol):
    """The async form of :class:`wxcore.messages.SeenStore`: remembers push keys a while."""

    async def add(self, key: str) -> bool:
        """Record ``key``; True when it was new, False when it is a repeat."""

    async def discard(self, key: str) -> None:
        """Forget ``key`` (its handler failed, so a retry must be processed)."""


class AsyncMemoryDedupStore:
    """Remembers keys for ``ttl`` seconds in this process: the sync
    :class:`~wxcore.adapters.message_server.MemoryDedupStore` (bounded, oldest dropped
    first) behind async methods. Its work is a dict update, so it runs on the loop."""

    def __init__(self, ttl: float = DEFAULT_DEDUP_TTL, *, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.memory = MemoryDedupStore(ttl, max_entries=max_entries, clock=clock)

    async def add(self, key: str) -> bool:
        return self.memory.add(key)

    async def discard(self, key: str) -> None:
        self.memory.discard(key)

    def __len__(self) -> int:
        return len(self.memory)


def _check_async_store(store: object, what: str) -> None:
    for method in ("add", "discard"):
        if not inspect.iscoroutinefunction(getattr(store, method, None)):
            raise UsageError(
                f"AsyncMessageServer needs an async {what} (async def add/discard, such as "
                f"AsyncMemoryDedupStore or AsyncRedisDedupStore), not {type(store).__name__}")


class AsyncMessageServer(PushServerBase):
    """One account's (or component's) push endpoint for asyncio: ASGI via :attr:`asgi_app`.

    The options are :class:`~wxcore.adapters.message_server.MessageServer`'s, with async
    stores: ``dedup`` defaults to an :class:`AsyncMemoryDedupStore` (``None`` turns
    de-duplication off; a sync store is refused with a :class:`~wxcore.errors.UsageError`),
    ``nonce_store`` is an optional :class:`AsyncSeenStore`. Handlers may be ``async def``
    (awaited on the loop) or plain functions (run in a worker thread): see
    :meth:`run_handler`, the one step that runs them.
    """

    _memory_dedup = AsyncMemoryDedupStore
    dedup: AsyncSeenStore | None
    nonce_store: AsyncSeenStore | None

    def __init__(
        self,
        router: Router,
        settings: PushSettings,
        *,
        dedup: AsyncSeenStore | None | str = "memory",
        dedup_failure: DedupFailure = "open",
        nonce_store: AsyncSeenStore | None = None,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = random_bytes,
    ) -> None:
        super().__init__(router, settings, dedup=dedup, dedup_failure=dedup_failure,
                         nonce_store=nonce_store, clock=clock, random_bytes=random_bytes)
        if self.dedup is not None:
            _check_async_store(self.dedup, "de-duplication store")
        if nonce_store is not None:
            _check_async_store(nonce_store, "nonce store")
        #: This endpoint as an ASGI 3 application (route it, or serve it with uvicorn).
        self.asgi_app = ASGIEndpoint(self)

    async def handle(self, query: Mapping[str, str], body: bytes) -> PushResult:
        """Run the pipeline with the real clock and randomness; raises MessageError."""
        steps: PushSteps = self.pipeline.steps(
            query, body, now=self.clock(), random_bytes=self.random_bytes,
            dedup=self.dedup is not None, nonce_check=self.nonce_store is not None,
            dedup_failure=self.dedup_failure)
        answer: Any = None
        failure: BaseException | None = None
        while True:
            try:
                effect = steps.send(answer) if failure is None else steps.throw(failure)
            except StopIteration as done:
                result: PushResult = done.value
                return result
            failure = None
            try:
                if type(effect) is CallHandler:
                    answer = await self.run_handler(effect.handler, effect.message)
                elif type(effect) is Remember:
                    assert self.dedup is not None  # Remember and Forget come only with dedup
                    answer = await self.dedup.add(effect.key)
                elif type(effect) is Forget:
                    assert self.dedup is not None
                    await self.dedup.discard(effect.key)
                    answer = None
                elif type(effect) is CheckNonce:
                    assert self.nonce_store is not None  # CheckNonce comes only with a store
                    answer = not await self.nonce_store.add(NONCE_PREFIX + effect.nonce)
            except BaseException as exc:  # handed to the steps, which decide what it means
                failure = exc

    async def run_handler(self, handler: Handler, message: Push) -> ReplyLike:
        """Run the routed ``handler`` on ``message``: an ``async def`` one is awaited on the
        loop, a plain one runs in a worker thread (``asyncio.to_thread``; a coroutine it
        returns is awaited too), so a blocking handler never holds the loop.

        Every push's handler runs through here: a subclass may override it to wrap them
        all (set a context variable, open a span), calling ``super().run_handler``.
        """
        if is_async_handler(handler):
            return await cast(Awaitable[ReplyLike], handler(message))
        answer = await asyncio.to_thread(handler, message)
        if inspect.isawaitable(answer):  # a plain callable that returned a coroutine
            answer = await answer
        return answer

    async def respond(
        self, method: str, query: Mapping[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Framework-agnostic: (status, headers, body) for one HTTP request."""
        refused = self.refuse_request(method, query)
        if refused is not None:
            return refused
        try:
            result = await self.handle(query, body if method == "POST" else b"")
        except Exception as exc:
            return self.refusal(exc)
        return self.answer(result)
