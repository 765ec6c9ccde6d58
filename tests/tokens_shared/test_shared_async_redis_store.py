"""AsyncRedisTokenStore against a real redis-server, side by side with the sync store: one
encoding, one lease, one compare-and-delete, one force_refresh budget."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from support import FakeClock, free_port
import redis

from wxcore.errors import TokenError
from wxcore.tokens import Token

from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.async_tokens import AsyncCachedTokenProvider, AsyncForceRefreshBudget
from wxcore.adapters.client import Client
from wxcore.adapters.sandbox import AsyncSandboxTransport, SandboxTransport, WeChatSandbox
from wxcore.adapters.stores import token_key
from wxcore.adapters.stores.async_redis import AsyncRedisTokenStore
from wxcore.adapters.stores.redis import RedisTokenStore
from wxcore.adapters.tokens import ForceRefreshBudget

KEY = "wxcore:wx5b2e7d9c1a04f836:access_token:stable"


def test_a_token_saved_by_either_store_reads_back_in_the_other(rdb: redis.Redis,
                                                               redis_url: str) -> None:
    sync = RedisTokenStore(redis_url, prefix="p:")
    token = Token(value="81_from_async", expires_at=time.time() + 7200, issued_at=time.time())
    forever = Token(value="ticket-from-push")

    async def main() -> None:
        async with AsyncRedisTokenStore(redis_url, prefix="p:") as store:
            await store.save(KEY, token)
            assert sync.load(KEY) == token
            assert 7200 < rdb.ttl("p:" + KEY) <= 7260  # the same TTL rule as the sync store
            sync.save("wxcore:wx1:component_verify_ticket", forever)
            assert await store.load("wxcore:wx1:component_verify_ticket") == forever
            assert await store.load("wxcore:wx1:nothing") is None

    asyncio.run(main())
    assert set(rdb.keys("*")) == {b"p:" + KEY.encode(), b"p:wxcore:wx1:component_verify_ticket"}


def test_invalidation_by_value_is_the_sync_stores_script(rdb: redis.Redis, redis_url: str) -> None:
    sync = RedisTokenStore(redis_url)
    new = Token(value="81_new", expires_at=time.time() + 7200)

    async def main() -> None:
        async with AsyncRedisTokenStore(redis_url) as store:
            sync.save(KEY, new)
            assert await store.delete_if(KEY, Token(value="81_old")) is False
            assert sync.load(KEY) == new  # renewed meanwhile: kept
            assert await store.delete_if(KEY, Token(value="81_new")) is True
            assert sync.load(KEY) is None
            rdb.set(KEY, b"not json")
            assert await store.delete_if(KEY, new) is False and rdb.get(KEY) == b"not json"

    asyncio.run(main())


def test_a_sync_holder_and_an_async_holder_exclude_each_other(rdb: redis.Redis,
                                                              redis_url: str) -> None:
    sync = RedisTokenStore(redis_url, lock_ttl=5)

    async def main() -> None:
        async with AsyncRedisTokenStore(redis_url, lock_ttl=5) as store:
            with sync.lock(KEY, blocking=False) as held:
                assert held
                async with store.lock(KEY, blocking=False) as other:
                    assert other is False
                assert rdb.exists(KEY + ":lock")  # the loser left the winner's lease alone
            async with store.lock(KEY, blocking=False) as held_async:
                assert held_async and 0 < rdb.pttl(KEY + ":lock") <= 5000
                with sync.lock(KEY, blocking=False) as other_sync:
                    assert other_sync is False
            assert not rdb.exists(KEY + ":lock")

    asyncio.run(main())


def test_an_async_holder_past_its_lease_does_not_release_the_next_holders(
        rdb: redis.Redis, redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    quick = RedisTokenStore(redis_url, lock_ttl=5)
    quick_lease = quick.lock(KEY, blocking=False)

    async def main() -> bytes | None:
        async with AsyncRedisTokenStore(redis_url, lock_ttl=0.05) as slow:
            async with slow.lock(KEY) as held:
                assert held
                while rdb.exists(KEY + ":lock"):  # the refresh outlasts the lease
                    await asyncio.sleep(0.01)
                assert quick_lease.__enter__() is True  # a sync process takes it over
                owner = rdb.get(KEY + ":lock")
            assert rdb.get(KEY + ":lock") == owner  # slow let go without deleting it
            assert owner is None or isinstance(owner, bytes)
            return owner

    with caplog.at_level(logging.WARNING, "wxcore.tokens.redis"):
        assert asyncio.run(main()) is not None
    assert "longer than lock_ttl" in caplog.text
    quick_lease.__exit__(None, None, None)
    assert not rdb.exists(KEY + ":lock")


def test_async_tasks_wait_for_a_sync_holders_token_instead_of_fetching(
        rdb: redis.Redis, redis_url: str) -> None:
    sync = RedisTokenStore(redis_url, lock_ttl=30)
    fetched: list[int] = []
    fresh = Token(value="81_from_the_sync_process", expires_at=time.time() + 7200)

    async def fetch(rejected: Token | None) -> Token:
        fetched.append(1)
        return Token(value="81_async_fetch", expires_at=time.time() + 7200)

    async def main() -> list[str]:
        async with AsyncRedisTokenStore(redis_url, wait_timeout=20) as store:
            provider = AsyncCachedTokenProvider(fetch, key=KEY, store=store)
            with sync.lock(KEY) as held:
                assert held
                waiters = asyncio.gather(*(provider.get() for _ in range(200)))
                await asyncio.sleep(0.1)
                assert not waiters.done()  # waiting on the sync holder's lease
                await asyncio.to_thread(sync.save, KEY, fresh)
                tokens = await waiters
            return [t.value for t in tokens]

    assert asyncio.run(main()) == [fresh.value] * 200
    assert fetched == []


def test_sync_threads_wait_for_an_async_holders_token(rdb: redis.Redis,
                                                      redis_url: str) -> None:
    from wxcore.adapters.tokens import CachedTokenProvider

    fetched: list[int] = []

    def fetch(rejected: Token | None) -> Token:
        fetched.append(1)
        return Token(value="81_sync_fetch", expires_at=time.time() + 7200)

    sync_provider = CachedTokenProvider(fetch, key=KEY, store=RedisTokenStore(redis_url))
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(sync_provider.get().value))
               for _ in range(8)]

    async def slow_fetch(rejected: Token | None) -> Token:
        for t in threads:
            t.start()
        await asyncio.sleep(0.2)  # the threads pile up behind this process's lease
        return Token(value="81_async_fetch", expires_at=time.time() + 7200)

    async def main() -> str:
        async with AsyncRedisTokenStore(redis_url) as store:
            provider = AsyncCachedTokenProvider(slow_fetch, key=KEY, store=store)
            token = await provider.get()
            for thread in threads:
                await asyncio.to_thread(thread.join)
            return token.value

    assert asyncio.run(main()) == "81_async_fetch"
    assert seen == ["81_async_fetch"] * 8 and fetched == []


def test_the_force_refresh_budget_is_one_count_for_sync_and_async(redis_url: str,
                                                                  rdb: redis.Redis) -> None:
    now = [1_700_000_000.0]
    key = "wxcore:wx1:force_refresh"
    sync = ForceRefreshBudget(per_day=3, spacing=30, clock=lambda: now[0],
                              store=RedisTokenStore(redis_url), key=key)

    async def main() -> list[bool]:
        async with AsyncRedisTokenStore(redis_url) as store:
            budget = AsyncForceRefreshBudget(per_day=3, spacing=30, clock=lambda: now[0],
                                             store=store, key=key)
            taken = [await budget.take(), sync.take()]  # 30 s spacing across both
            now[0] += 31
            taken += [sync.take(), await budget.take()]
            now[0] += 31
            taken += [await budget.take()]
            now[0] += 31
            taken += [sync.take(), await budget.take()]  # 3 a day, counted together
            now[0] += 86400
            taken += [await budget.take()]  # a new day (UTC+8)
            return taken

    assert asyncio.run(main()) == [True, False, True, False, True, False, False, True]


def test_a_sync_client_and_an_async_client_share_the_token_and_the_budget(
        redis_url: str, rdb: redis.Redis) -> None:
    clock = FakeClock(time.time())
    sandbox = WeChatSandbox(clock=clock)
    app = sandbox.default_app
    sync = Client(app.appid, app.secret, clock=clock, token_store=RedisTokenStore(redis_url),
                  transport=SandboxTransport(sandbox))

    async def main() -> None:
        async with AsyncRedisTokenStore(redis_url) as store:
            client = AsyncClient(app.appid, app.secret, clock=clock, token_store=store,
                                 transport=AsyncSandboxTransport(sandbox))
            first = await client.get_access_token()
            assert sync.get_access_token() == first
            provider = client.token_provider
            assert isinstance(provider, AsyncCachedTokenProvider)
            assert provider.peek() is None  # Redis is read with await: never at hand
            assert sandbox.calls["/cgi-bin/stable_token"] == 1
            # WeChat rejects the stable token it still hands out: the sync process spends one
            # force_refresh; the async one, 10 s later, finds the shared budget's spacing
            # unmet and keeps the token WeChat gives (no second forced refresh).
            sync.token_provider.invalidate(Token(value=first))
            second = sync.get_access_token()
            assert second != first and len(sandbox.forced[app.appid]) == 1
            clock.advance(10)
            await client.token_provider.invalidate(Token(value=second))
            assert await client.get_access_token() == second
            assert len(sandbox.forced[app.appid]) == 1
            clock.advance(30)  # spacing met: the async process may force one now
            await client.token_provider.invalidate(Token(value=second))
            third = await client.get_access_token()
            assert third not in (first, second) and sync.get_access_token() == third
            assert len(sandbox.forced[app.appid]) == 2
            assert rdb.hget(token_key(app.appid, "force_refresh"), "used") == b"2"

    asyncio.run(main())


def test_unreachable_redis_fails_clearly_or_falls_back_when_asked(
        caplog: pytest.LogCaptureFixture) -> None:
    fetches: list[int] = []

    async def fetch(rejected: Token | None) -> Token:
        fetches.append(1)
        return Token(value=f"81_local{len(fetches)}", expires_at=time.time() + 7200)

    async def main() -> None:
        url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
        async with AsyncRedisTokenStore(url) as store:
            with pytest.raises(TokenError) as caught:
                await AsyncCachedTokenProvider(fetch, key=KEY, store=store).get()
            message = str(caught.value)
            assert "cannot reach Redis at redis://***@127.0.0.1" in message
            assert "hunter2" not in message and "hunter2" not in repr(store)
            assert fetches == []  # nothing fetched behind the other processes' backs
        local = AsyncRedisTokenStore(f"redis://127.0.0.1:{free_port()}/0",
                                     on_unavailable="local", retry_after=60)
        provider = AsyncCachedTokenProvider(fetch, key=KEY, store=local)
        first = await provider.get()
        assert await provider.get() == first and fetches == [1]
        await provider.invalidate(first)
        assert (await provider.get()).value == "81_local2"
        assert await local.take_budget("k", 20, 30, time.time()) is False
        await local.aclose()

    with caplog.at_level(logging.WARNING, "wxcore.tokens.redis"):
        asyncio.run(main())
    assert len([r for r in caplog.records if "per-process token cache" in r.getMessage()]) == 1


def test_tasks_reading_one_key_at_once_share_one_get(rdb: redis.Redis, redis_url: str) -> None:
    token = Token(value="81_shared", expires_at=time.time() + 7200)

    async def main() -> None:
        async with AsyncRedisTokenStore(redis_url) as store:
            await store.save(KEY, token)
            rdb.config_resetstat()
            assert await asyncio.gather(*(store.load(KEY) for _ in range(1000))) == [token] * 1000
            assert rdb.info("commandstats")["cmdstat_get"]["calls"] == 1
            await store.save(KEY, Token(value="81_newer", expires_at=time.time() + 7200))
            assert (await store.load(KEY)).value == "81_newer"  # type: ignore[union-attr]

    asyncio.run(main())
