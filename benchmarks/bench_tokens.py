"""Benchmark: token gets per second by store, and the stale-token stampede across processes.

Run by hand: ``python benchmarks/bench_tokens.py`` (needs redis-server on PATH, or
``--redis URL`` to use a running one). It prints

* gets per second of a fresh cached token from process memory, Redis, a get/set cache and
  the token server (local cache hit and a round trip per get), with ratios to memory;
* the stampede: P processes x T threads find the token stale at once; upstream fetches
  (stable_token calls at the loopback sandbox) and the time until every thread has a token,
  for one shared Redis store versus each process with its own memory store (the baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from wxcore.http import Request
from wxcore.tokens import Token

from wxcore.adapters.client import Client
from wxcore.adapters.sandbox import SandboxServer, SandboxTransport, WeChatSandbox
from wxcore.adapters.stores import CacheTokenStore
from wxcore.adapters.stores.redis import RedisTokenStore
from wxcore.adapters.token_server import RemoteTokenProvider, TokenServer, TokenService
from wxcore.adapters.tokens import CachedTokenProvider, MemoryTokenStore, TokenStore
from wxcore.adapters.transport import Urllib3Transport

from timing import best_rate, wait_listening

KEY = "wxcore:wx5b2e7d9c1a04f836:access_token:stable"
SECRET = "bench-shared-secret-0123456789"
#: A request the sandbox answers without counting a token fetch (warms connection pools).
_PING = Request(method="GET", path="/sandbox/stats", endpoint="warm_up")


@contextmanager
def redis_server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found: install it or pass --redis URL")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="wxcore-bench-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


class DictCache:
    """A get/set/add/delete cache in memory (the shape of Django's cache API)."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}

    def get(self, key: str, default: object = None) -> object:
        return self.data.get(key, default)

    def set(self, key: str, value: object, timeout: float | None = None) -> None:
        self.data[key] = value

    def add(self, key: str, value: object, timeout: float | None = None) -> bool:
        return self.data.setdefault(key, value) is value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def bench_gets(redis_url: str, seconds: float) -> None:
    fresh = Token(value="81_" + "x" * 150, expires_at=time.time() + 7200)

    def provider(store: TokenStore) -> CachedTokenProvider:
        p = CachedTokenProvider(lambda rejected: fresh, key=KEY, store=store)
        p.set(fresh)
        return p

    results: dict[str, float] = {}
    results["memory"] = best_rate(provider(MemoryTokenStore()).get, seconds)
    results["redis"] = best_rate(provider(RedisTokenStore(redis_url)).get, seconds)
    results["get/set cache (dict)"] = best_rate(provider(CacheTokenStore(DictCache())).get,
                                                      seconds)
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    client = Client(app.appid, app.secret, transport=SandboxTransport(sandbox))
    with TokenServer(TokenService.for_clients([client]), SECRET) as server:
        cached = RemoteTokenProvider(server.base_url, app.appid, secret=SECRET)
        results["token server, local hit"] = best_rate(cached.get, seconds)
        always = RemoteTokenProvider(server.base_url, app.appid, secret=SECRET, margin=1e9)
        results["token server, round trip"] = best_rate(always.get, seconds)
    base = results["memory"]
    print(f"\nToken gets per second (one thread, fresh token, {seconds:.1f}s each)")
    print(f"{'source':<28}{'gets/s':>14}{'vs memory':>12}{'us/get':>10}")
    for name, rate in results.items():
        print(f"{name:<28}{rate:>14,.0f}{rate / base:>12.4f}{1e6 / rate:>10.1f}")


# -- the stampede -----------------------------------------------------------------------------


def worker(cfg: dict[str, object]) -> None:
    """One process of the stampede: T threads get the token as soon as 'go' is set."""
    if cfg.get("sdk") == "wechatpy":
        return wechatpy_worker(cfg)
    store: TokenStore = (RedisTokenStore(str(cfg["redis"])) if cfg["shared"]
                         else MemoryTokenStore())
    client = Client(str(cfg["appid"]), str(cfg["secret"]), token_store=store,
                    transport=Urllib3Transport.for_base_url(str(cfg["base"])))
    if not cfg["shared"]:  # the baseline's own cache holds the same stale token
        store.save(KEY, Token(value="81_stale", expires_at=time.time() - 1))

    def warm() -> None:
        store.load(KEY + ":warm-up")
        client.transport.send(_PING)

    released(cfg, warm, client.get_access_token)


def wechatpy_worker(cfg: dict[str, object]) -> None:
    """The same process with wechatpy 1.8.18: a ``WeChatClient`` keeping its token in its
    ``RedisStorage`` on the same Redis (which holds no token for it)."""
    import peers
    from wechatpy.session.redisstorage import RedisStorage

    shared = redis.Redis.from_url(str(cfg["redis"]))
    client = peers.token_client(str(cfg["base"]), str(cfg["appid"]), str(cfg["secret"]),
                                RedisStorage(shared))

    def warm() -> None:
        shared.get(KEY + ":warm-up")
        client._http.get(str(cfg["base"]) + _PING.path)

    released(cfg, warm, lambda: client.access_token)


def released(cfg: dict[str, object], warm: Callable[[], object],
             get_token: Callable[[], object]) -> None:
    """Warm up (as a long-running process would be: T pooled connections to Redis and the
    sandbox), report ready, wait for 'go', then T threads call ``get_token`` at once; the
    waits are printed as JSON."""
    count = cfg["threads"]
    if not isinstance(count, int):
        raise TypeError(f"threads: an int, not {count!r}")
    barrier = threading.Barrier(count)

    def warm_one() -> None:
        barrier.wait()
        warm()

    warmers = [threading.Thread(target=warm_one) for _ in range(barrier.parties)]
    for t in warmers:
        t.start()
    for t in warmers:
        t.join()
    control = redis.Redis.from_url(str(cfg["redis"]))
    control.incr(f"{cfg['run']}:ready")
    go = None
    while go is None:
        go = control.get(f"{cfg['run']}:go")
        time.sleep(0.0005)
    started = float(go)
    waits: list[float] = []

    def one() -> None:
        get_token()
        waits.append(time.time() - started)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(waits))


def stampede(redis_url: str, processes: int, threads: int, shared: bool,
             sdk: str = "wxcore") -> tuple[int, float, float]:
    """(upstream fetches, median wait, time until the last thread had a token); ``sdk``
    "wechatpy" runs wechatpy 1.8.18 with its Redis session storage instead."""
    control = redis.Redis.from_url(redis_url)
    control.flushdb()
    with SandboxServer(WeChatSandbox()) as sandbox_server:
        app = sandbox_server.sandbox.default_app
        RedisTokenStore(redis_url).save(KEY, Token(value="81_stale", expires_at=time.time() - 1))
        run = f"stampede-{shared}-{time.time_ns()}"
        cfg = {"redis": redis_url, "base": sandbox_server.base_url, "appid": app.appid,
               "secret": app.secret, "threads": threads, "shared": shared, "run": run,
               "sdk": sdk}
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(cfg)],
                                  stdout=subprocess.PIPE, text=True) for _ in range(processes)]
        while int(control.get(f"{run}:ready") or 0) < processes:
            time.sleep(0.01)
        time.sleep(0.2)  # let every worker reach its poll loop
        control.set(f"{run}:go", repr(time.time()))
        waits = [w for p in procs for w in json.loads(p.communicate()[0].strip().splitlines()[-1])]
        fetches = sandbox_server.sandbox.calls[
            "/cgi-bin/stable_token" if sdk == "wxcore" else "/cgi-bin/token"]
    return fetches, statistics.median(waits), max(waits)


def bench_stampede(redis_url: str, processes: int, threads: int, rounds: int) -> None:
    print(f"\nStale-token stampede: {processes} processes x {threads} threads, loopback sandbox,"
          f" median of {rounds} rounds")
    print(f"{'store':<34}{'upstream fetches':>18}{'median wait ms':>16}{'recovered in ms':>17}")
    rows = {}
    for shared, name in ((False, "memory per process (baseline)"), (True, "one shared Redis")):
        runs = [stampede(redis_url, processes, threads, shared) for _ in range(rounds)]
        rows[name] = tuple(statistics.median(r[i] for r in runs) for i in range(3))
        fetches, median, last = rows[name]
        print(f"{name:<34}{fetches:>18.0f}{median * 1000:>16.1f}{last * 1000:>17.1f}")
    base, red = rows["memory per process (baseline)"], rows["one shared Redis"]
    print(f"upstream fetches: Redis {red[0]:.0f} vs baseline {base[0]:.0f} "
          f"({base[0] / max(red[0], 1):.0f}x fewer); time to recover, Redis/baseline: "
          f"{red[2] / base[2]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", help="use this Redis instead of starting one")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per gets benchmark")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="stampede rounds per store")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with redis_server(args.redis) as url:
        bench_gets(url, args.seconds)
        bench_stampede(url, args.processes, args.threads, args.rounds)


if __name__ == "__main__":
    main()
