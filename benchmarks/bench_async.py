"""Async transports over loopback: wxcore's httpx and aiohttp transports beside raw httpx
and raw aiohttp, at 1 and 64 concurrent tasks.

Run by hand (a shared machine is noisy; compare the ratios within one run):

    python benchmarks/bench_async.py

Each case sends the same GET (cgi-bin/ticket/getticket with a token) to a minimal keep-alive
HTTP server in another process (the one of bench_client.py): the wxcore cases through
``AsyncClient.call`` (policy, parsing, retry wrapper included), the raw cases as a request
plus ``json.loads``. Rates are the best of three rounds, interleaved. ``AsyncClient`` uses
the faster of the two transports by default (see ``ASYNC_TRANSPORTS``).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import aiohttp
import httpx

from wxcore.tokens import fetch_ticket

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.async_transport import AsyncTransport
from wxcore.adapters.httpx_transport import HttpxAsyncTransport

from bench_client import APPID, TOKEN, _serve

ROUND = 1.0  # seconds per measurement


async def rate(fn: Callable[[], Awaitable[object]], tasks: int, seconds: float = ROUND) -> float:
    """Calls per second with ``tasks`` tasks each calling ``fn`` in a loop."""
    count = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < stop:
            await fn()
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return count / (time.perf_counter() - start)


async def bench(base: str) -> dict[tuple[str, int], float]:
    url = f"{base}/cgi-bin/ticket/getticket?" + urlencode({"type": "jsapi", "access_token": TOKEN})
    raw_httpx = httpx.AsyncClient(limits=httpx.Limits(max_connections=100))
    raw_aiohttp = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    clients: dict[str, AsyncClient] = {}
    for name, make in (("wxcore+httpx", HttpxAsyncTransport), ("wxcore+aiohttp", AiohttpTransport)):
        transport: AsyncTransport = make(base_urls={"*": [base]})
        client = clients[name] = AsyncClient(APPID, transport=transport)
        client.set_access_token(TOKEN)
    call = fetch_ticket("jsapi")

    async def httpx_raw() -> object:
        return json.loads((await raw_httpx.get(url)).content)["ticket"]

    async def aiohttp_raw() -> object:
        async with raw_aiohttp.get(url) as response:
            return json.loads(await response.read())["ticket"]

    def through(client: AsyncClient) -> Callable[[], Awaitable[object]]:
        async def wx() -> object:
            return (await client.call(call)).ticket
        return wx

    cases: dict[str, Callable[[], Awaitable[object]]] = {
        "raw httpx": httpx_raw, "raw aiohttp": aiohttp_raw,
        **{name: through(client) for name, client in clients.items()},
    }
    best: dict[tuple[str, int], float] = {}
    for tasks in (1, 64):
        for _ in range(3):  # interleaved rounds share the machine's noise fairly
            for name, fn in cases.items():
                best[name, tasks] = max(best.get((name, tasks), 0.0), await rate(fn, tasks))
    await raw_httpx.aclose()
    await raw_aiohttp.close()
    for client in clients.values():
        await client.aclose()
    return best


def main() -> None:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    try:
        best = asyncio.run(bench(f"http://127.0.0.1:{queue.get(timeout=10)}"))
    finally:
        server.terminate()
    for tasks in (1, 64):
        print(f"-- {tasks} task(s)")
        for (name, n), value in best.items():
            if n == tasks:
                print(f"{name:16s} {value:9.0f} calls/s")
        print(f"wxcore+aiohttp / wxcore+httpx: {best['wxcore+aiohttp', tasks] / best['wxcore+httpx', tasks]:.2f}")
        print(f"wxcore+httpx / raw httpx:      {best['wxcore+httpx', tasks] / best['raw httpx', tasks]:.2f}")
        print(f"wxcore+aiohttp / raw aiohttp:  {best['wxcore+aiohttp', tasks] / best['raw aiohttp', tasks]:.2f}")


if __name__ == "__main__":
    main()
