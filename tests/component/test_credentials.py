"""Durable credential stores: SQLite (several real processes on one file) and real Redis."""

from __future__ import annotations

import logging
import multiprocessing
import pathlib
import sqlite3

import pytest

from wxcore.adapters.credentials import (
    MemoryCredentialStore,
    RedisCredentialStore,
    SQLiteCredentialStore,
    Stored,
    credential_key,
)
from wxcore.errors import UsageError

KEY = credential_key("wx3e9a7c1b5d2f8046", "verify_ticket")


def _writer(path: str, worker: int, rounds: int) -> None:
    store = SQLiteCredentialStore(path)
    for i in range(rounds):
        store.put(credential_key("wxc", "refresh_token", f"wx{worker}_{i}"), f"rt{worker}:{i}",
                  float(i))
        store.put(KEY, f"ticket@@@{worker}:{i}", float(i))  # every worker fights for one key


def test_sqlite_round_trip_survives_reopening(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "c.sqlite3"
    store = SQLiteCredentialStore(path)
    assert store.get(KEY) is None
    store.put(KEY, "ticket@@@a", 100.0)
    store.put(KEY, "ticket@@@b", 200.0)
    store.close()
    reopened = SQLiteCredentialStore(path)
    assert reopened.get(KEY) == Stored("ticket@@@b", 200.0)
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    reopened.delete(KEY)
    assert reopened.get(KEY) is None


def test_sqlite_several_processes_share_one_file(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    SQLiteCredentialStore(path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 40)) for w in range(4)]
    for proc in workers:
        proc.start()
    for proc in workers:
        proc.join(60)
        assert proc.exitcode == 0
    store = SQLiteCredentialStore(path)
    keys = store.keys("wxcore:wxc:refresh_token:")
    assert len(keys) == 160  # no write lost
    assert store.get(credential_key("wxc", "refresh_token", "wx3_39")) == Stored("rt3:39", 39.0)
    last = store.get(KEY)
    assert last is not None and last.value.endswith(":39")


def test_keys_by_prefix_escape_like_wildcards(tmp_path: pathlib.Path) -> None:
    for store in (SQLiteCredentialStore(tmp_path / "k.sqlite3"), MemoryCredentialStore()):
        store.put("wxcore:a_b:x", "1", 0.0)
        store.put("wxcore:aXb:x", "2", 0.0)
        assert store.keys("wxcore:a_b:") == ["wxcore:a_b:x"]


def test_bad_input_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(UsageError, match="in-memory"):
        SQLiteCredentialStore(":memory:")
    with pytest.raises(UsageError, match="does not exist"):
        SQLiteCredentialStore(tmp_path / "missing" / "c.sqlite3")
    with pytest.raises(UsageError, match="empty credential"):
        SQLiteCredentialStore(tmp_path / "e.sqlite3").put(KEY, "", 0.0)
    with pytest.raises(UsageError, match="unknown credential kind"):
        credential_key("wxc", "access_token")


def test_redis_store_round_trip_and_aof_warning(redis_url: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wxcore.credentials"):
        store = RedisCredentialStore(redis_url)  # the suite's Redis runs without AOF
    assert store.aof is False
    assert "appendonly" in caplog.text
    store.put(KEY, "ticket@@@r", 5.0)
    store.put(credential_key("wx3e9a7c1b5d2f8046", "refresh_token", "wxA*"), "rt", 6.0)
    assert RedisCredentialStore(redis_url).get(KEY) == Stored("ticket@@@r", 5.0)
    assert store.keys("wxcore:wx3e9a7c1b5d2f8046:refresh_token:wxA*") == [
        "wxcore:wx3e9a7c1b5d2f8046:refresh_token:wxA*"]
    store.delete(KEY)
    assert store.get(KEY) is None
    with pytest.raises(UsageError, match="appendonly"):
        RedisCredentialStore(redis_url, require_aof=True)


def test_redis_store_with_aof_passes_the_check(own_redis: tuple[object, str]) -> None:
    import redis

    _, url = own_redis
    client = redis.Redis.from_url(url)
    client.config_set("appendonly", "yes")
    try:
        assert RedisCredentialStore(client, require_aof=True).aof is True
    finally:
        client.config_set("appendonly", "no")  # so the fixture's shutdown stays quick


def test_reprs_hide_values() -> None:
    assert "ticket@@@secretvalue" not in repr(Stored("ticket@@@secretvalue", 1.0))
