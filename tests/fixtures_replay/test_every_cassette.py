"""Every cassette under tests/cassettes replays through the real client path.

A cassette with a ``call`` is replayed by :func:`check_cassette`: builder (or facade method)
-> bind -> ReplayTransport -> parse, and the typed result (or the exception) must match its
``expect``, with every recorded exchange used. Cassettes without a ``call`` belong to a
scenario test that must name them. And every endpoint of a group that has a cassette folder
must be covered by a cassette with a ``call``, so a new endpoint cannot ship without one.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import wxcore
from wxcore.endpoint import Endpoint

from wxcore.adapters.cassette import CallSpec, Expect, check_cassette, load_cassette

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"

TESTS = CASSETTES.parent
CASSETTE_FILES = sorted(CASSETTES.rglob("*.json"))


def _name(path: Path) -> str:
    return path.relative_to(CASSETTES).with_suffix("").as_posix()


def test_the_suite_has_cassettes() -> None:
    assert len(CASSETTE_FILES) >= 10
    assert {p.parent.name for p in CASSETTE_FILES} >= {"token"}


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=_name)
def test_cassette_replays_to_its_expected_result(path: Path) -> None:
    cassette = load_cassette(path)
    assert cassette.name == _name(path), "a cassette's name is its path under tests/cassettes"
    assert cassette.interactions, "a cassette records at least one exchange"
    if isinstance(cassette.call, CallSpec):
        assert isinstance(cassette.expect, Expect), "a cassette with a call needs an expect"
        check_cassette(path)
        return
    # A scenario cassette: some test must replay it by name.
    users = [p for p in TESTS.rglob("*.py") if f'"{cassette.name}"' in p.read_text("utf-8")]
    assert users, (f"{path}: no \"call\" and no test names {cassette.name!r}; add a call/expect "
                   "pair or a test that replays it")


def _endpoints() -> dict[str, Endpoint[object]]:
    found: dict[str, Endpoint[object]] = {}
    for info in pkgutil.walk_packages(wxcore.__path__, "wxcore."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            candidates = (value.values() if isinstance(value, dict)
                          else value if isinstance(value, (list, tuple)) else (value,))
            for item in candidates:
                if isinstance(item, Endpoint):
                    found[item.name] = item
    return found


def test_every_endpoint_of_a_group_with_cassettes_has_a_replayed_cassette() -> None:
    covered: set[tuple[str, str]] = set()
    for path in CASSETTE_FILES:
        cassette = load_cassette(path)
        if isinstance(cassette.call, CallSpec):
            covered |= {(i.request.method, i.request.path) for i in cassette.interactions}
    endpoints = _endpoints()
    assert {"token.access_token", "token.stable_access_token", "token.ticket"} <= set(endpoints)
    missing = sorted(
        f"{e.name} ({e.method} {e.path})" for e in endpoints.values()
        if (CASSETTES / e.name.split(".")[0]).is_dir() and (e.method, e.path) not in covered
    )
    assert not missing, ("endpoints without a cassette that has a \"call\" (see "
                         "docs/testing.md):\n  " + "\n  ".join(missing))
