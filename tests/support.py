"""Helpers shared by test modules: import them as ``from support import ...``.

``tests/`` is on ``sys.path`` under both ``pytest`` and ``python -m pytest`` (the
``pythonpath`` setting in pyproject.toml), so test modules import this module by name;
fixtures stay in conftest.py, which is never imported by name.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from wxcore.messages import PushSettings

#: The push settings examples/message_server_django runs with in the tests.
DJANGO_PUSH = PushSettings(token="example-token", appid="wx1234567890abcdef",
                           encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")


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


class RedisProcess:
    """A real redis-server on a loopback port that a test can stop and start again (the same
    port, empty, as after a crash without persistence)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="wxcore-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisProcess:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
