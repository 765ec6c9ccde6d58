"""RedisTokenStore against a real redis-server: values, leases, waiters, budget, keys."""

from __future__ import annotations

import logging
import math
import threading
import time

import pytest
from support import free_port
from token_helpers import HeldFetch, stampede
import redis

from wxcore.errors import TokenError
from wxcore.tokens import Token

from wxcore.adapters.client import Client
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox
from wxcore.adapters.stores import token_key
from wxcore.adapters.stores.redis import RedisTokenStore
from wxcore.adapters.tokens import CachedTokenProvider, ForceRefreshBudget

KEY = "wxcore:wx5b2e7d9c1a04f836:access_token:stable"


def test_a_saved_token_reads_back_with_its_expiry_and_a_matching_redis_ttl(
        rdb: redis.Redis, redis_url: str) -> None:
    store = RedisTokenStore(redis_url)
    token = Token(value="81_abc", expires_at=time.time() + 7200)
    store.save(KEY, token)
    assert store.load(KEY) == token
    assert 7200 < rdb.ttl(KEY) <= 7200 + 60  # dropped by Redis a minute after it expires
    forever = Token(value="ticket-from-push")
    store.save("wxcore:wx1:component_verify_ticket", forever)
    assert store.load("wxcore:wx1:component_verify_ticket") == forever
    assert forever.expires_at == math.inf and rdb.ttl("wxcore:wx1:component_verify_ticket") == -1
    assert store.load("wxcore:wx1:nothing") is None


def test_a_prefix_namespaces_every_key(rdb: redis.Redis, redis_url: str) -> None:
    store = RedisTokenStore(redis_url, prefix="staging:")
    store.save(KEY, Token(value="v", expires_at=time.time() + 60))
    with store.lock(KEY) as held:
        assert held and rdb.exists("staging:" + KEY + ":lock")
    assert rdb.keys("*") == [("staging:" + KEY).encode()]


def test_invalidation_by_value_never_drops_a_token_someone_renewed(redis_url: str,
                                                                   rdb: redis.Redis) -> None:
    store = RedisTokenStore(redis_url)
    old = Token(value="81_old", expires_at=time.time() + 100)
    new = Token(value="81_new", expires_at=time.time() + 7200)
    store.save(KEY, new)
    assert store.delete_if(KEY, old) is False
    assert store.load(KEY) == new
    assert store.delete_if(KEY, Token(value="81_new")) is True  # expiry does not matter
    assert store.load(KEY) is None
    assert store.delete_if(KEY, new) is False
    rdb.set(KEY, b"not json")  # a foreign value is left alone
    assert store.delete_if(KEY, new) is False and rdb.get(KEY) == b"not json"


def test_the_lease_has_an_owner_and_an_expiry(rdb: redis.Redis, redis_url: str) -> None:
    first = RedisTokenStore(redis_url, lock_ttl=5)
    second = RedisTokenStore(redis_url, lock_ttl=5)
    with first.lock(KEY, blocking=False) as held:
        assert held
        assert 0 < rdb.pttl(KEY + ":lock") <= 5000
        with second.lock(KEY, blocking=False) as other:
            assert other is False
        assert rdb.exists(KEY + ":lock")  # the loser did not release the winner's lease
    assert not rdb.exists(KEY + ":lock")


def test_a_holder_whose_lease_ran_out_does_not_release_the_next_holders_lease(
        rdb: redis.Redis, redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    slow = RedisTokenStore(redis_url, lock_ttl=0.05)
    quick = RedisTokenStore(redis_url, lock_ttl=5)
    quick_lease = quick.lock(KEY, blocking=False)
    with caplog.at_level(logging.WARNING, "wxcore.tokens.redis"):
        with slow.lock(KEY) as held:
            assert held
            while rdb.exists(KEY + ":lock"):  # slow's refresh outlasts its lease
                time.sleep(0.01)
            assert quick_lease.__enter__() is True
            owner = rdb.get(KEY + ":lock")
        assert rdb.get(KEY + ":lock") == owner  # slow let go without deleting quick's lease
    assert "longer than lock_ttl" in caplog.text
    quick_lease.__exit__(None, None, None)
    assert not rdb.exists(KEY + ":lock")


def test_a_waiter_stops_waiting_when_a_new_token_appears(rdb: redis.Redis,
                                                         redis_url: str) -> None:
    holder = RedisTokenStore(redis_url, lock_ttl=30)
    waiter = RedisTokenStore(redis_url, lock_ttl=30, wait_timeout=20)
    fresh = Token(value="81_fresh", expires_at=time.time() + 7200)
    result: list[bool] = []
    with holder.lock(KEY) as held:
        assert held
        thread = threading.Thread(target=lambda: result.append(
            waiter.lock(KEY).__enter__()))
        thread.start()
        time.sleep(0.05)
        assert result == []  # still waiting: no token yet, lease held
        holder.save(KEY, fresh)
        thread.join(timeout=10)
        assert result == [False]  # told to read the new token instead of fetching
        assert rdb.exists(KEY + ":lock")  # while the holder still holds the lease


def test_a_waiter_gives_up_after_wait_timeout(redis_url: str, rdb: redis.Redis) -> None:
    holder = RedisTokenStore(redis_url, lock_ttl=30)
    waiter = RedisTokenStore(redis_url, lock_ttl=30, wait_timeout=0.1)
    provider = CachedTokenProvider(lambda rejected: Token(value="never"), key=KEY, store=waiter)
    with holder.lock(KEY) as held:
        assert held
        with pytest.raises(TokenError, match="could not take the refresh lock"):
            provider.get()


def test_providers_in_many_threads_fetch_once_and_share_the_result(redis_url: str,
                                                                   rdb: redis.Redis) -> None:
    fetch = HeldFetch()  # holds the lease while the others pile up
    providers = [CachedTokenProvider(fetch, key=KEY, store=RedisTokenStore(redis_url))
                 for _ in range(4)]
    seen = stampede(providers, 8, fetch)
    assert fetch.count == 1 and seen == ["81_t1"] * 32


def test_the_force_refresh_budget_is_shared_by_processes(redis_url: str,
                                                         rdb: redis.Redis) -> None:
    now = [1_700_000_000.0]
    budgets = [ForceRefreshBudget(per_day=3, spacing=30, clock=lambda: now[0],
                                  store=RedisTokenStore(redis_url), key="wxcore:wx1:force_refresh")
               for _ in range(2)]
    assert budgets[0].take() is True
    assert budgets[1].take() is False  # 30 s spacing holds across processes
    now[0] += 31
    assert budgets[1].take() is True
    now[0] += 31
    assert budgets[0].take() is True
    now[0] += 31
    assert [b.take() for b in budgets] == [False, False]  # 3 a day, counted together
    now[0] += 86400
    assert budgets[1].take() is True  # a new day (UTC+8) starts a new count


def test_a_client_on_redis_shares_tokens_tickets_and_the_budget(
        redis_url: str, rdb: redis.Redis) -> None:
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    clients = [Client(app.appid, app.secret, token_store=RedisTokenStore(redis_url),
                      transport=SandboxTransport(sandbox)) for _ in range(2)]
    assert clients[0].get_access_token() == clients[1].get_access_token()
    assert clients[0].get_jsapi_ticket() == clients[1].get_jsapi_ticket()
    assert sandbox.calls["/cgi-bin/stable_token"] == 1
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 1
    keys = {k.decode() if isinstance(k, bytes) else k for k in rdb.keys("*")}
    assert keys == {token_key(app.appid, "access_token", "stable"),
                    token_key(app.appid, "ticket", "jsapi")}
    # WeChat rejects the stable token it still hands out: one process forces a refresh, and
    # the count lands in Redis where the other process sees it.
    token = clients[0].token_provider.get()
    clients[0].token_provider.invalidate(token)
    assert clients[0].get_access_token() != token.value
    assert rdb.hget(token_key(app.appid, "access_token") .replace(
        ":access_token", ":force_refresh"), "used") == b"1"


def test_unreachable_redis_fails_with_a_clear_error_by_default() -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    store = RedisTokenStore(url)
    fetches: list[int] = []

    def fetch(rejected: Token | None) -> Token:
        fetches.append(1)
        return Token(value="81_x", expires_at=time.time() + 7200)

    provider = CachedTokenProvider(fetch, key=KEY, store=store)
    with pytest.raises(TokenError) as caught:
        provider.get()
    message = str(caught.value)
    assert "cannot reach Redis at redis://***@127.0.0.1" in message
    assert "hunter2" not in message and "on_unavailable='local'" in message
    assert fetches == []  # no token is fetched behind the other processes' backs


def test_unreachable_redis_can_fall_back_to_a_local_cache_with_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    store = RedisTokenStore(f"redis://127.0.0.1:{free_port()}/0", on_unavailable="local",
                            retry_after=60)
    fetches: list[int] = []

    def fetch(rejected: Token | None) -> Token:
        fetches.append(1)
        return Token(value=f"81_local{len(fetches)}", expires_at=time.time() + 7200)

    provider = CachedTokenProvider(fetch, key=KEY, store=store)
    with caplog.at_level(logging.WARNING, "wxcore.tokens.redis"):
        first = provider.get()
        assert provider.get() == first  # cached locally meanwhile
    assert fetches == [1]
    warnings = [r for r in caplog.records if "per-process token cache" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not per call
    provider.invalidate(first)
    assert provider.get().value == "81_local2"
    assert store.take_budget("k", 20, 30, time.time()) is False  # no blind force_refresh


def test_a_local_fallback_returns_to_redis_once_it_is_back(redis_url: str,
                                                           rdb: redis.Redis) -> None:
    store = RedisTokenStore(redis_url, on_unavailable="local", retry_after=0.0)
    token = Token(value="81_shared", expires_at=time.time() + 7200)
    store.save(KEY, token)
    assert rdb.exists(KEY)
    assert store.load(KEY) == token
