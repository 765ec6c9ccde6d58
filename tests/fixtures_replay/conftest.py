"""Shared by the fixture record/replay tests: where the suite's cassettes live."""

from __future__ import annotations

from pathlib import Path

import pytest

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


@pytest.fixture
def wx_cassette_dir() -> Path:
    """The suite's cassettes are in tests/cassettes (overrides the plugin's default)."""
    return CASSETTES
