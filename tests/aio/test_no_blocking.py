"""Nothing blocks the event loop: the async paths run under asyncio's debug mode with a
slow-callback threshold, and a callback over it fails the test.

Every callback (a task step) that holds the loop longer than the threshold is reported;
sync I/O inside an async path (a blocking socket, a file read, a sync Redis call,
``time.sleep``) shows up there. A callback's time is its wall time less the time its thread
waited for a CPU (Linux's ``/proc/thread-self/schedstat`` run delay): on a shared, loaded
machine a step is otherwise stretched by other processes, and asyncio's own slow-callback
warning (wall time only) failed this test on load alone. The loop still runs in debug mode
for asyncio's other checks; the harness itself is checked to catch a blocking call.
"""

from __future__ import annotations

import asyncio
import os
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
    """Run ``work`` in a debug-mode loop; the callbacks that held the loop over ``SLOW``
    seconds, not counting the time their thread waited for a CPU."""
    schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    slow: list[str] = []
    run = asyncio.events.Handle._run

    def run_delay() -> float:  # seconds this thread has waited on a run queue
        return int(os.pread(schedstat, 128, 0).split()[1]) / 1e9

    def timed(handle: asyncio.events.Handle) -> None:
        started, waited = time.monotonic(), run_delay()
        run(handle)
        held = time.monotonic() - started - (run_delay() - waited)
        if held > SLOW:
            slow.append(f"{handle!r} held the loop {held:.3f} s")

    async def main() -> None:
        asyncio.get_running_loop().slow_callback_duration = 3600  # measured here instead
        await work()

    caplog.clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(asyncio.events.Handle, "_run", timed)
            asyncio.run(main(), debug=True)
    finally:
        os.close(schedstat)
    return slow


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
