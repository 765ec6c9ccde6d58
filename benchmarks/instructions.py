"""Instruction counts under valgrind's callgrind: ratios that do not move with the machine's load.

On the shared 2-core machine timed rounds swing by +-40 %; the instructions a call executes
barely move. A *side* is a zero-argument callable that a factory in benchmarks/ makes
(``"module:function"`` with string arguments, e.g. ``"sides:side" pipeline wxcore``), in a
fresh interpreter under callgrind. After a warm-up the child makes ``calls`` calls inside one
``functools.reduce``, and callgrind collects only while that C function runs
(``--toggle-collect=functools_reduce``), so start-up, imports, set-up and warm-up are not
counted. (Code that itself calls ``functools.reduce`` would toggle collection off; nothing
the sides run does.) An import is counted the same way: ``importlib.import_module`` inside
the reduce, in a fresh interpreter.

What it counts is user-space instructions of the measuring process only: not the kernel (a
loopback call's socket work), not another process (the loopback server), not waiting.

    python benchmarks/instructions.py --run MODULE:FUNCTION [ARG ...] --calls N   (the child)
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARMUP = 100  # untimed calls before counting: caches filled, lazy imports done

#: A side: (factory as "module:function", its string arguments).
Side = tuple[str, Sequence[str]]


def available() -> str | None:
    """None when callgrind can run, else why not (the rows are then timed instead)."""
    return None if shutil.which("valgrind") else "valgrind not installed (apt-get install valgrind)"


def collected(argv: Sequence[str]) -> int:
    """Instructions that ``python ARGV`` executes inside ``functools.reduce``."""
    env = dict(os.environ, PYTHONHASHSEED="0")  # the same dict layouts in every child
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         "--collect-atstart=no", "--toggle-collect=functools_reduce", sys.executable, *argv],
        capture_output=True, text=True, env=env)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or match is None or int(match.group(1)) == 0:
        raise RuntimeError(f"callgrind of {' '.join(argv)} failed: {done.stderr[-2000:]}")
    return int(match.group(1))


def _parallel(jobs: list[list[str]]) -> list[int]:
    # counts do not depend on the load, so the children may share the cores
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(collected, jobs))


def per_call(sides: Sequence[Side], calls: int | Sequence[int]) -> list[float]:
    """Instructions per call of each side, counted over ``calls`` calls (one number for all
    sides, or one per side); all children run in parallel."""
    each = [calls] * len(sides) if isinstance(calls, int) else list(calls)
    jobs = [[__file__, "--run", factory, *args, "--calls", str(n)]
            for (factory, args), n in zip(sides, each)]
    return [count / n for count, n in zip(_parallel(jobs), each)]


def ratio(subject: Side, reference: Side, calls: int) -> float:
    """Calls per instruction of ``subject`` over ``reference`` (read like a throughput
    ratio: above 1, the subject does less work per call)."""
    ours, theirs = per_call([subject, reference], calls)
    return theirs / ours


def import_counts(modules: Sequence[str]) -> list[int]:
    """Instructions of importing each of ``modules``, each in a fresh interpreter (all
    counted in parallel); a ratio of two reads like a time ratio."""
    code = ("import functools, importlib, sys; "
            "functools.reduce(lambda _, m: importlib.import_module(m), sys.argv[1:], None)")
    return _parallel([["-c", code, m] for m in modules])


def _run_child(argv: list[str]) -> None:
    calls = int(argv[argv.index("--calls") + 1])
    factory, *args = argv[:argv.index("--calls")]
    module, function = factory.split(":")
    sys.path.insert(0, str(HERE))
    fn = getattr(importlib.import_module(module), function)(*args)
    for _ in range(WARMUP):
        fn()
    functools.reduce(lambda _, __: fn(), range(calls), None)  # what callgrind counts


if __name__ == "__main__":
    if sys.argv[1:2] != ["--run"]:
        sys.exit(__doc__)
    _run_child(sys.argv[2:])
