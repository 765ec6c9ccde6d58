"""Async loopback: wxcore's ``AsyncClient`` over httpx and over aiohttp, each beside the raw
library making the same request (``json.loads`` of the body), at 1 and 64 concurrent tasks.

Used by run.py: one event loop per pairing, paired rounds, order alternating (bench_async.py
is the stand-alone version: best of three rounds against the Python loopback server).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

AsyncCall = Callable[[], Awaitable[object]]


async def rate(call: AsyncCall, tasks: int, window: float) -> float:
    """Calls per second of ``tasks`` tasks each awaiting ``call`` in a loop for ``window`` s."""
    stop = time.perf_counter() + window
    counts = [0] * tasks

    async def loop(index: int) -> None:
        while time.perf_counter() < stop:
            await call()
            counts[index] += 1

    start = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(tasks)))
    return sum(counts) / (time.perf_counter() - start)


async def _paired(ours: AsyncCall, raw: AsyncCall, tasks: int, rounds: int,
                  window: float) -> list[float]:
    await ours(), await raw()  # open the connections before timing
    ratios = []
    for index in range(rounds):
        order = (ours, raw) if index % 2 == 0 else (raw, ours)
        a = await rate(order[0], tasks, window)
        b = await rate(order[1], tasks, window)
        ratios.append(a / b if index % 2 == 0 else b / a)
    return ratios


async def _run(library: str, base: str, appid: str, token: str, tasks: int, rounds: int,
               window: float) -> list[float]:
    from contextlib import AsyncExitStack

    from wxcore.tokens import fetch_ticket

    from wxcore.adapters.async_client import AsyncClient

    url = f"{base}/cgi-bin/ticket/getticket?" + urlencode({"type": "jsapi", "access_token": token})
    async with AsyncExitStack() as stack:
        raw: AsyncCall
        if library == "httpx":
            import httpx

            from wxcore.adapters.httpx_transport import HttpxAsyncTransport as transport

            raw_client = await stack.enter_async_context(httpx.AsyncClient())

            async def raw() -> object:
                return json.loads((await raw_client.get(url)).content)["ticket"]
        else:
            import aiohttp

            from wxcore.adapters.aiohttp_transport import AiohttpTransport as transport  # type: ignore[assignment]

            session = await stack.enter_async_context(aiohttp.ClientSession())

            async def raw() -> object:
                async with session.get(url) as response:
                    return json.loads(await response.read())["ticket"]

        client = await stack.enter_async_context(
            AsyncClient(appid, transport=transport.for_base_url(base)))
        client.set_access_token(token)
        call = fetch_ticket("jsapi")

        async def ours() -> object:
            return (await client.call(call)).ticket

        return await _paired(ours, raw, tasks, rounds, window)


def paired(library: str, base: str, appid: str, token: str, tasks: int, rounds: int,
           window: float) -> list[float]:
    """wxcore over raw ``library`` ("httpx" or "aiohttp"), one ratio per round."""
    return asyncio.run(_run(library, base, appid, token, tasks, rounds, window))
