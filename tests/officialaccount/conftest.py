"""Fixtures of the Official Account tests: a client on the in-process sandbox, fake clock."""

from __future__ import annotations

import pytest

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox


@pytest.fixture
def oa(sandbox: WeChatSandbox, clock) -> OfficialAccount:  # type: ignore[no-untyped-def]
    """An Official Account client talking to the sandbox in-process, on the fake clock."""
    app = sandbox.default_app
    return OfficialAccount(app.appid, app.secret, clock=clock, sleep=clock.sleep,
                           transport=SandboxTransport(sandbox, sleep=clock.sleep))
