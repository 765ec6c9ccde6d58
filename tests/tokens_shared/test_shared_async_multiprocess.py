"""Sync and async processes, one token: real redis-server, the sandbox over loopback HTTP
counting the upstream fetches, a real clock. The async processes run AsyncMiniProgram on an
AsyncRedisTokenStore (``_async_worker.py``), the sync one MiniProgram on a RedisTokenStore
(``_worker.py``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from conftest import Workers

from wxcore.adapters.sandbox import Fault, SandboxServer

STABLE = "/cgi-bin/stable_token"
TASKS = 1000


def _config(sandbox_server: SandboxServer, redis_url: str, run: str,
            **extra: object) -> dict[str, object]:
    app = sandbox_server.sandbox.default_app
    return {"run": run, "redis": redis_url, "base": sandbox_server.base_url,
            "appid": app.appid, "secret": app.secret, **extra}


def _async(sandbox_server: SandboxServer, redis_url: str, run: str) -> dict[str, object]:
    return _config(sandbox_server, redis_url, run, script="_async_worker.py", tasks=TASKS)


def test_a_sync_process_and_two_async_processes_of_1000_tasks_fetch_one_token(
        rdb: redis.Redis, redis_url: str, sandbox_server: SandboxServer,
        workers: Workers) -> None:
    """A cold token: 16 threads in a sync process and 1,000 tasks in each of two async
    processes ask for it at once; one of them fetches, every one gets that token."""
    run = uuid.uuid4().hex
    sync, *async_reports = workers.run([
        _config(sandbox_server, redis_url, run, mode="get", threads=16),
        _async(sandbox_server, redis_url, run), _async(sandbox_server, redis_url, run)])

    assert sync["errors"] == [] and [r["errors"] for r in async_reports] == [[], []]
    assert len(sync["seen"]) == 16 and [len(r["seen"]) for r in async_reports] == [TASKS] * 2
    assert sandbox_server.sandbox.calls[STABLE] == 1
    issued = sandbox_server.sandbox.current_token(
        sandbox_server.sandbox.default_app.appid, "stable")
    assert issued is not None
    seen = set(sync["seen"]).union(*(r["seen"] for r in async_reports))
    assert seen == {issued.value}


def test_a_failed_fetch_is_shared_by_all_tasks_of_its_process(
        rdb: redis.Redis, redis_url: str, sandbox_server: SandboxServer,
        workers: Workers) -> None:
    sandbox = sandbox_server.sandbox
    # WeChat refuses the token call (40164: this server's IP is not whitelisted), for all.
    sandbox.inject(Fault("errcode", times=10_000, path=STABLE, errcode=40164,
                         errmsg="invalid ip 10.0.0.9"))
    run = uuid.uuid4().hex
    reports = workers.run([_async(sandbox_server, redis_url, run) for _ in range(2)])

    for report in reports:
        assert report["seen"] == [] and len(report["errors"]) == TASKS
        assert len(set(report["errors"])) == 1  # one outcome, the same error for every task
        assert "40164" in report["errors"][0]
    # One fetch per process: the process that held the lease failed and let go of it; the
    # other, seeing no new token appear, then tried once itself (as sync processes do).
    assert sandbox.calls[STABLE] == 2
    assert not rdb.exists(f"wxcore:{sandbox.default_app.appid}:access_token:stable:lock")
