"""Chaos soak, the long run: random faults from the sandbox under many threads, guarantees
checked at the end (see docs/reliability.md, section "Chaos soak").

Run by hand: ``python benchmarks/chaos_soak.py --seconds 120 --threads 32``. Prints what the
run saw (calls, typed failures by class, faults by kind, stable_token requests against their
bound, the longest call against the documented worst case) and exits 1 if a guarantee broke.
The suite runs the same soak for three seconds (tests/adapters/test_chaos.py).
"""

from __future__ import annotations

import argparse
import logging
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

from chaos import soak, violations  # noqa: E402  (tests/chaos.py, shared with the suite)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline", type=float, default=2.0,
                        help="each call's deadline (RetryPolicy.deadline) in seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    report = soak(args.seconds, args.threads, args.seed, args.deadline)
    print(report.summary())
    broken = violations(report)
    for line in broken:
        print("BROKEN:", line)
    if not broken:
        print("all guarantees held")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
