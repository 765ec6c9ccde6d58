"""Fixtures shared by the whole suite: a sandbox, clients on it, a fake clock, real Redis."""

from __future__ import annotations

import contextlib
import hmac
import importlib
import pkgutil
import subprocess
from collections.abc import Iterator

import pytest
from netkit import ForwardingProxy, self_signed
from support import FakeClock, RedisProcess

import wxcore
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxServer, SandboxTransport, WeChatSandbox


def _import_every_module() -> None:
    """Import all of wxcore now, in the main thread, before any test starts a thread.

    pytest rewrites the assertions of every module of an installed plugin's distribution --
    all of wxcore -- with ``ast.parse`` when it is first imported. CPython 3.11 before 3.11.8
    can raise a spurious ``SystemError: AST constructor recursion depth mismatch`` when that
    happens while other threads run (python/cpython#106905), which made tests importing a
    module lazily (the demo, the CLI) fail now and then. Modules whose optional dependency is
    missing are left for their own tests to report.
    """
    import wxcore.adapters

    for package in (wxcore, wxcore.adapters):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.endswith("__main__"):
                continue  # running it is what importing it does
            try:
                importlib.import_module(module.name)
            except ImportError:
                continue


_import_every_module()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> WeChatSandbox:
    """A sandbox on the fake clock, with one app (``sandbox.default_app``)."""
    return WeChatSandbox(clock=clock)


@pytest.fixture
def mp(sandbox: WeChatSandbox, clock: FakeClock) -> MiniProgram:
    """A Mini Program client talking to the sandbox in-process, on the fake clock."""
    app = sandbox.default_app
    return MiniProgram(app.appid, app.secret, clock=clock, sleep=clock.sleep,
                       transport=SandboxTransport(sandbox, sleep=clock.sleep))


@pytest.fixture
def sandbox_server() -> Iterator[SandboxServer]:
    """A sandbox (real clock) served over loopback HTTP."""
    with SandboxServer(WeChatSandbox()) as server:
        yield server


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start a real redis-server on a free loopback port; yield (process, url); stop it.

    A missing redis-server fails (it does not skip): `.ci/run` installs it. Tests that
    need Redis to go away mid-test stop the process themselves.
    """
    try:
        server = RedisProcess().start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    assert server.proc is not None
    try:
        yield server.proc, server.url
    finally:
        server.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, started for this test session."""
    with redis_server() as (_proc, url):
        yield url


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test's own, (process, url): the test may stop it."""
    with redis_server() as server:
        yield server


@pytest.fixture
def compare_digest_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Records every ``hmac.compare_digest`` call (still answering it), so a test can show
    a comparison is constant-time rather than ``==``."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate (its own CA) for 127.0.0.1 and its key: (cert, key) paths."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    """A forwarding HTTP proxy on loopback (``forwarded``: what it carried)."""
    with ForwardingProxy() as running:
        yield running


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variables in the environment; set the ones a test needs on the patch."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch
