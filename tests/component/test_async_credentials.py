"""Async durable credential stores: redis.asyncio sharing the sync Redis store's keys and
records (a real redis-server; an AsyncComponent reads the ticket a sync Component stored),
and SQLite run in worker threads, never on the loop."""

from __future__ import annotations

import asyncio
import logging
import pathlib
import secrets
import threading

import pytest
import redis.asyncio
from component_support import AES_KEY, COMPONENT_SECRET, PUSH_TOKEN

from wxcore import AsyncComponent, Component
from wxcore.adapters.async_credentials import (
    AsyncRedisCredentialStore,
    ThreadedCredentialStore,
    as_async_credential_store,
)
from wxcore.adapters.credentials import (
    MemoryCredentialStore,
    RedisCredentialStore,
    SQLiteCredentialStore,
    Stored,
    credential_key,
)
from wxcore.adapters.sandbox import AsyncSandboxTransport, SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.component_platform import add_component, push_ticket
from wxcore.errors import UsageError


def test_async_redis_store_shares_keys_and_records_with_the_sync_store(
        redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    component = "wxc" + secrets.token_hex(8)
    ticket = credential_key(component, "verify_ticket")
    refresh = credential_key(component, "refresh_token", "wx_a*b")  # a glob char in the key
    sync = RedisCredentialStore(redis_url)

    async def main() -> tuple[Stored | None, list[str], Stored | None, bool | None]:
        store = AsyncRedisCredentialStore(redis_url)
        with caplog.at_level(logging.WARNING, "wxcore.credentials"):
            await store.put(ticket, "ticket@@@async", 7.0)  # the first use checks AOF
        sync.put(refresh, "refreshtoken@@@sync", 8.0)
        read = await store.get(refresh)
        keys = await store.keys(credential_key(component, "refresh_token", "wx_a*"))
        await store.delete(refresh)
        gone = await store.get(refresh)
        await store.client.aclose()
        return read, keys, gone, store.aof

    read, keys, gone, aof = asyncio.run(main())
    assert sync.get(ticket) == Stored("ticket@@@async", 7.0)
    assert read == Stored("refreshtoken@@@sync", 8.0)
    assert keys == [refresh]
    assert gone is None and sync.get(refresh) is None
    assert aof is False and "appendonly" in caplog.text  # the suite's Redis runs without AOF


def test_async_redis_store_with_require_aof_refuses_before_writing(redis_url: str) -> None:
    key = credential_key("wxc" + secrets.token_hex(8), "verify_ticket")

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        store = AsyncRedisCredentialStore(client, require_aof=True)
        with pytest.raises(UsageError, match="appendonly"):
            await store.put(key, "ticket@@@x", 1.0)
        with pytest.raises(UsageError, match="empty credential"):
            await store.put(key, "", 1.0)
        await client.aclose()

    asyncio.run(main())
    assert RedisCredentialStore(redis_url).get(key) is None


def test_async_component_uses_the_ticket_a_sync_component_stored_in_redis(
        redis_url: str) -> None:
    appid = "wxc" + secrets.token_hex(8)  # fresh keys in the session's Redis
    sandbox = WeChatSandbox()
    sync = Component(appid, COMPONENT_SECRET, credential_store=RedisCredentialStore(redis_url),
                     transport=SandboxTransport(sandbox), retry=None)
    server = sync.push_server(PUSH_TOKEN, AES_KEY)
    add_component(sandbox, appid, COMPONENT_SECRET, token=PUSH_TOKEN, encoding_aes_key=AES_KEY,
                  target=lambda query, body: server.respond("POST", query, body)[2])
    ticket = push_ticket(sandbox, appid)  # stored by the sync component's push server

    async def main() -> tuple[str, str]:
        store = AsyncRedisCredentialStore(redis_url)
        component = AsyncComponent(appid, COMPONENT_SECRET, credential_store=store,
                                   transport=AsyncSandboxTransport(sandbox), retry=None)
        try:
            return await component.verify_ticket(), await component.get_component_access_token()
        finally:
            await store.client.aclose()

    seen, token = asyncio.run(main())
    assert seen == ticket
    assert token in sandbox.state["component"].platforms[appid].tokens


def test_sqlite_runs_in_worker_threads(tmp_path: pathlib.Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "credentials.sqlite3"
    sync = SQLiteCredentialStore(path)
    threads: set[int] = set()
    original = SQLiteCredentialStore._connection

    def spy(self: SQLiteCredentialStore):  # type: ignore[no-untyped-def]
        threads.add(threading.get_ident())
        return original(self)

    monkeypatch.setattr(SQLiteCredentialStore, "_connection", spy)
    key = credential_key("wx3e9a7c1b5d2f8046", "verify_ticket")

    async def main() -> tuple[Stored | None, list[str], int]:
        store = ThreadedCredentialStore(sync)
        await store.put(key, "ticket@@@t", 3.0)
        read = await store.get(key)
        keys = await store.keys("wxcore:wx3e9a7c1b5d2f8046:")
        await store.delete(key)
        return read, keys, threading.get_ident()

    read, keys, loop_thread = asyncio.run(main())
    assert read == Stored("ticket@@@t", 3.0) and keys == [key]
    assert threads and loop_thread not in threads
    assert SQLiteCredentialStore(path).get(key) is None


class _OwnAsyncStore:
    """A user's async store: the four methods as coroutines."""

    async def get(self, key: str) -> Stored | None:
        return None

    async def put(self, key: str, value: str, updated_at: float) -> None:
        pass

    async def delete(self, key: str) -> None:
        pass

    async def keys(self, prefix: str) -> list[str]:
        return []


def test_a_store_is_taken_as_async_run_off_the_loop_or_refused() -> None:
    memory = MemoryCredentialStore()
    wrapped = as_async_credential_store(memory)
    assert isinstance(wrapped, ThreadedCredentialStore) and wrapped.store is memory
    assert as_async_credential_store(wrapped) is wrapped
    own = _OwnAsyncStore()
    assert as_async_credential_store(own) is own
    with pytest.raises(UsageError, match="needs get, put, delete and keys"):
        as_async_credential_store(object())  # type: ignore[arg-type]  # wrong on purpose: refused at run time


def test_sync_and_async_components_share_one_component_token_through_redis(
        redis_url: str, tmp_path: pathlib.Path) -> None:
    from wxcore.adapters.stores.async_redis import AsyncRedisTokenStore
    from wxcore.adapters.stores.redis import RedisTokenStore

    appid = "wxc" + secrets.token_hex(8)  # fresh keys in the session's Redis
    sandbox = WeChatSandbox()
    db = tmp_path / "shared.sqlite3"
    sync = Component(appid, COMPONENT_SECRET, credential_store=SQLiteCredentialStore(db),
                     token_store=RedisTokenStore(redis_url),
                     transport=SandboxTransport(sandbox), retry=None)
    server = sync.push_server(PUSH_TOKEN, AES_KEY)
    add_component(sandbox, appid, COMPONENT_SECRET, token=PUSH_TOKEN, encoding_aes_key=AES_KEY,
                  target=lambda query, body: server.respond("POST", query, body)[2])
    push_ticket(sandbox, appid)
    first = sync.get_component_access_token()

    async def main() -> list[str]:
        store = AsyncRedisTokenStore(redis_url)
        component = AsyncComponent(appid, COMPONENT_SECRET, credential_store=str(db),
                                   token_store=store, transport=AsyncSandboxTransport(sandbox),
                                   retry=None)
        return list(await asyncio.gather(*(component.get_component_access_token()
                                           for _ in range(20))))

    tokens = asyncio.run(main())
    assert set(tokens) == {first}  # the async process found the sync one's token in Redis
    assert sandbox.calls["/cgi-bin/component/api_component_token"] == 1
