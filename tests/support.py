"""Helpers shared by test modules: import them as ``from support import ...``.

``tests/`` is on ``sys.path`` under both ``pytest`` and ``python -m pytest`` (the
``pythonpath`` setting in pyproject.toml), so test modules import this module by name;
fixtures stay in conftest.py, which is never imported by name.
"""

from __future__ import annotations

import socket


class FakeClock:
    """A clock tests move by hand; ``sleep`` advances it and records the waits."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
