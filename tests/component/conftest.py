"""Fixtures of the component tests (helpers in component_support.py)."""

from __future__ import annotations

import pathlib

import pytest
from component_support import Platformed, platformed_on
from support import FakeClock

from wxcore.adapters.sandbox import WeChatSandbox


@pytest.fixture
def platformed(sandbox: WeChatSandbox, clock: FakeClock, tmp_path: pathlib.Path) -> Platformed:
    """A component on the in-process sandbox, credentials in a SQLite file under tmp_path."""
    return platformed_on(sandbox, clock, tmp_path / "credentials.sqlite3")
