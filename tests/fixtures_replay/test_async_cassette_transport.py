"""AsyncCassetteTransport without pytest's fixture: a cassette file opened in a record mode
records through an async transport (the in-process sandbox), is saved when the client
closes, and replays into async_replay_client and the sync replay_client alike."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wxcore import AsyncMiniProgram, MiniProgram
from wxcore.adapters.cassette import (
    AsyncCassetteTransport,
    CassetteMismatchError,
    async_replay_client,
    load_cassette,
    replay_client,
)
from wxcore.adapters.sandbox import AsyncSandboxTransport, WeChatSandbox, login_code
from wxcore.errors import UsageError


def test_record_once_then_replay_async_and_sync(tmp_path: Path) -> None:
    path = tmp_path / "login.json"
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    code = login_code(sandbox, "alice")

    async def record() -> str:
        transport = AsyncCassetteTransport(path, "once", lambda: AsyncSandboxTransport(sandbox))
        async with AsyncMiniProgram(app.appid, app.secret, transport=transport,
                                    retry=None) as mp:
            return (await mp.code2session(code)).openid

    openid = asyncio.run(record())
    text = path.read_text("utf-8")
    assert app.secret not in text and "/sns/jscode2session" in text
    assert [i.request.path for i in load_cassette(path).interactions] == ["/sns/jscode2session"]

    async def replay() -> str:
        mp = async_replay_client(AsyncMiniProgram, path)
        openid = (await mp.code2session(code)).openid
        with pytest.raises(CassetteMismatchError):
            await mp.code2session("another-code")
        return openid

    assert asyncio.run(replay()) == openid
    assert replay_client(MiniProgram, path).code2session(code).openid == openid
    assert sandbox.calls["/sns/jscode2session"] == 1  # replays sent nothing


def test_a_recording_cassette_needs_an_async_transport(tmp_path: Path) -> None:
    transport = AsyncCassetteTransport(tmp_path / "new.json", "all")
    mp = AsyncMiniProgram("wx1234567890abcdef", "secret", transport=transport, retry=None)
    with pytest.raises(UsageError, match="async transport to record through"):
        asyncio.run(mp.code2session("code"))
