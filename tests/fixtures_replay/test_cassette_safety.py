"""A cassette is data: one from a pull request runs nothing but wxcore's own code.

Every name a cassette gives (``$new`` escapes, ``client``, ``builder``, ``result``,
``raises``) is checked against what that role may use; anything else is refused with an
error naming the value, before anything is imported or called.
"""

from __future__ import annotations

import json
import shlex
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from wxcore.adapters.cassette import (
    CassetteFormatError,
    check_cassette,
    load_cassette,
    loads_cassette,
)


def cassette(call: dict[str, Any], expect: dict[str, Any] | None = None) -> str:
    """A cassette calling ``MiniProgram.today()`` unless ``call`` says otherwise (a key
    given as None is left out)."""
    spec = {"client": "wxcore.adapters.miniprogram:MiniProgram", "method": "today", **call}
    return json.dumps({
        "wxcore_cassette": 1, "name": "test/safety", "interactions": [],
        "call": {k: v for k, v in spec.items() if v is not None},
        "expect": expect or {"result": "datetime:date"},
    })


def test_a_cassette_naming_os_system_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = f"touch {shlex.quote(str(marker))}"
    path = tmp_path / "evil.json"
    path.write_text(cassette({"args": {"x": {"$new": "os:system", "args": [command]}}}))
    with pytest.raises(CassetteFormatError) as raised:
        check_cassette(path)
    assert "'os:system' is not an argument type a cassette may build" in str(raised.value)
    assert "at args.x" in str(raised.value) and str(path) in str(raised.value)
    assert not marker.exists()


@pytest.mark.parametrize(("call", "expect", "named"), [
    ({"method": None, "builder": "os:system", "args": {"command": "true"}}, None,
     "'os:system'"),
    ({"client": "subprocess:Popen"}, None, "'subprocess:Popen'"),
    ({}, {"result": "this:s"}, "'this:s'"),
    ({}, {"raises": "os:error"}, "'os:error'"),
    ({"builder": "wxcore.adapters.cassette.names:importlib.import_module", "method": None},
     None, "importlib.import_module"),
    ({"client_args": {"clock": {"$new": "time:time"}}}, None, "'time:time'"),
    ({"args": {"x": [{"y": {"$new": "wxcore.multipart:File", "exec": "x"}}]}}, None,
     "holds only"),
    ({"method": "_private"}, None, "'_private'"),
    ({"client": "wxcore.adapters.client:__builtins__"}, None, "not a public name"),
])
def test_every_role_refuses_names_outside_wxcore_when_loading(
        call: dict[str, Any], expect: dict[str, Any] | None, named: str) -> None:
    text = cassette(call, expect)
    modules_before = set(sys.modules)
    with pytest.raises(CassetteFormatError) as raised:
        check_cassette(loads_cassette(text, "pr.json"))
    assert named in str(raised.value)
    assert "this" not in set(sys.modules) - modules_before  # nothing was imported for it


def test_a_wxcore_module_import_is_no_way_around_the_rule() -> None:
    # wxcore.redact imports hashlib: the path names a public attribute of a wxcore module,
    # but the object is not defined in wxcore, so it is refused when the call is resolved.
    loaded = loads_cassette(cassette({"method": None,
                                      "builder": "wxcore.redact:hashlib.sha256"}))
    with pytest.raises(CassetteFormatError, match=r"'wxcore.redact:hashlib.sha256' is refused: "
                                                  r"a cassette may only name a builder"):
        check_cassette(loaded)
    loaded = loads_cassette(cassette({"client": "wxcore.http:Request"}))
    with pytest.raises(CassetteFormatError, match=r"'wxcore.http:Request' is refused: a "
                                                  r"cassette may only name a Client subclass"):
        check_cassette(loaded)


def test_the_registered_types_still_work_and_an_application_can_add_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wxcore.adapters.cassette import ARGUMENT_TYPES, register_argument_type

    made: list[tuple[int, int]] = []

    def day_of(year: int, ordinal: int) -> date:
        made.append((year, ordinal))
        return date.fromordinal(date(year, 1, 1).toordinal() + ordinal - 1)

    monkeypatch.setattr("wxcore.adapters.cassette.names.ARGUMENT_TYPES", dict(ARGUMENT_TYPES))
    path = tmp_path / "mine.json"
    doc = {
        "wxcore_cassette": 1, "name": "test/mine", "interactions": [],
        "call": {"builder": "wxcore.tokens:fetch_ticket",
                 "args": {"day": {"$new": "myapp:day_of", "args": [2024, 60]}}},
    }
    path.write_text(json.dumps(doc))
    with pytest.raises(CassetteFormatError, match="'myapp:day_of' is not an argument type"):
        load_cassette(path)
    register_argument_type("myapp:day_of", day_of)
    load_cassette(path)  # now accepted
    from wxcore.adapters.cassette.runner import _decode_arg

    assert _decode_arg(doc["call"]["args"]) == {"day": date(2024, 2, 29)}  # type: ignore[index]
    assert made == [(2024, 60)]
    with pytest.raises(ValueError, match="not a public name"):
        register_argument_type("myapp:_hidden", day_of)
