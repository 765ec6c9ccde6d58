"""Every benchmark in one run: one table of ratios, saved as JSON, drawn as one chart.

    python benchmarks/run.py [--quick] [--json PATH] [--chart PATH]

Each row is the median of paired rounds -- the case timed right next to its reference, the
order alternating -- with the spread (lowest-highest round). Peers: wechatpy 1.8.18 (the
``bench`` extra), raw urllib3 + json; floors: the hand-written ones in bench_client.py and
bench_messages.py. Loopback rows talk to Debian's nginx (see nginx.py) on a loopback port.
``--quick`` is the smoke run the test suite does (tiny counts, figures meaningless).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_client  # noqa: E402
import bench_messages  # noqa: E402
import nginx  # noqa: E402
import peers  # noqa: E402
from timing import best_rate, paired_ratios  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    """One line of the table: ``ratios`` of wxcore over ``reference``, one per round."""

    group: str
    case: str
    reference: str
    target: str  # ">= 0.95", "<= 0.5", or "" (informational)
    ratios: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    def met(self) -> bool | None:
        if not self.target or self.median is None:
            return None
        op, bound = self.target.split()
        return self.median >= float(bound) if op == ">=" else self.median <= float(bound)


@dataclass
class Settings:
    rounds: int
    window: float
    threads_window: float
    stampede_threads: int
    processes: int
    process_threads: int
    import_repeats: int  # fresh interpreters per module per round (the least is kept)


FULL = Settings(rounds=7, window=0.3, threads_window=0.6, stampede_threads=64, processes=8,
                process_threads=16, import_repeats=3)
QUICK = Settings(rounds=2, window=0.01, threads_window=0.02, stampede_threads=4, processes=2,
                 process_threads=2, import_repeats=1)


def skipped(row: Row, why: str) -> Row:
    row.note = why
    return row


def message_rows(s: Settings, wechatpy: str | None) -> list[Row]:
    query, body = bench_messages.build_request()
    settings = bench_messages.PushSettings(token=bench_messages.TOKEN,
                                           encoding_aes_key=bench_messages.AES_KEY,
                                           appid=bench_messages.APPID)
    pipeline = bench_messages.PushPipeline(bench_messages.make_router(), settings)
    now, rand = bench_messages.NOW, bench_messages.cheap_random

    def ours() -> object:
        return pipeline.handle(query, body, now=now, random_bytes=rand)

    def parse() -> object:
        return bench_messages.parse_body(bench_messages.PUSH)

    rows = [
        Row("messages", "pipeline", "floor (AES cipher built once)", ">= 0.95",
            paired_ratios(ours, lambda: bench_messages.floor_pipeline(query, body), s.rounds,
                          s.window)),
        Row("messages", "parse a push", "ElementTree floor", ">= 0.9",
            paired_ratios(parse, lambda: bench_messages.floor_parse(bench_messages.PUSH),
                          s.rounds, s.window)),
    ]
    pipe_w = Row("messages", "pipeline", "wechatpy", ">= 2.4")
    parse_w = Row("messages", "parse a push", "wechatpy", "")
    if wechatpy:
        return rows + [skipped(pipe_w, wechatpy), skipped(parse_w, wechatpy)]
    theirs = peers.pipeline(bench_messages.TOKEN, bench_messages.AES_KEY, bench_messages.APPID,
                            query, body)
    pipe_w.ratios = paired_ratios(ours, theirs, s.rounds, s.window)
    parse_w.ratios = paired_ratios(parse, peers.parse(bench_messages.PUSH), s.rounds, s.window)
    return rows + [pipe_w, parse_w]


def in_process_rows(s: Settings, wechatpy: str | None) -> list[Row]:
    cases = bench_client.in_process_cases()
    theirs = None if wechatpy else peers.in_process(
        bench_client.APPID, bench_client.TOKEN, bench_client.UNIONID_BODY,
        bench_client.PHONE_BODY)
    rows = []
    for name, target in (("get", ">= 0.8"), ("post_json", ">= 0.6")):
        floor, ours = cases[name]
        rows.append(Row("in-process call", name, "hand-written floor", target,
                        paired_ratios(ours, floor, s.rounds, s.window)))
        peer = Row("in-process call", name, "wechatpy", ">= 40")
        if theirs is None:
            rows.append(skipped(peer, str(wechatpy)))
        else:
            peer.ratios = paired_ratios(ours, theirs[name], s.rounds, s.window)
            rows.append(peer)
    return rows


def throughput(call: Callable[[], object], threads: int, window: float) -> float:
    """Calls per second of ``threads`` threads calling ``call`` for ``window`` seconds."""
    if threads == 1:
        return best_rate(call, window, warmup=20)
    counts = [0] * threads
    stop = time.perf_counter() + window

    def loop(index: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            call()
            n += 1
        counts[index] = n

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def paired_throughput(ours: Callable[[], object], ref: Callable[[], object], threads: int,
                      s: Settings) -> list[float]:
    ratios = []
    for index in range(s.rounds):
        order = (ours, ref) if index % 2 == 0 else (ref, ours)
        a, b = (throughput(f, threads, s.threads_window) for f in order)
        ratios.append(a / b if index % 2 == 0 else b / a)
    return ratios


def loopback_rows(s: Settings, wechatpy: str | None) -> tuple[list[Row], str]:
    import urllib3
    from urllib.parse import urlencode

    from wxcore.tokens import fetch_ticket

    from wxcore.adapters.client import Client
    from wxcore.adapters.transport import Urllib3Transport

    if nginx.binary() is None:
        return [skipped(Row("loopback", f"GET, {n} thread{'s' * (n > 1)}", "raw urllib3 + json",
                            ">= 0.95"), "nginx not installed (apt-get install nginx-light)")
                for n in (1, 8)] + async_rows(s, None), "none"
    rows = []
    with nginx.nginx_server(bench_client.BODY) as base:
        pool = urllib3.PoolManager(maxsize=16)
        url = f"{base}/cgi-bin/ticket/getticket?" + urlencode(
            {"type": "jsapi", "access_token": bench_client.TOKEN})

        def raw() -> object:
            return json.loads(pool.request("GET", url, retries=False).data)["ticket"]

        client = Client(bench_client.APPID, transport=Urllib3Transport.for_base_url(base))
        client.set_access_token(bench_client.TOKEN)
        call = fetch_ticket("jsapi")

        def ours() -> object:
            return client.call(call).ticket

        for threads in (1, 8):
            rows.append(Row("loopback", f"GET, {threads} thread{'s' * (threads > 1)}",
                            "raw urllib3 + json", ">= 0.95",
                            paired_throughput(ours, raw, threads, s)))
        peer = Row("loopback", "GET, 1 thread", "wechatpy (requests)", "")
        if wechatpy:
            rows.append(skipped(peer, wechatpy))
        else:
            theirs = peers.loopback_call(base, bench_client.APPID, bench_client.TOKEN)
            peer.ratios = paired_throughput(ours, theirs, 1, s)
            rows.append(peer)
        rows += async_rows(s, base)
    return rows, f"nginx {nginx.version()} (Debian), return 200, 1 worker"


def async_rows(s: Settings, base: str | None) -> list[Row]:
    """AsyncClient over httpx and aiohttp beside the raw library, at 1 and 64 tasks."""
    rows = [Row("loopback async", f"GET, {n} task{'s' * (n > 1)}", f"raw {lib}", ">= 0.9")
            for n in (1, 64) for lib in ("httpx", "aiohttp")]
    if not any(p.name.startswith("async") for p in (ROOT / "adapters").iterdir()):
        return [skipped(r, "not yet: the async client (adapters/async*) is not on main")
                for r in rows]
    if base is None:
        return [skipped(r, "nginx not installed (apt-get install nginx-light)") for r in rows]
    import async_pairs

    for row in rows:
        lib = row.reference.split()[1]
        if importlib.util.find_spec(lib) is None:
            skipped(row, f"{lib} not installed (pip install -e '.[bench]')")
            continue
        tasks = int(row.case.split()[1])
        row.ratios = async_pairs.paired(lib, base, bench_client.APPID, bench_client.TOKEN,
                                        tasks, s.rounds, s.threads_window)
    return rows


def import_seconds(module: str) -> float:
    code = (f"import time; t = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def write_bytecode(modules: list[str]) -> None:
    """Import each module once with bytecode writing on, so the timed imports load ``.pyc``
    files as an installed package's do (pip compiles them; PYTHONDONTWRITEBYTECODE, set on
    some machines, would otherwise time compiling wxcore's source against wechatpy's .pyc)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for module in modules:
        subprocess.run([sys.executable, "-c", f"import {module}"], env=env, check=True)


def import_rows(s: Settings, wechatpy: str | None) -> list[Row]:
    """The quick start's import over wechatpy's, and the floor under both: urllib3 (which
    wechatpy imports too, through requests) with http.client, ssl and email behind it."""
    rows = [Row("import", "import wxcore.adapters.miniprogram", "import wechatpy", "<= 0.5"),
            Row("import", "import urllib3 (floor of any urllib3 SDK)", "import wechatpy", "")]
    if wechatpy:
        return [skipped(row, wechatpy) for row in rows]
    write_bytecode(["wxcore.adapters.miniprogram", "urllib3", "wechatpy"])
    for index in range(s.rounds):
        mods = ["wxcore.adapters.miniprogram", "urllib3", "wechatpy"]
        mods = mods if index % 2 == 0 else mods[::-1]
        times = {m: min(import_seconds(m) for _ in range(s.import_repeats)) for m in mods}
        for row, mod in zip(rows, ("wxcore.adapters.miniprogram", "urllib3")):
            row.ratios.append(times[mod] / times["wechatpy"])
    return rows


def bytes_per_client(make: Callable[[int], object], count: int = 200) -> float:
    make(-1)  # first-use allocations (caches, lazy imports) are not per client
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    keep = [make(i) for i in range(count)]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del keep
    return (after - before) / count


def memory_row(s: Settings, wechatpy: str | None) -> Row:
    from wxcore.adapters.miniprogram import MiniProgram

    row = Row("memory", "per idle client", "wechatpy WeChatClient", "<= 0.3")
    if wechatpy:
        return skipped(row, wechatpy)
    appid = bench_client.APPID
    for _ in range(min(s.rounds, 3)):
        ours = bytes_per_client(lambda i: MiniProgram(appid, "secret"))
        row.ratios.append(ours / bytes_per_client(lambda i: peers.idle_client(appid, "secret")))
    row.note = f"wxcore {ours / 1024:.1f} KiB per client"
    return row


def stampede_rows(s: Settings, wechatpy: str | None) -> list[Row]:
    """Upstream token fetches when many threads find no fresh token (counts, not ratios)."""
    import bench_tokens
    from wxcore.tokens import Token

    from wxcore.adapters.client import Client
    from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
    from wxcore.adapters.tokens import MemoryTokenStore
    from wxcore.adapters.transport import Urllib3Transport

    n = s.stampede_threads
    rows = []
    with SandboxServer(WeChatSandbox()) as server:
        app = server.sandbox.default_app
        store = MemoryTokenStore()
        client = Client(app.appid, app.secret, token_store=store,
                        transport=Urllib3Transport.for_base_url(server.base_url))
        store.save(bench_tokens.KEY, Token(value="81_stale", expires_at=time.time() - 1))
        barrier = threading.Barrier(n)

        def one() -> None:
            barrier.wait()
            client.get_access_token()

        workers = [threading.Thread(target=one) for _ in range(n)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        ours = server.sandbox.calls["/cgi-bin/stable_token"]
        peer_note = wechatpy or ""
        if not wechatpy:
            peers.stampede(server.base_url, app.appid, app.secret, n)
            peer_note = f"wechatpy: {server.sandbox.calls['/cgi-bin/token']} fetches"
    rows.append(Row("token stampede", f"{n} threads, one process", "upstream fetches",
                    "", [float(ours)], peer_note))
    import shutil
    if shutil.which("redis-server") is None:
        rows.append(skipped(Row("token stampede", "processes x threads (Redis)",
                                "upstream fetches", ""), "redis-server not installed"))
        return rows
    with bench_tokens.redis_server(None) as url:
        fetches, _, last = bench_tokens.stampede(url, s.processes, s.process_threads, True)
    rows.append(Row("token stampede",
                    f"{s.processes} processes x {s.process_threads} threads (Redis)",
                    "upstream fetches", "", [float(fetches)],
                    f"all had a token in {last * 1000:.0f} ms"))
    return rows


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "implementation": platform.python_implementation()}
    for dist in ("wxcore", "wechatpy", "urllib3", "msgspec", "cryptography", "requests",
                 "tenacity", "redis"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def machine() -> dict[str, object]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"platform": platform.platform(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "load_average_1m": round(load[0], 2)}


def print_table(rows: list[Row]) -> None:
    print(f"{'group':<16}{'case':<44}{'over':<30}{'median':>8}  {'spread':<12}{'target':<9}met")
    for r in rows:
        if r.median is None:
            print(f"{r.group:<16}{r.case:<44}{r.reference:<30}{'-':>8}  {'':<12}{r.target:<9}"
                  f"-  {r.note}")
            continue
        spread = f"{min(r.ratios):.2f}-{max(r.ratios):.2f}"
        met = {True: "yes", False: "NO", None: ""}[r.met()]
        print(f"{r.group:<16}{r.case:<44}{r.reference:<30}{r.median:>8.2f}  {spread:<12}"
              f"{r.target:<9}{met:<4}{r.note}")


def run(s: Settings) -> dict[str, object]:
    wechatpy = peers.available()
    rows = message_rows(s, wechatpy) + in_process_rows(s, wechatpy)
    loop, server = loopback_rows(s, wechatpy)
    rows += loop + import_rows(s, wechatpy) + [memory_row(s, wechatpy)]
    rows += stampede_rows(s, wechatpy)
    return {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
            "versions": versions(), "server": server, "settings": asdict(s),
            "rows": [dict(asdict(r), median=r.median, met=r.met()) for r in rows]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny counts")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--chart", type=Path, default=None,
                        help="draw the chart here (docs/img/benchmarks.png in the README)")
    args = parser.parse_args(argv)
    result = run(QUICK if args.quick else FULL)
    print(f"python {result['versions']['python']}, {result['machine']['cpus']} CPUs, "  # type: ignore[index]
          f"load {result['machine']['load_average_1m']}; loopback server: {result['server']}")  # type: ignore[index]
    print_table([Row(**{k: v for k, v in r.items() if k not in ("median", "met")})
                 for r in result["rows"]])  # type: ignore[attr-defined]
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {args.json}")
    if args.chart:
        import chart

        chart.draw(result, args.chart)
        print(f"chart {args.chart}")


if __name__ == "__main__":
    main()
