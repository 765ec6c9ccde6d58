"""Many processes, one token: real redis-server, sandbox over loopback HTTP, real clock."""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from conftest import Workers

from wxcore.tokens import Token

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import Fault, SandboxServer, phone_code
from wxcore.adapters.stores.redis import RedisTokenStore
from wxcore.adapters.transport import Urllib3Transport


PROCESSES = 8
THREADS = 16
STABLE = "/cgi-bin/stable_token"


def _config(sandbox_server: SandboxServer, redis_url: str, mode: str, run: str,
            **extra: object) -> dict[str, object]:
    app = sandbox_server.sandbox.default_app
    return {"mode": mode, "run": run, "redis": redis_url, "base": sandbox_server.base_url,
            "appid": app.appid, "secret": app.secret, "threads": THREADS, **extra}


def _key(sandbox_server: SandboxServer) -> str:
    return f"wxcore:{sandbox_server.sandbox.default_app.appid}:access_token:stable"


def test_a_stale_token_seen_by_8_processes_x_16_threads_is_fetched_once(
        rdb: redis.Redis, redis_url: str, sandbox_server: SandboxServer,
        workers: Workers) -> None:
    store = RedisTokenStore(redis_url)
    stale = Token(value="81_expired_long_ago", expires_at=time.time() - 10)
    store.save(_key(sandbox_server), stale)
    run = uuid.uuid4().hex
    reports = workers.run([_config(sandbox_server, redis_url, "get", run)
                                for _ in range(PROCESSES)])

    assert [r["errors"] for r in reports] == [[]] * PROCESSES
    seen = {value for r in reports for value in r["seen"]}
    assert sum(len(r["seen"]) for r in reports) == PROCESSES * THREADS
    assert sandbox_server.sandbox.calls[STABLE] == 1
    issued = sandbox_server.sandbox.current_token(
        sandbox_server.sandbox.default_app.appid, "stable")
    assert issued is not None and seen == {issued.value}
    assert store.load(_key(sandbox_server)).value == issued.value  # type: ignore[union-attr]


def test_a_token_revoked_under_everyone_is_renewed_once_for_all(
        rdb: redis.Redis, redis_url: str, sandbox_server: SandboxServer,
        workers: Workers) -> None:
    sandbox = sandbox_server.sandbox
    app = sandbox.default_app
    with MiniProgram(app.appid, app.secret, token_store=RedisTokenStore(redis_url),
                     transport=Urllib3Transport.for_base_url(sandbox_server.base_url)) as mp:
        old = mp.get_access_token()
    sandbox.revoke_tokens(app.appid)  # WeChat cuts the shared token short
    sandbox.calls.clear()
    run = uuid.uuid4().hex
    configs = [_config(sandbox_server, redis_url, "call", run,
                       phone_codes=[phone_code(sandbox, f"1380013{p:02d}{t:02d}")
                                    for t in range(THREADS)])
               for p in range(PROCESSES)]
    reports = workers.run(configs)

    assert [r["errors"] for r in reports] == [[]] * PROCESSES
    phones = {v for r in reports for v in r["seen"] if v.startswith("1380013")}
    tokens = {v for r in reports for v in r["seen"] if not v.startswith("1380013")}
    assert len(phones) == PROCESSES * THREADS  # every call went through, once renewed
    assert sandbox.calls[STABLE] == 1
    assert len(tokens) == 1 and old not in tokens
    # Some calls met the revoked token (40001) and were resent once with the new one.
    assert sandbox.calls["/wxa/business/getuserphonenumber"] > PROCESSES * THREADS


def test_a_lock_holder_killed_mid_refresh_blocks_others_only_until_its_lease_expires(
        rdb: redis.Redis, redis_url: str, sandbox_server: SandboxServer,
        workers: Workers) -> None:
    sandbox = sandbox_server.sandbox
    lease_seconds = 1.0
    # The holder's refresh reaches WeChat and stalls there; then the holder is killed.
    sandbox.inject(Fault("slow", path=STABLE, delay=30.0))
    holder = workers.start(_config(sandbox_server, redis_url, "hold", "hold",
                                  lock_ttl=lease_seconds))
    try:
        deadline = time.monotonic() + 30
        while sandbox.calls[STABLE] < 1:
            assert holder.poll() is None, holder.stderr.read() if holder.stderr else ""
            assert time.monotonic() < deadline, "the holder never started its refresh"
            time.sleep(0.01)
        lease = _key(sandbox_server) + ":lock"
        assert 0 < rdb.pttl(lease) <= lease_seconds * 1000  # held, with an expiry
        holder.kill()
        holder.wait()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()

    # Waiters give up after lease + 2 s: getting a token at all shows they were not blocked
    # for longer than about the dead holder's lease.
    store = RedisTokenStore(redis_url, lock_ttl=lease_seconds, wait_timeout=lease_seconds + 2)
    app = sandbox.default_app
    mp = MiniProgram(app.appid, app.secret, token_store=store,
                     transport=Urllib3Transport.for_base_url(sandbox_server.base_url))
    seen: list[str] = []
    errors: list[BaseException] = []

    def get() -> None:
        try:
            seen.append(mp.get_access_token())
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=get) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == THREADS and len(set(seen)) == 1
    assert sandbox.calls[STABLE] == 2  # the dead holder's stalled fetch, then exactly one more
    assert rdb.exists(lease) == 0  # released by the new holder
