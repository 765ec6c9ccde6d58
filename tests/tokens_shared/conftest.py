"""Fixtures for the shared-token tests: a clean Redis per test, worker processes."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

WORKER = pathlib.Path(__file__).with_name("_worker.py")


@pytest.fixture
def rdb(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the session's redis-server, emptied before each test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


class Workers:
    """Starts worker processes (``_worker.py``) and collects their reports."""

    def __init__(self, rdb: redis.Redis) -> None:
        self.rdb = rdb

    @staticmethod
    def start(config: dict[str, Any]) -> subprocess.Popen[str]:
        """A worker process: ``_worker.py`` (threads), or the script ``config["script"]``
        names (``_async_worker.py``: asyncio tasks)."""
        script = WORKER.with_name(config.get("script", WORKER.name))
        return subprocess.Popen([sys.executable, str(script), json.dumps(config)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, configs: list[dict[str, Any]], timeout: float = 60.0) -> list[dict[str, Any]]:
        """Start one worker per config, release them together, return their reports."""
        rdb = self.rdb
        run = configs[0]["run"]
        procs = [self.start(c) for c in configs]
        try:
            deadline = time.monotonic() + timeout
            while int(rdb.get(run + ":ready") or 0) < len(procs):
                dead = [p for p in procs if p.poll() is not None]
                if dead:
                    output = dead[0].stderr.read() if dead[0].stderr else ""
                    raise AssertionError(f"a worker died during start-up: {output}")
                if time.monotonic() > deadline:
                    raise AssertionError("workers did not get ready")
                time.sleep(0.01)
            rdb.set(run + ":go", 1)
            reports = []
            for proc in procs:
                out, err = proc.communicate(timeout=timeout)
                assert proc.returncode == 0, err
                reports.append(json.loads(out.strip().splitlines()[-1]))
            return reports
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def workers(rdb: redis.Redis) -> Workers:
    return Workers(rdb)
