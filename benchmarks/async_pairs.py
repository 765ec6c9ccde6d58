"""Async loopback: wxcore's ``AsyncClient`` over httpx and over aiohttp, each beside the raw
library making the same request (``json.loads`` of the body), at 1 and 64 concurrent tasks.

Used by run.py (one event loop per pairing, paired rounds, order alternating) and by
bench_async.py, which also pairs the two wxcore transports with each other and counts
instructions per call under callgrind (:func:`count_instructions`).

The sides, by name: ``wxcore+httpx``, ``wxcore+aiohttp`` (``AsyncClient.call`` of
cgi-bin/ticket/getticket with its policy, parsing and retry wrapper) and ``raw httpx``,
``raw aiohttp`` (the same GET and ``json.loads``), each on a pool of 100 connections.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

AsyncCall = Callable[[], Awaitable[object]]

SIDES = ("wxcore+aiohttp", "raw aiohttp", "wxcore+httpx", "raw httpx")


@asynccontextmanager
async def callers(base: str, appid: str, token: str,
                  names: Sequence[str]) -> AsyncIterator[dict[str, AsyncCall]]:
    """One async callable per side in ``names``, open for the block's length."""
    from wxcore.tokens import fetch_ticket

    from wxcore.adapters.async_client import AsyncClient

    url = f"{base}/cgi-bin/ticket/getticket?" + urlencode({"type": "jsapi", "access_token": token})
    call = fetch_ticket("jsapi")
    made: dict[str, AsyncCall] = {}
    async with AsyncExitStack() as stack:
        for name in names:
            if name == "raw httpx":
                import httpx

                raw_client = await stack.enter_async_context(httpx.AsyncClient(
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=100)))

                async def raw_httpx(client: httpx.AsyncClient = raw_client) -> object:
                    return json.loads((await client.get(url)).content)["ticket"]

                made[name] = raw_httpx
            elif name == "raw aiohttp":
                import aiohttp

                session = await stack.enter_async_context(
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)))

                async def raw_aiohttp(session: aiohttp.ClientSession = session) -> object:
                    async with session.get(url) as response:
                        return json.loads(await response.read())["ticket"]

                made[name] = raw_aiohttp
            elif name in ("wxcore+httpx", "wxcore+aiohttp"):
                transport: object
                if name == "wxcore+httpx":
                    from wxcore.adapters.httpx_transport import HttpxAsyncTransport

                    transport = HttpxAsyncTransport.for_base_url(base)
                else:
                    from wxcore.adapters.aiohttp_transport import AiohttpTransport

                    transport = AiohttpTransport.for_base_url(base)
                client = await stack.enter_async_context(
                    AsyncClient(appid, transport=transport))
                client.set_access_token(token)

                async def ours(client: AsyncClient = client) -> object:
                    return (await client.call(call)).ticket

                made[name] = ours
            else:
                raise ValueError(f"unknown side {name!r} (one of {SIDES})")
        for fn in made.values():
            await fn()  # open a connection before timing
        yield made


async def rate(call: AsyncCall, tasks: int, window: float) -> float:
    """Calls per second of ``tasks`` tasks each awaiting ``call`` in a loop for ``window`` s."""
    stop = time.perf_counter() + window
    counts = [0] * tasks

    async def loop(index: int) -> None:
        while True:  # at least one call, however late the task starts
            await call()
            counts[index] += 1
            if time.perf_counter() >= stop:
                break

    start = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(tasks)))
    return sum(counts) / (time.perf_counter() - start)


async def calls_of(call: AsyncCall, tasks: int, total: int) -> None:
    """Exactly ``total`` calls, shared out among ``tasks`` concurrent tasks."""
    left = total

    async def loop() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    await asyncio.gather(*(loop() for _ in range(tasks)))


async def _paired(ours: AsyncCall, ref: AsyncCall, tasks: int, rounds: int,
                  window: float) -> list[float]:
    ratios = []
    for index in range(rounds):
        order = (ours, ref) if index % 2 == 0 else (ref, ours)
        a = await rate(order[0], tasks, window)
        b = await rate(order[1], tasks, window)
        ratios.append(a / b if index % 2 == 0 else b / a)
    return ratios


async def _pair(case: str, reference: str, base: str, appid: str, token: str, tasks: int,
                rounds: int, window: float) -> list[float]:
    async with callers(base, appid, token, (case, reference)) as made:
        return await _paired(made[case], made[reference], tasks, rounds, window)


def paired_sides(case: str, reference: str, base: str, appid: str, token: str, tasks: int,
                 rounds: int, window: float) -> list[float]:
    """Throughput of side ``case`` over side ``reference``, one ratio per round."""
    return asyncio.run(_pair(case, reference, base, appid, token, tasks, rounds, window))


def paired(library: str, base: str, appid: str, token: str, tasks: int, rounds: int,
           window: float) -> list[float]:
    """wxcore over raw ``library`` ("httpx" or "aiohttp"), one ratio per round."""
    return paired_sides(f"wxcore+{library}", f"raw {library}", base, appid, token, tasks,
                        rounds, window)


# -- instructions per call, under callgrind -------------------------------------------------

def run_side(side: str, base: str, appid: str, token: str, tasks: int, total: int) -> None:
    """``total`` calls of one side (what :func:`count_instructions` runs under valgrind)."""
    async def main() -> None:
        async with callers(base, appid, token, (side,)) as made:
            await calls_of(made[side], tasks, 100)  # warm: every connection of the pool open
            await calls_of(made[side], tasks, total)

    asyncio.run(main())


def count_instructions(side: str, base: str, appid: str, token: str, tasks: int,
                       total: int) -> int:
    """Instructions the client process spends on ``total`` calls (plus start-up), counted
    by valgrind's callgrind: a figure that does not move with the machine's load."""
    script = Path(__file__).with_name("bench_async.py")
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         str(script), "--run", side, base, appid, token, str(tasks), str(total)],
        capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", out)
    if found is None:
        raise RuntimeError(f"callgrind printed no instruction count:\n{out}")
    return int(found.group(1))


def instructions_per_call(side: str, base: str, appid: str, token: str, tasks: int,
                          total: int) -> float:
    """Instructions per call of one side: (``total`` calls - none) / ``total``."""
    return (count_instructions(side, base, appid, token, tasks, total)
            - count_instructions(side, base, appid, token, tasks, 0)) / total
