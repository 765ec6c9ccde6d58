"""A smoke run of benchmarks/bench_async.py with one tiny round, so it cannot rot; the
figures of such a run mean nothing and no timing is asserted."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_async_pairs_every_side_at_1_and_64_tasks() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_async.py"),
                           "--rounds", "1", "--window", "0.05"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT / "benchmarks")
    assert done.returncode == 0, done.stderr
    assert "loopback server:" in done.stdout
    rows = re.findall(r"^  (\S+)\s+/ (\S+ ?\S*?)\s+([\d.]+) \(([\d.]+)-([\d.]+)\)$",
                      done.stdout, re.M)
    pairs = [(case, reference.strip()) for case, reference, *_ in rows]
    expected = [("wxcore+aiohttp", "raw aiohttp"), ("wxcore+httpx", "raw httpx"),
                ("wxcore+aiohttp", "wxcore+httpx")]
    assert pairs == expected * 2, done.stdout  # at 1 task, then at 64
    assert all(math.isfinite(float(r[2])) and float(r[2]) > 0 for r in rows)
