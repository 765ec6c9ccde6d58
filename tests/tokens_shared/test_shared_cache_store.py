"""CacheTokenStore over get/set cache objects shaped like Django's cache and simpler ones."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from token_helpers import HeldFetch, stampede

from wxcore.tokens import Token

from wxcore.adapters.client import Client
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox
from wxcore.adapters.stores import CacheTokenStore
from wxcore.adapters.tokens import CachedTokenProvider

KEY = "wxcore:wx1:access_token:stable"


class DjangoLikeCache:
    """The part of Django's cache API the store uses: get/set/add/delete with timeouts."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[Any, float]] = {}
        self.timeouts: dict[str, float | None] = {}
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        with self._lock:
            value, until = self.data.get(key, (default, float("inf")))
            if time.monotonic() >= until:
                del self.data[key]
                return default
            return value

    def set(self, key: str, value: Any, timeout: float | None = 300,
            version: int | None = None) -> None:
        with self._lock:
            self.timeouts[key] = timeout
            until = float("inf") if timeout is None else time.monotonic() + timeout
            self.data[key] = (value, until)

    def add(self, key: str, value: Any, timeout: float | None = 300,
            version: int | None = None) -> bool:
        if self.get(key) is not None:
            return False
        with self._lock:
            if key in self.data:
                return False
            self.data[key] = (value, time.monotonic() + (timeout or 300))
            return True

    def delete(self, key: str, version: int | None = None) -> bool:
        with self._lock:
            return self.data.pop(key, None) is not None


class GetSetOnly:
    """A bare get/set object (no timeouts, no add, no delete)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value


def test_tokens_round_trip_with_a_timeout_the_cache_understands() -> None:
    cache = DjangoLikeCache()
    store = CacheTokenStore(cache, prefix="site1:")
    token = Token(value="81_abc", expires_at=time.time() + 7200)
    store.save(KEY, token)
    assert store.load(KEY) == token
    assert isinstance(cache.data["site1:" + KEY][0], str)  # JSON text: any back end stores it
    assert 7200 <= cache.timeouts["site1:" + KEY] <= 7260  # type: ignore[operator]
    store.save("k2", Token(value="forever"))
    assert cache.timeouts["site1:k2"] is None  # Django: None = never expires (0 = not stored)


def test_delete_if_compares_values() -> None:
    store = CacheTokenStore(DjangoLikeCache())
    store.save(KEY, Token(value="81_new", expires_at=time.time() + 60))
    assert store.delete_if(KEY, Token(value="81_old")) is False
    assert store.load(KEY) is not None
    assert store.delete_if(KEY, Token(value="81_new")) is True
    assert store.load(KEY) is None


def test_with_add_the_lease_is_shared_and_waiters_read_the_new_token() -> None:
    cache = DjangoLikeCache()
    stores = [CacheTokenStore(cache) for _ in range(4)]
    assert all(s.shared_lock for s in stores)
    fetch = HeldFetch("81_once")
    providers = [CachedTokenProvider(fetch, key=KEY, store=s) for s in stores]
    assert stampede(providers, 4, fetch) == ["81_once1"] * 16
    assert fetch.count == 1
    assert cache.get(KEY + ":lock") is None  # released


def test_a_lease_left_by_a_dead_holder_expires() -> None:
    cache = DjangoLikeCache()
    cache.add(KEY + ":lock", "someone-dead", 1)
    provider = CachedTokenProvider(lambda r: Token(value="81_after", expires_at=time.time() + 60),
                                   key=KEY, store=CacheTokenStore(cache, lock_ttl=1,
                                                                  wait_timeout=5))
    assert provider.get().value == "81_after"


def test_a_holder_whose_lease_ran_out_does_not_release_the_next_holders_lease() -> None:
    cache = DjangoLikeCache()
    slow, quick = CacheTokenStore(cache), CacheTokenStore(cache)
    lease = KEY + ":lock"
    slow_lease = slow.lock(KEY)
    assert slow_lease.__enter__()
    owner, _ = cache.data[lease]
    cache.data[lease] = (owner, time.monotonic() - 1)  # slow's lease runs out mid-refresh
    quick_lease = quick.lock(KEY, blocking=False)
    assert quick_lease.__enter__()
    quick_owner = cache.get(lease)
    assert quick_owner not in (None, owner)
    slow_lease.__exit__(None, None, None)  # slow finishes while quick holds the lease
    assert cache.get(lease) == quick_owner
    quick_lease.__exit__(None, None, None)
    assert cache.get(lease) is None


def test_a_bare_get_set_object_works_with_an_in_process_lock() -> None:
    cache = GetSetOnly()
    store = CacheTokenStore(cache)
    assert store.shared_lock is False
    token = Token(value="81_x", expires_at=time.time() + 60)
    store.save(KEY, token)
    assert store.load(KEY) == token
    assert store.delete_if(KEY, token) is True
    assert store.load(KEY) is None  # overwritten with None: missing
    with store.lock(KEY) as held:
        assert held


def test_an_object_without_get_and_set_is_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        CacheTokenStore(object.__new__(type("OnlyGet", (), {"get": lambda self, k: None})))


def test_a_client_on_a_cache_store_fetches_once_for_two_clients() -> None:
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    cache = DjangoLikeCache()
    clients = [Client(app.appid, app.secret, token_store=CacheTokenStore(cache),
                      transport=SandboxTransport(sandbox)) for _ in range(2)]
    assert clients[0].get_access_token() == clients[1].get_access_token()
    assert sandbox.calls["/cgi-bin/stable_token"] == 1
