"""A process sharing one app's token through Redis, started by the multi-process tests.

Usage: ``python _worker.py '<json>'``; the JSON names the mode, the Redis URL, the sandbox's
base URL, the app and how many threads to run. The worker signals readiness by INCR of
``<run>:ready``, waits for ``<run>:go``, runs its threads at once (a barrier), and prints one
JSON line with what each thread saw. Mode ``hold`` instead takes the refresh lease through a
real refresh that the sandbox slows down, so the test can kill it mid-refresh.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import redis

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.stores.redis import RedisTokenStore
from wxcore.adapters.transport import Urllib3Transport


def main() -> int:
    cfg = json.loads(sys.argv[1])
    store = RedisTokenStore(cfg["redis"], lock_ttl=cfg.get("lock_ttl", 30.0))
    client = MiniProgram(cfg["appid"], cfg["secret"], token_store=store,
                         transport=Urllib3Transport.for_base_url(cfg["base"], timeout=60.0))
    if cfg["mode"] == "hold":
        print("fetching", flush=True)
        client.get_access_token()  # the sandbox stalls this refresh; the test kills us
        return 1
    control = redis.Redis.from_url(cfg["redis"])
    control.incr(cfg["run"] + ":ready")
    while not control.exists(cfg["run"] + ":go"):
        time.sleep(0.002)
    threads = cfg["threads"]
    barrier = threading.Barrier(threads)
    seen: list[str] = []
    errors: list[str] = []
    codes: list[str] = cfg.get("phone_codes", [])

    def work(index: int) -> None:
        barrier.wait()
        try:
            if cfg["mode"] == "get":
                seen.append(client.get_access_token())
            else:  # "call": an API call whose cached token WeChat has revoked
                result = client.get_phone_number(codes[index])
                seen.append(result.phone_info.purePhoneNumber)
                seen.append(client.get_access_token())
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"{type(exc).__name__}: {exc}")

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({"seen": seen, "errors": errors}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
