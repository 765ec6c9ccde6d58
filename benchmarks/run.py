"""Every benchmark in one run: one table of ratios, saved as JSON, drawn as one chart.

    python benchmarks/run.py [--instructions] [--quick] [--json PATH] [--chart PATH]

Each timed row is the median of paired rounds -- the case timed right next to its
reference, the order alternating -- with the spread (lowest-highest round). With
``--instructions`` the rows that run in one process (messages, in-process calls, the
one-thread loopback call, the async loopback calls, import) are instead the ratio of
instruction counts under callgrind (instructions.py, async_pairs.py), which do not move with
the machine's load; each row's ``mode``
in the JSON says which measure produced it ("time", "instructions", "bytes", "count").
Peers: wechatpy 1.8.18 (the ``bench`` extra), raw urllib3 + json, raw httpx and aiohttp;
floors: the hand-written ones in bench_client.py and bench_messages.py (sides.py makes every
side). Loopback rows talk to Debian's nginx (see nginx.py) on a loopback port. ``--quick``
is the smoke run the test suite does (tiny counts, figures meaningless).
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_client  # noqa: E402
import instructions  # noqa: E402
import nginx  # noqa: E402
import peers  # noqa: E402
import sides  # noqa: E402
import stampede  # noqa: E402
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
    mode: str = "time"  # what the ratios are of: time, instructions, bytes or count

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
    stampede_tasks: int
    calls: int  # calls per side counted under callgrind (--instructions)


FULL = Settings(rounds=7, window=0.3, threads_window=0.6, stampede_threads=64, processes=8,
                process_threads=16, import_repeats=3, stampede_tasks=1000, calls=1000)
QUICK = Settings(rounds=2, window=0.01, threads_window=0.02, stampede_threads=4, processes=2,
                 process_threads=2, import_repeats=1, stampede_tasks=10, calls=5)


def skipped(row: Row, why: str) -> Row:
    row.note = why
    return row


#: The rows that time (or count) one unit of work: (group, case label, side case, reference
#: side, reference label, target). Both sides are made by sides.side.
UNIT_ROWS = (
    ("messages", "pipeline", "pipeline", "floor", "floor (AES cipher built once)", ">= 0.95"),
    ("messages", "pipeline", "pipeline", "wechatpy", "wechatpy", ">= 2.4"),
    ("messages", "parse a push", "parse", "floor", "ElementTree floor", ">= 0.9"),
    ("messages", "parse a push", "parse", "wechatpy", "wechatpy", ""),
    ("in-process call", "get", "get", "floor", "hand-written floor", ">= 0.8"),
    ("in-process call", "get", "get", "wechatpy", "wechatpy", ">= 40"),
    ("in-process call", "post_json", "post_json", "floor", "hand-written floor", ">= 0.6"),
    ("in-process call", "post_json", "post_json", "wechatpy", "wechatpy", ">= 40"),
)


#: a row and its two sides, to count instructions for
CountedPair = tuple[Row, instructions.Side, instructions.Side]


def counted(pairs: list[CountedPair], s: Settings) -> None:
    """Fill each row with one ratio of instruction counts (its sides counted in parallel;
    wechatpy's heavier calls are fewer, the count is per call either way)."""
    unique = list(dict.fromkeys(side for _, ours, ref in pairs for side in (ours, ref)))
    calls = [s.calls // 5 if "wechatpy" in args else s.calls for _, args in unique]
    per = dict(zip(unique, instructions.per_call(unique, calls)))
    for row, ours, ref in pairs:
        row.ratios, row.mode = [per[ref] / per[ours]], "instructions"
        row.note = f"instructions per call: wxcore {per[ours]:,.0f}, reference {per[ref]:,.0f}"


def unit_rows(s: Settings, wechatpy: str | None, count: bool) -> list[Row]:
    """The message and in-process call rows: timed in paired rounds, or counted."""
    rows: list[Row] = []
    pairs: list[CountedPair] = []
    for group, label, case, who, reference, target in UNIT_ROWS:
        row = Row(group, label, reference, target)
        rows.append(row)
        if who == "wechatpy" and wechatpy:
            skipped(row, wechatpy)
        elif count:
            pairs.append((row, ("sides:side", (case, "wxcore")), ("sides:side", (case, who))))
        else:
            row.ratios = paired_ratios(sides.side(case, "wxcore"), sides.side(case, who),
                                       s.rounds, s.window)
    if pairs:
        counted(pairs, s)
    return rows


def throughput(call: Callable[[], object], threads: int, window: float) -> float:
    """Calls per second of ``threads`` threads calling ``call`` for ``window`` seconds."""
    if threads == 1:
        return best_rate(call, window, warmup=20)
    counts = [0] * threads
    stop = time.perf_counter() + window

    def loop(index: int) -> None:
        n = 0
        while True:  # at least one call, however late the thread starts
            call()
            n += 1
            if time.perf_counter() >= stop:
                break
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


def loopback_rows(s: Settings, wechatpy: str | None, count: bool) -> tuple[list[Row], str]:
    """GET over loopback at 1 and 8 threads beside raw urllib3 + json, and beside wechatpy at
    1 thread; with ``count``, the 1-thread rows are instruction counts of the client."""
    names = [("GET, 1 thread", "raw", "raw urllib3 + json", ">= 0.95", 1),
             ("GET, 8 threads", "raw", "raw urllib3 + json", ">= 0.95", 8),
             ("GET, 1 thread", "wechatpy", "wechatpy (requests)", "", 1)]
    rows = [Row("loopback", case, label, target) for case, _, label, target, _ in names]
    if nginx.binary() is None:
        why = "nginx not installed (apt-get install nginx-light)"
        return [skipped(r, why) for r in rows] + async_rows(s, None), "none"
    with nginx.nginx_server(bench_client.BODY) as base:
        pairs: list[CountedPair] = []
        for row, (_, who, _, _, threads) in zip(rows, names):
            if who == "wechatpy" and wechatpy:
                skipped(row, wechatpy)
            elif count and threads == 1:
                pairs.append((row, ("sides:side", ("loopback", "wxcore", base)),
                              ("sides:side", ("loopback", who, base))))
            else:
                row.ratios = paired_throughput(sides.side("loopback", "wxcore", base),
                                               sides.side("loopback", who, base), threads, s)
        if pairs:
            counted(pairs, s)
        rows += async_rows(s, base, count)
    return rows, f"nginx {nginx.version()} (Debian), return 200, 1 worker"


def async_rows(s: Settings, base: str | None, count: bool = False) -> list[Row]:
    """AsyncClient over httpx and aiohttp beside the raw library, at 1 and 64 tasks; with
    ``count``, instruction counts of the client process (httpx's heavier calls are fewer)."""
    rows = [Row("loopback async", f"GET, {n} task{'s' * (n > 1)}", f"raw {lib}", ">= 0.9")
            for n in (1, 64) for lib in ("httpx", "aiohttp")]
    if not any(p.name.startswith("async") for p in (ROOT / "adapters").iterdir()):
        return [skipped(r, "not yet: the async client (adapters/async*) is not on main")
                for r in rows]
    if base is None:
        return [skipped(r, "nginx not installed (apt-get install nginx-light)") for r in rows]
    import async_pairs

    args = (base, bench_client.APPID, bench_client.TOKEN)
    jobs: list[tuple[Row, str, int]] = []
    for row in rows:
        lib = row.reference.split()[1]
        if importlib.util.find_spec(lib) is None:
            skipped(row, f"{lib} not installed (pip install -e '.[bench]')")
            continue
        tasks = int(row.case.split()[1])
        if count:
            jobs.append((row, lib, tasks))
        else:
            row.ratios = async_pairs.paired(lib, *args, tasks, s.rounds, s.threads_window)
    if jobs:
        def per_call(side: str, tasks: int) -> float:
            calls = s.calls // 5 if "httpx" in side else s.calls
            return async_pairs.instructions_per_call(side, *args, tasks, calls)

        # counts do not depend on the load, so the sides may share the cores
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            futures = [(row, pool.submit(per_call, f"wxcore+{lib}", tasks),
                        pool.submit(per_call, f"raw {lib}", tasks)) for row, lib, tasks in jobs]
            for row, ours, ref in futures:
                row.ratios, row.mode = [ref.result() / ours.result()], "instructions"
                row.note = (f"instructions per call: wxcore {ours.result():,.0f}, "
                            f"reference {ref.result():,.0f}")
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


def import_rows(s: Settings, wechatpy: str | None, count: bool) -> list[Row]:
    """The quick start's import over wechatpy's, and the floor under both: urllib3 (which
    wechatpy imports too, through requests) with http.client, ssl and email behind it."""
    rows = [Row("import", "import wxcore.adapters.miniprogram", "import wechatpy", "<= 0.5"),
            Row("import", "import urllib3 (floor of any urllib3 SDK)", "import wechatpy", "")]
    mods = ["wxcore.adapters.miniprogram", "urllib3"]
    if wechatpy:
        return [skipped(row, wechatpy) for row in rows]
    write_bytecode([*mods, "wechatpy"])
    if count:
        counts = instructions.import_counts([*mods, "wechatpy"])
        for row, mine in zip(rows, counts):
            row.ratios, row.mode = [mine / counts[-1]], "instructions"
            row.note = f"instructions: {mine / 1e6:,.0f}M, wechatpy {counts[-1] / 1e6:,.0f}M"
        return rows
    for index in range(s.rounds):
        order = [*mods, "wechatpy"] if index % 2 == 0 else ["wechatpy", *mods[::-1]]
        times = {m: min(import_seconds(m) for _ in range(s.import_repeats)) for m in order}
        for row, mod in zip(rows, mods):
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

    row = Row("memory", "per idle client", "wechatpy WeChatClient", "<= 0.3", mode="bytes")
    if wechatpy:
        return skipped(row, wechatpy)
    appid = bench_client.APPID
    for _ in range(min(s.rounds, 3)):
        ours = bytes_per_client(lambda i: MiniProgram(appid, "secret"))
        row.ratios.append(ours / bytes_per_client(lambda i: peers.idle_client(appid, "secret")))
    row.note = f"wxcore {ours / 1024:.1f} KiB per client"
    return row


def stampede_rows(s: Settings, wechatpy: str | None) -> list[Row]:
    """Upstream token fetches when many callers find no fresh token (counts, not ratios),
    wechatpy's count for the same load in the note."""
    import shutil

    def row(case: str, ours: int, theirs: int | None, note: str = "") -> Row:
        peer = wechatpy or f"wechatpy: {theirs} fetches"
        return Row("token stampede", case, "upstream fetches", "", [float(ours)],
                   "; ".join(filter(None, (peer, note))), mode="count")

    rows = [row(f"{s.stampede_threads} threads, one process",
                *stampede.threads(s.stampede_threads, not wechatpy))]
    cases = (f"{s.processes} processes x {s.process_threads} threads (Redis)",
             f"{s.stampede_tasks} asyncio tasks, one event loop (Redis)")
    if shutil.which("redis-server") is None:
        return rows + [skipped(Row("token stampede", case, "upstream fetches", "", mode="count"),
                               "redis-server not installed") for case in cases]
    import bench_tokens

    with bench_tokens.redis_server(None) as url:
        ours, last, theirs = stampede.processes(url, s.processes, s.process_threads,
                                                not wechatpy)
        rows.append(row(cases[0], ours, theirs, f"all had a token in {last * 1000:.0f} ms"))
        rows.append(row(cases[1], *stampede.tasks(s.stampede_tasks, not wechatpy, url)))
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
    print(f"{'group':<16}{'case':<44}{'over':<30}{'mode':<8}{'median':>8}  {'spread':<12}"
          f"{'target':<9}met")
    for r in rows:
        head = f"{r.group:<16}{r.case:<44}{r.reference:<30}{r.mode[:7]:<8}"
        if r.median is None:
            print(f"{head}{'-':>8}  {'':<12}{r.target:<9}-  {r.note}")
            continue
        spread = f"{min(r.ratios):.2f}-{max(r.ratios):.2f}"
        met = {True: "yes", False: "NO", None: ""}[r.met()]
        print(f"{head}{r.median:>8.2f}  {spread:<12}{r.target:<9}{met:<4}{r.note}")


def run(s: Settings, count: bool = False) -> tuple[list[Row], dict[str, object]]:
    """Every row, and the record saved as JSON; ``count``: the in-process rows by
    instruction counts, not time."""
    wechatpy = peers.available()
    if count and instructions.available():
        sys.exit(f"--instructions: {instructions.available()}")
    rows = unit_rows(s, wechatpy, count)
    loop, server = loopback_rows(s, wechatpy, count)
    rows += loop + import_rows(s, wechatpy, count) + [memory_row(s, wechatpy)]
    rows += stampede_rows(s, wechatpy)
    host, found = machine(), versions()
    print(f"python {found['python']}, {host['cpus']} CPUs, "
          f"load {host['load_average_1m']}; loopback server: {server}")
    return rows, {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": host,
                  "versions": found, "server": server,
                  "settings": dict(asdict(s), instructions=count),
                  "rows": [dict(asdict(r), median=r.median, met=r.met()) for r in rows]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny counts")
    parser.add_argument("--instructions", action="store_true",
                        help="in-process rows by instruction counts (callgrind), not time")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--chart", type=Path, default=None,
                        help="draw the chart here (docs/img/benchmarks.png in the README)")
    args = parser.parse_args(argv)
    rows, result = run(QUICK if args.quick else FULL, args.instructions)
    print_table(rows)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {args.json}")
    if args.chart:
        import chart

        chart.draw(result, args.chart)
        print(f"chart {args.chart}")


if __name__ == "__main__":
    main()
