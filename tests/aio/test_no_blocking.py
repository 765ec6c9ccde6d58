"""Nothing blocks the event loop: the async paths run under asyncio's debug mode with a
slow-callback threshold, and a callback over it fails the test.

Every callback (a task step) that holds the loop longer than the threshold is reported;
sync I/O inside an async path (a blocking socket, a file read, a sync Redis call,
``time.sleep``) shows up there. A callback's time is its wall time less the time its thread
waited for a CPU (Linux's ``/proc/thread-self/schedstat`` run delay): on a shared, loaded
machine a step is otherwise stretched by other processes, and asyncio's own slow-callback
warning (wall time only) failed this test on load alone. The loop still runs in debug mode
for asyncio's other checks; the harness itself is checked to catch a blocking call.
"""

from __future__ import annotations

import asyncio
import gc
import os
import pathlib
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from wxcore.tokens import Token

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.async_miniprogram import AsyncMiniProgram
from wxcore.adapters.async_token_remote import AsyncRemoteTokenProvider
from wxcore.adapters.client import Client
from wxcore.adapters.httpx_transport import HttpxAsyncTransport
from wxcore.adapters.sandbox import AsyncSandboxTransport, SandboxServer, WeChatSandbox, phone_code
from wxcore.adapters.stores import token_key
from wxcore.adapters.stores.async_redis import AsyncRedisTokenStore
from wxcore.adapters.stores.redis import RedisTokenStore
from wxcore.adapters.token_server import TokenServer, TokenService
from wxcore.adapters.transport import Urllib3Transport

SLOW = 0.25  # seconds one callback may hold the loop
T = TypeVar("T")


def slow_callbacks(work: Callable[[], Awaitable[None]],
                   caplog: pytest.LogCaptureFixture) -> list[str]:
    """Run ``work`` in a debug-mode loop; the callbacks that held the loop over ``SLOW``
    seconds, not counting the time their thread waited for a CPU."""
    schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    slow: list[str] = []
    run = asyncio.events.Handle._run

    def run_delay() -> float:  # seconds this thread has waited on a run queue
        return int(os.pread(schedstat, 128, 0).split()[1]) / 1e9

    def timed(handle: asyncio.events.Handle) -> None:
        started, waited = time.monotonic(), run_delay()
        run(handle)
        held = time.monotonic() - started - (run_delay() - waited)
        if held > SLOW:
            slow.append(f"{handle!r} held the loop {held:.3f} s")

    async def main() -> None:
        asyncio.get_running_loop().slow_callback_duration = 3600  # measured here instead
        await work()

    caplog.clear()
    gc.collect()
    gc.disable()  # a collection over the whole suite's heap is no blocking call, yet long
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(asyncio.events.Handle, "_run", timed)
            asyncio.run(main(), debug=True)
    finally:
        gc.enable()
        os.close(schedstat)
    return slow


async def many(call: Callable[[], Awaitable[T]], n: int = 100) -> list[T]:
    """``call()`` in ``n`` concurrent tasks, started 25 per loop step: in debug mode each
    task's creation records a stack, and 100 of them in one step would hold the loop."""
    tasks: list[asyncio.Future[T]] = []
    for start in range(0, n, 25):
        tasks += [asyncio.ensure_future(call()) for _ in range(min(25, n - start))]
        await asyncio.sleep(0)
    return list(await asyncio.gather(*tasks))


def test_the_check_catches_a_blocking_call(caplog: pytest.LogCaptureFixture) -> None:
    async def blocking() -> None:
        time.sleep(SLOW * 1.5)

    assert len(slow_callbacks(blocking, caplog)) == 1


def test_async_clients_never_hold_the_loop(sandbox_server: SandboxServer, tmp_path: pathlib.Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    app = sandbox_server.sandbox.default_app
    memory = WeChatSandbox()
    image = tmp_path / "code.png"

    async def work() -> None:
        for transport in (HttpxAsyncTransport.for_base_url(sandbox_server.base_url),
                          AiohttpTransport.for_base_url(sandbox_server.base_url)):
            async with AsyncMiniProgram(app.appid, app.secret, transport=transport) as mp:
                await many(mp.get_access_token, 200)
                await many(lambda: mp.get_phone_number(
                    phone_code(sandbox_server.sandbox, "13912345678")), 20)
        local = memory.default_app
        mp = AsyncMiniProgram(local.appid, local.secret, transport=AsyncSandboxTransport(memory))
        image.write_bytes((await mp.get_wxacode("pages/a")).content)
        media_id = (await mp.super_resolution(img=image)).media_id
        await mp.get_temp_media(media_id, tmp_path / "copy.png")
        assert (tmp_path / "copy.png").read_bytes() == image.read_bytes()

    assert slow_callbacks(work, caplog) == []


def test_shared_tokens_never_hold_the_loop(sandbox_server: SandboxServer, redis_url: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """Tokens shared through Redis (a cold token for 100 tasks, a sync process's lease
    waited out, a forced refresh counted in Redis) and through the token service."""
    app = sandbox_server.sandbox.default_app
    key = token_key(app.appid, "access_token", "stable")
    sync_store = RedisTokenStore(redis_url)
    sync_store.redis.flushdb()
    service = TokenService.for_clients([Client(
        app.appid, app.secret, transport=Urllib3Transport.for_base_url(sandbox_server.base_url))])

    def sync_refresh(token: Token) -> None:
        """Another process's refresh: hold the lease a while, then store a new token."""
        with sync_store.lock(key) as held:
            assert held
            time.sleep(SLOW * 2)
            sync_store.save(key, token)

    async def work() -> None:
        async with AsyncRedisTokenStore(redis_url, max_connections=8) as store:
            mp = AsyncMiniProgram(app.appid, app.secret, token_store=store,
                                  transport=AiohttpTransport.for_base_url(sandbox_server.base_url))
            async with mp:
                tokens = await many(mp.get_access_token)
                assert len(set(tokens)) == 1
                await mp.token_provider.invalidate(Token(value=tokens[0]))  # force_refresh
                assert await mp.get_access_token() != tokens[0]
                await store.save(key, Token(value="81_expired", expires_at=time.time() - 1))
                fresh = Token(value="81_from_sync", expires_at=time.time() + 7200)
                holder = asyncio.ensure_future(asyncio.to_thread(sync_refresh, fresh))
                await asyncio.sleep(SLOW / 2)  # the sync process holds the lease by now
                waited = await many(mp.get_access_token)
                await holder
                assert set(waited) == {fresh.value}
        with TokenServer(service, "s3cret-shared-by-the-fleet") as server:
            async with AsyncRemoteTokenProvider(server.base_url, app.appid,
                                                secret="s3cret-shared-by-the-fleet") as remote:
                served = await many(remote.get)
                assert len({t.value for t in served}) == 1

    assert slow_callbacks(work, caplog) == []


def test_the_async_message_server_never_holds_the_loop(redis_url: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Encrypted pushes through the ASGI app: an ``async def`` handler on the loop, a plain
    one (which blocks, as sync code may) in a worker thread, de-duplication in Redis, and
    WeChat's retry of one push answered from Redis without running a handler again."""
    import httpx
    import redis.asyncio

    from wxcore.messages import PushSettings, Router, TextMessage

    from wxcore.adapters.async_message_server import AsyncMessageServer, AsyncRedisDedupStore
    from wxcore.adapters.sandbox.pushes import PushSender, event_push, text_push

    settings = PushSettings(token="no-blocking-token", appid="wx1234567890abcdef",
                            encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    router = Router()
    handled: list[str] = []

    @router.message("text")
    async def on_text(message: TextMessage) -> str:
        await asyncio.sleep(0)
        handled.append(message.Content)
        return f"got {message.Content}"

    @router.event("subscribe")
    def on_subscribe(message: object) -> str:
        time.sleep(SLOW * 1.5)  # would fail the check if it ran on the loop
        handled.append("subscribe")
        return "welcome"

    url = "http://wechat.test/wechat"
    sender = PushSender(url, settings)
    pushes = [sender.sign(text_push("gh_oa", "o_user", f"n{i}", msg_id=10_000 + i))
              for i in range(40)]
    pushes.append(sender.sign(event_push("gh_oa", "o_user", "subscribe")))
    statuses: list[int] = []

    async def work() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        await client.flushdb()
        server = AsyncMessageServer(router, settings, dedup=AsyncRedisDedupStore(client))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.asgi_app)) as http:
            async def post(index: int) -> int:
                push = pushes[index]
                answer = await http.post(url, params=push.query, content=push.body)
                return answer.status_code
            indexes = iter(range(len(pushes)))
            statuses.extend(await many(lambda: post(next(indexes)), len(pushes)))
            retry = pushes[3]  # WeChat's retry of a push already answered
            again = await http.post(url, params=retry.query, content=retry.body)
            assert again.content == b"success"
        await client.aclose()

    assert slow_callbacks(work, caplog) == []
    assert set(statuses) == {200}
    assert sorted(handled) == sorted([f"n{i}" for i in range(40)] + ["subscribe"])
