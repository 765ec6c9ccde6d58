"""Async transports over loopback: wxcore's httpx and aiohttp transports beside raw httpx
and raw aiohttp, at 1 and 64 concurrent tasks; and the two wxcore transports against each
other (which one ``AsyncClient`` should default to).

Run by hand (a shared machine is noisy; read the ratios within one run):

    python benchmarks/bench_async.py [--rounds 7] [--window 0.5] [--instructions]

The server is nginx answering a canned JSON body (benchmarks/nginx.py; ``apt-get install
nginx-light``), or the minimal Python server of bench_client.py when nginx is missing (it
caps both sides, so the ratios then understate the gaps). Each pairing is timed in paired
rounds, the order alternating, and reported as the median ratio with its spread.
``--instructions`` also counts the client's instructions per call under valgrind's
callgrind, which does not move with the machine's load.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import async_pairs
import nginx
from bench_client import APPID, BODY, TOKEN, _serve

PAIRS = (
    ("wxcore+aiohttp", "raw aiohttp"),
    ("wxcore+httpx", "raw httpx"),
    ("wxcore+aiohttp", "wxcore+httpx"),
)


@contextmanager
def loopback_server() -> Iterator[tuple[str, str]]:
    """(base URL, what serves it): nginx if installed, else the Python server."""
    if nginx.binary() is not None:
        with nginx.nginx_server(BODY) as base:
            yield base, f"nginx {nginx.version()}"
        return
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{queue.get(timeout=10)}", "the Python server (no nginx)"
    finally:
        server.terminate()


def spread(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def main() -> None:
    if sys.argv[1:2] == ["--run"]:  # one side, for async_pairs.count_instructions
        side, base, appid, token, task_count, total = sys.argv[2:8]
        async_pairs.run_side(side, base, appid, token, int(task_count), int(total))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--window", type=float, default=0.5, help="seconds per timing")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per call under callgrind")
    parser.add_argument("--calls", type=int, default=2000, help="calls counted per side")
    args = parser.parse_args()
    missing = [lib for lib in ("httpx", "aiohttp") if importlib.util.find_spec(lib) is None]
    if missing:
        sys.exit(f"needs {' and '.join(missing)}: pip install -e '.[bench]'")
    with loopback_server() as (base, served_by):
        print(f"loopback server: {served_by}; {args.rounds} paired rounds of {args.window} s")
        for tasks in (1, 64):
            print(f"-- {tasks} task{'s' * (tasks > 1)}: throughput ratio, median (spread)")
            for case, reference in PAIRS:
                ratios = async_pairs.paired_sides(case, reference, base, APPID, TOKEN, tasks,
                                                  args.rounds, args.window)
                print(f"  {case:15s} / {reference:15s} {spread(ratios)}")
        if args.instructions:
            print(f"instructions per call (callgrind, {args.calls} calls per side)")
            for tasks in (1, 64):
                counts = {side: async_pairs.instructions_per_call(
                    side, base, APPID, TOKEN, tasks, args.calls) for side in async_pairs.SIDES}
                print(f"-- {tasks} task{'s' * (tasks > 1)}: "
                      + ", ".join(f"{side} {n:,.0f}" for side, n in counts.items()))
                for case, reference in PAIRS:
                    print(f"  {case:15s} / {reference:15s} "
                          f"{counts[reference] / counts[case]:.2f} (as a throughput ratio)")


if __name__ == "__main__":
    main()
