"""Nothing blocks the event loop: the async paths run under asyncio's debug mode with a
slow-callback threshold, and a callback over it fails the test.

Debug mode logs every callback (a task step) that holds the loop longer than
``loop.slow_callback_duration``; sync I/O inside an async path (a blocking socket, a file
read, a sync Redis call, ``time.sleep``) shows up there. The threshold leaves room for a
shared, noisy machine; the harness itself is checked to catch a blocking call.
"""

from __future__ import annotations

import asyncio
import logging
import pathlib
import time
from collections.abc import Awaitable, Callable

import pytest

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.async_miniprogram import AsyncMiniProgram
from wxcore.adapters.httpx_transport import HttpxAsyncTransport
from wxcore.adapters.sandbox import AsyncSandboxTransport, SandboxServer, WeChatSandbox, phone_code

SLOW = 0.25  # seconds one callback may hold the loop


def slow_callbacks(work: Callable[[], Awaitable[None]],
                   caplog: pytest.LogCaptureFixture) -> list[str]:
    """Run ``work`` in a debug-mode loop; the slow-callback warnings it caused."""
    caplog.clear()

    async def main() -> None:
        asyncio.get_running_loop().slow_callback_duration = SLOW
        await work()

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        asyncio.run(main(), debug=True)
    return [r.getMessage() for r in caplog.records
            if r.name == "asyncio" and "took" in r.getMessage()]


def test_the_check_catches_a_blocking_call(caplog: pytest.LogCaptureFixture) -> None:
    async def blocking() -> None:
        time.sleep(SLOW * 1.5)

    assert len(slow_callbacks(blocking, caplog)) == 1


def test_async_clients_never_hold_the_loop(sandbox_server: SandboxServer, tmp_path: pathlib.Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    app = sandbox_server.sandbox.default_app
    memory = WeChatSandbox()
    image = tmp_path / "code.png"

    async def work() -> None:
        for transport in (HttpxAsyncTransport.for_base_url(sandbox_server.base_url),
                          AiohttpTransport.for_base_url(sandbox_server.base_url)):
            async with AsyncMiniProgram(app.appid, app.secret, transport=transport) as mp:
                await asyncio.gather(*(mp.get_access_token() for _ in range(200)))
                await asyncio.gather(*(mp.get_phone_number(
                    phone_code(sandbox_server.sandbox, "13912345678")) for _ in range(20)))
        local = memory.default_app
        mp = AsyncMiniProgram(local.appid, local.secret, transport=AsyncSandboxTransport(memory))
        image.write_bytes((await mp.get_wxacode("pages/a")).content)
        media_id = (await mp.super_resolution(img=image)).media_id
        await mp.get_temp_media(media_id, tmp_path / "copy.png")
        assert (tmp_path / "copy.png").read_bytes() == image.read_bytes()

    assert slow_callbacks(work, caplog) == []
