"""Fixtures of the example apps' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wxcore import SandboxServer, WeChatSandbox


@pytest.fixture
def wechat() -> Iterator[tuple[WeChatSandbox, str]]:
    """A sandbox served over loopback HTTP: (the sandbox, its base URL)."""
    sandbox = WeChatSandbox()
    with SandboxServer(sandbox) as server:
        yield sandbox, server.base_url
