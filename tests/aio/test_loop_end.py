"""No "Unclosed client session" at exit: the documented async quick start, and a client kept
for the life of an app and never closed, each run in a fresh interpreter with every warning
an error (ResourceWarning included), against the sandbox over loopback HTTP and HTTPS (as
WeChat is reached) on the default transport (aiohttp). Their stderr must be empty."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: Runs first in the child: a sandbox served on loopback (over TLS when the environment names
#: a certificate, which the child then trusts as the system's), with the docs' example app,
#: and WeChat's API hosts pointed at it (the transports' default routes read this tuple).
PRELUDE = '''
import os, ssl
from wxcore.adapters import routing
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.sandbox.miniprogram import login_code

sandbox = WeChatSandbox()
sandbox.add_app("wx1234567890abcdef", "appsecret")
server = SandboxServer(sandbox)
base = server.base_url
if os.environ.get("SSL_CERT_FILE"):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.environ["SSL_CERT_FILE"], os.environ["TEST_TLS_KEY"])
    server._server.socket = tls.wrap_socket(server._server.socket, server_side=True)
    base = base.replace("http://", "https://")
server.__enter__()
routing.WECHAT_API_BASES = (base,)
'''


@pytest.fixture(params=["http", "https"])
def child_env(request: pytest.FixtureRequest, tls_pair: tuple[str, str]) -> dict[str, str]:
    """The child's environment: plain loopback, or TLS with the test CA as the system's."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    if request.param == "https":
        env["SSL_CERT_FILE"], env["TEST_TLS_KEY"] = tls_pair
    return env


def run_child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-W", "error", "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)


def quick_start() -> str:
    """The first Python block of docs/async.md, as a user copies it."""
    text = (DOCS / "async.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match is not None
    return match.group(1)


def test_the_documented_quick_start_exits_without_an_unclosed_warning(
        child_env: dict[str, str]) -> None:
    code = quick_start()
    assert "AsyncMiniProgram(" in code and "asyncio.run(main())" in code
    # the code a real wx.login gives the Mini Program, issued by the sandbox
    code = code.replace('"JS_CODE"', 'login_code(sandbox, "alice", "wx1234567890abcdef")')
    child = run_child(PRELUDE + code, child_env)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip().startswith("o")  # the openid it printed
    assert child.stderr == ""


def test_a_client_never_closed_leaves_nothing_open_across_two_loops(
        child_env: dict[str, str]) -> None:
    """A module-level client used by two ``asyncio.run`` calls and never closed: its session
    is closed as each loop ends, the second loop gets a fresh one, nothing warns."""
    child = run_child(PRELUDE + textwrap.dedent('''
        import asyncio
        from wxcore import AsyncMiniProgram

        mp = AsyncMiniProgram("wx1234567890abcdef", "appsecret")   # never closed

        async def login(user):
            return (await mp.code2session(login_code(sandbox, user, mp.appid))).openid

        first, second = asyncio.run(login("alice")), asyncio.run(login("bob"))
        print(type(mp.transport.inner).__name__, first != second, mp.transport.inner._session.closed)
    '''), child_env)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["AiohttpTransport", "True", "True"]
    assert child.stderr == ""


class Resource:
    """A stand-in with a session's shape that records how often it was closed."""

    def __init__(self) -> None:
        self.closes = 0

    @property
    def closed(self) -> bool:
        return self.closes > 0

    async def close(self) -> None:
        self.closes += 1


def test_close_with_loop_closes_each_open_resource_once_as_its_loop_ends() -> None:
    import gc
    import weakref

    from wxcore.adapters.loop_end import close_with_loop

    kept, closed_early = Resource(), Resource()
    seen: list[bool] = []

    async def main() -> None:
        dropped = Resource()
        for resource in (kept, closed_early, dropped):
            close_with_loop(resource)
        close_with_loop(kept)  # registered twice: still closed once
        await closed_early.close()
        gone = weakref.ref(dropped)
        del dropped, resource
        gc.collect()
        # held weakly: registering does not keep a dropped resource alive
        seen.extend([gone() is None, kept.closed])

    asyncio.run(main())
    assert seen == [True, False]  # and nothing is closed before the loop ends
    assert (kept.closes, closed_early.closes) == (1, 1)

    later = Resource()

    async def again() -> None:
        close_with_loop(later)

    asyncio.run(again())  # a second loop has its own closer
    assert later.closes == 1 and kept.closes == 1
