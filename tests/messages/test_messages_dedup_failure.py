"""A failing de-duplication store (a real redis-server, stopped) is reported as what it is,
and the server fails open or closed as configured: never a "handler failed" 500."""

from __future__ import annotations

import logging
import subprocess

import pytest
import redis
from msgvectors import OA_ID, REF_TOKEN, TEXT_PUSH

from wxcore.adapters.message_server import MemoryDedupStore, MessageServer, RedisDedupStore
from wxcore.errors import UsageError
from wxcore.messages import (
    DedupUnavailableError,
    PushPipeline,
    PushSettings,
    Router,
    TextMessage,
    sha1_signature,
)

NOW = 1700000000
SETTINGS = PushSettings(token=REF_TOKEN)


def query(nonce: str) -> dict[str, str]:
    return {"signature": sha1_signature(REF_TOKEN, str(NOW), nonce), "timestamp": str(NOW),
            "nonce": nonce}


def counting_router(calls: list[str]) -> Router:
    router = Router()

    @router.message("text")
    def record(message: TextMessage) -> str:
        calls.append(message.Content)
        return "handled"

    return router


def server_on(url: str, calls: list[str], **options: object) -> MessageServer:
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    return MessageServer(counting_router(calls), SETTINGS, dedup=RedisDedupStore(client, ttl=60),
                         clock=lambda: float(NOW), **options)  # type: ignore[arg-type]


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def test_fail_closed_answers_503_so_wechat_retries(
        own_redis: tuple[subprocess.Popen[bytes], str], caplog: pytest.LogCaptureFixture) -> None:
    proc, url = own_redis
    calls: list[str] = []
    server = server_on(url, calls, dedup_failure="closed")
    assert server.respond("POST", query("1"), TEXT_PUSH)[0] == 200
    assert server.respond("POST", query("2"), TEXT_PUSH)[2] == b"success"  # a retry, deduplicated
    stop(proc)
    with caplog.at_level(logging.ERROR, logger="wxcore.messages"):
        status, _headers, body = server.respond("POST", query("3"), TEXT_PUSH)
    assert (status, body) == (503, b"dedup store unavailable")
    assert calls == ["hello"]  # the handler did not run while the store was down
    assert "dedup store failed" in caplog.text and "handler failed" not in caplog.text
    assert "ConnectionError" in caplog.text


def test_fail_open_handles_the_push_and_logs_the_store_failure(
        own_redis: tuple[subprocess.Popen[bytes], str], caplog: pytest.LogCaptureFixture) -> None:
    proc, url = own_redis
    calls: list[str] = []
    server = server_on(url, calls, dedup_failure="open")
    stop(proc)
    with caplog.at_level(logging.WARNING, logger="wxcore.messages"):
        first = server.respond("POST", query("1"), TEXT_PUSH)
        retry = server.respond("POST", query("2"), TEXT_PUSH)
    assert first[0] == retry[0] == 200 and b"handled" in first[2] and b"handled" in retry[2]
    assert calls == ["hello", "hello"]  # the documented risk: a retry runs again
    assert "dedup store failed: push handled anyway" in caplog.text
    assert "handler failed" not in caplog.text


def test_the_default_is_fail_open_and_other_values_are_refused() -> None:
    assert MessageServer(Router(), SETTINGS).dedup_failure == "open"
    with pytest.raises(UsageError, match="dedup_failure"):
        MessageServer(Router(), SETTINGS, dedup_failure="maybe")  # type: ignore[arg-type]


def test_dedup_is_memory_by_default_and_a_misspelled_name_is_refused() -> None:
    assert isinstance(MessageServer(Router(), SETTINGS).dedup, MemoryDedupStore)
    assert MessageServer(Router(), SETTINGS, dedup=None).dedup is None
    with pytest.raises(UsageError, match='dedup must be a store, None or "memory", not .redis.'):
        MessageServer(Router(), SETTINGS, dedup="redis")


class BrokenDiscard:
    """A store whose add works but whose discard fails (the store died mid-request)."""

    def __init__(self) -> None:
        self.added: list[str] = []

    def add(self, key: str) -> bool:
        self.added.append(key)
        return True

    def discard(self, key: str) -> None:
        raise ConnectionError("store went away")


def test_a_store_failing_after_a_handler_failure_keeps_both_errors() -> None:
    router = Router()

    @router.message("text")
    def boom(message: TextMessage) -> None:
        raise RuntimeError("handler bug")

    store = BrokenDiscard()
    with pytest.raises(DedupUnavailableError) as caught:
        PushPipeline(router, SETTINGS).handle(query("1"), TEXT_PUSH, now=NOW, random_bytes=bytes,
                                              seen=store)
    assert store.added == [f"m:{OA_ID}:24312345678901234"]
    assert isinstance(caught.value.__cause__, ConnectionError)
    assert isinstance(caught.value.__cause__.__context__, RuntimeError)
