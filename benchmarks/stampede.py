"""The token stampede: how many upstream token fetches when many callers find no fresh token.

Three loads, each run with wxcore and with wechatpy 1.8.18, both against the loopback sandbox
(``SandboxServer``), which counts the fetches it answers (wxcore asks cgi-bin/stable_token,
wechatpy cgi-bin/token):

* ``threads``: T threads of one process share one client whose cached token is stale
  (wxcore: a ``MemoryTokenStore`` holding it; wechatpy: a fresh ``WeChatClient``, which
  holds none, in its default memory session);
* ``processes``: P processes x T threads share a real Redis (``bench_tokens.stampede``:
  wxcore's ``RedisTokenStore`` holding a stale token; wechatpy's ``RedisStorage`` holding
  none), every thread released at once;
* ``tasks``: N asyncio tasks of one event loop share one ``AsyncClient`` (its
  ``AsyncCachedTokenProvider`` over ``AsyncRedisTokenStore`` on the same real Redis, holding
  a stale token); wechatpy has no asyncio client, so its tasks call the sync client (its
  ``RedisStorage`` holding none) through ``asyncio.to_thread``, as an asyncio application
  would.

One upstream fetch is the goal for wxcore; wechatpy's figure is shown beside it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import bench_tokens
import peers

from wxcore.tokens import Token

STABLE, TOKEN_PATH = "/cgi-bin/stable_token", "/cgi-bin/token"


def _released_together(n: int, work: Callable[[], object]) -> None:
    """``n`` threads each call ``work`` once, released together by a barrier."""
    barrier = threading.Barrier(n)

    def one() -> None:
        barrier.wait()
        work()

    workers = [threading.Thread(target=one) for _ in range(n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


def threads(n: int, wechatpy: bool) -> tuple[int, int | None]:
    """(wxcore's fetches, wechatpy's or None) for ``n`` threads of one process."""
    from wxcore.adapters.client import Client
    from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
    from wxcore.adapters.tokens import MemoryTokenStore
    from wxcore.adapters.transport import Urllib3Transport

    with SandboxServer(WeChatSandbox()) as server:
        app = server.sandbox.default_app
        store = MemoryTokenStore()
        store.save(bench_tokens.KEY, Token(value="81_stale", expires_at=time.time() - 1))
        client = Client(app.appid, app.secret, token_store=store,
                        transport=Urllib3Transport.for_base_url(server.base_url))
        _released_together(n, client.get_access_token)
        ours = server.sandbox.calls[STABLE]
        if not wechatpy:
            return ours, None
        theirs = peers.token_client(server.base_url, app.appid, app.secret)
        _released_together(n, lambda: theirs.access_token)
        return ours, server.sandbox.calls[TOKEN_PATH]


def processes(redis_url: str, count: int, per_process: int,
              wechatpy: bool) -> tuple[int, float, int | None]:
    """(wxcore's fetches, seconds until its last thread had a token, wechatpy's fetches)."""
    ours, _, last = bench_tokens.stampede(redis_url, count, per_process, True)
    theirs = None
    if wechatpy:
        theirs = bench_tokens.stampede(redis_url, count, per_process, True, sdk="wechatpy")[0]
    return ours, last, theirs


async def _tasks_wxcore(base_url: str, appid: str, secret: str, n: int,
                        redis_url: str | None) -> None:
    from wxcore.adapters.async_client import AsyncClient
    from wxcore.adapters.async_tokens import AsyncMemoryTokenStore, AsyncTokenStore
    from wxcore.adapters.httpx_transport import HttpxAsyncTransport

    from wxcore.adapters.stores.async_redis import AsyncRedisTokenStore

    shared = AsyncRedisTokenStore(redis_url) if redis_url is not None else None
    store: AsyncTokenStore = shared if shared is not None else AsyncMemoryTokenStore()
    await store.save(bench_tokens.KEY, Token(value="81_stale", expires_at=time.time() - 1))
    async with AsyncClient(appid, secret, token_store=store,
                           transport=HttpxAsyncTransport.for_base_url(base_url)) as client:
        await asyncio.gather(*(client.get_access_token() for _ in range(n)))
    if shared is not None:
        await shared.aclose()


async def _tasks_wechatpy(base_url: str, appid: str, secret: str, n: int,
                          redis_url: str | None) -> None:
    session = None
    if redis_url is not None:
        import redis
        from wechatpy.session.redisstorage import RedisStorage

        session = RedisStorage(redis.Redis.from_url(redis_url))
    client = peers.token_client(base_url, appid, secret, session)
    await asyncio.gather(*(asyncio.to_thread(lambda: client.access_token) for _ in range(n)))


def tasks(n: int, wechatpy: bool, redis_url: str | None = None) -> tuple[int, int | None]:
    """(wxcore's fetches, wechatpy's or None) for ``n`` asyncio tasks of one event loop,
    the tokens in Redis at ``redis_url`` (wxcore: ``AsyncRedisTokenStore``; wechatpy: its
    ``RedisStorage``), or in memory without one."""
    from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox

    if redis_url is not None:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    with SandboxServer(WeChatSandbox()) as server:
        app = server.sandbox.default_app
        asyncio.run(_tasks_wxcore(server.base_url, app.appid, app.secret, n, redis_url))
        ours = server.sandbox.calls[STABLE]
        if not wechatpy:
            return ours, None
        asyncio.run(_tasks_wechatpy(server.base_url, app.appid, app.secret, n, redis_url))
        return ours, server.sandbox.calls[TOKEN_PATH]
