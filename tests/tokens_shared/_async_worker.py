"""An asyncio process sharing one app's token through Redis, started by the multi-process
tests beside (or instead of) the threaded ``_worker.py``.

Usage: ``python _async_worker.py '<json>'``; the JSON names the Redis URL, the sandbox's base
URL, the app and how many tasks to run. Like ``_worker.py`` it signals readiness by INCR of
``<run>:ready`` and waits for ``<run>:go`` (both before its event loop starts), then runs all
its tasks at once on an AsyncMiniProgram with an AsyncRedisTokenStore, and prints one JSON
line: the token each task got, and the errors (type and message) of those that failed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import redis

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.async_miniprogram import AsyncMiniProgram
from wxcore.adapters.stores.async_redis import AsyncRedisTokenStore


async def run(cfg: dict[str, Any]) -> dict[str, list[str]]:
    seen: list[str] = []
    errors: list[str] = []
    async with AsyncRedisTokenStore(cfg["redis"]) as store:
        transport = AiohttpTransport.for_base_url(cfg["base"], timeout=60.0)
        async with AsyncMiniProgram(cfg["appid"], cfg["secret"], token_store=store,
                                    transport=transport) as mp:
            results = await asyncio.gather(
                *(mp.get_access_token() for _ in range(cfg["tasks"])), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            errors.append(f"{type(result).__name__}: {result}")
        else:
            seen.append(result)
    return {"seen": seen, "errors": errors}


def main() -> int:
    cfg = json.loads(sys.argv[1])
    control = redis.Redis.from_url(cfg["redis"])
    control.incr(cfg["run"] + ":ready")
    while not control.exists(cfg["run"] + ":go"):
        time.sleep(0.002)
    print(json.dumps(asyncio.run(run(cfg))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
