"""Record modes through the API (CassetteTransport): none, once, new_episodes, all.

Each runs a small Mini Program scenario against a real in-process sandbox. What matters
besides which requests reach the sandbox: re-recording leaves exchanges that did not change
byte-identical in the file, and a cassette nothing changed in is not rewritten at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from wxcore.adapters.cassette import (
    CassetteError,
    CassetteMismatchError,
    CassetteTransport,
    RecordMode,
    load_cassette,
)
from wxcore.adapters.client import Client
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox, login_code, phone_code


class Target:
    """A fresh sandbox to record against, counting how often recording reached it."""

    def __init__(self) -> None:
        self.sandbox = WeChatSandbox()
        self.connects = 0

    def __call__(self) -> SandboxTransport:
        self.connects += 1
        return SandboxTransport(self.sandbox)

    def requests(self, path: str) -> int:
        return self.sandbox.calls[path]


def run(path: Path, mode: RecordMode, target: Target,
        steps: Callable[[MiniProgram, CassetteTransport, Target], object]) -> CassetteTransport:
    """One test run in ``mode``: a client on the cassette, the steps, then close (save)."""
    app = target.sandbox.default_app
    with CassetteTransport(path, mode, target, secrets=[app.secret]) as cassette:
        if cassette.recording:
            inner = cassette.recorder.inner  # type: ignore[union-attr]
            helper = Client(app.appid, app.secret, transport=inner, retry=None)
            mp = MiniProgram(app.appid, app.secret, transport=cassette, retry=None,
                             token_provider=helper.token_provider)
        else:
            mp = MiniProgram(app.appid, app.secret, transport=cassette, retry=None)
            mp.set_access_token("replay-access-token")
        steps(mp, cassette, target)
    return cassette


def login(mp: MiniProgram, cassette: CassetteTransport, target: Target) -> object:
    code = cassette.value("js_code", lambda: login_code(target.sandbox, "alice"))
    return mp.code2session(code).openid


def login_and_ticket(mp: MiniProgram, cassette: CassetteTransport, target: Target) -> object:
    login(mp, cassette, target)
    return mp.get_jsapi_ticket()


def login_and_phone(phone: str) -> Callable[[MiniProgram, CassetteTransport, Target], object]:
    def steps(mp: MiniProgram, cassette: CassetteTransport, target: Target) -> object:
        login(mp, cassette, target)
        code = cassette.value("phone_code", lambda: phone_code(target.sandbox, phone))
        return mp.get_phone_number(code).phone_info.purePhoneNumber
    return steps


def exchanges_text(path: Path) -> list[str]:
    """The file's text of each exchange, as written (to compare bytes, not values)."""
    lines = path.read_text("utf-8").splitlines(keepends=True)
    start = lines.index('  "interactions": [\n') + 1
    chunks: list[str] = []
    for line in lines[start:]:
        if line.startswith("    {"):
            chunks.append("")
        if chunks and line.startswith("    "):
            chunks[-1] += line.rstrip(",\n")
    return chunks


def test_none_replays_only_and_needs_the_file(tmp_path: Path) -> None:
    path = tmp_path / "login.json"
    with pytest.raises(CassetteError, match="no such cassette"):
        CassetteTransport(path, "none", Target())
    run(path, "once", Target(), login)
    before = path.read_bytes()
    target = Target()
    cassette = run(path, "none", target, login)
    assert not cassette.recording and target.connects == 0
    with pytest.raises(CassetteMismatchError):
        run(path, "none", Target(), login_and_ticket)  # a request the file does not hold
    assert path.read_bytes() == before


def test_once_records_a_missing_cassette_then_only_replays_it(tmp_path: Path) -> None:
    path = tmp_path / "login.json"
    first = Target()
    assert run(path, "once", first, login).recording
    assert first.requests("/sns/jscode2session") == 1
    recorded = path.read_bytes()
    again = Target()
    assert not run(path, "once", again, login).recording
    assert again.connects == 0 and path.read_bytes() == recorded
    with pytest.raises(CassetteMismatchError):
        run(path, "once", Target(), login_and_ticket)


def test_new_episodes_replays_what_is_there_and_adds_what_is_not(tmp_path: Path) -> None:
    path = tmp_path / "login.json"
    run(path, "once", Target(), login)
    old = exchanges_text(path)
    target = Target()
    run(path, "new_episodes", target, login_and_ticket)
    # The login was answered from the file, the ticket by the sandbox.
    assert target.requests("/sns/jscode2session") == 0
    assert target.requests("/cgi-bin/ticket/getticket") == 1
    now = exchanges_text(path)
    assert now[0] == old[0] and len(now) == 2  # the old exchange keeps its bytes
    cassette = load_cassette(path)
    assert [i.request.path for i in cassette.interactions] == [
        "/sns/jscode2session", "/cgi-bin/ticket/getticket"]
    # New placeholders are numbered after the old ones, never reusing one.
    assert '"<redacted:session_key:1>"' in now[0] and "<redacted:ticket:1>" in now[1]
    assert "<redacted:session_key:1>" not in now[1]
    # Nothing new: the file is not touched; and the merged cassette replays strictly.
    settled = path.read_bytes()
    replayed = Target()
    run(path, "new_episodes", replayed, login_and_ticket)
    assert path.read_bytes() == settled
    assert replayed.requests("/sns/jscode2session") == replayed.requests(
        "/cgi-bin/ticket/getticket") == 0
    run(path, "none", Target(), login_and_ticket)


def test_all_records_again_and_leaves_an_unchanged_cassette_byte_identical(
        tmp_path: Path) -> None:
    path = tmp_path / "phone.json"
    run(path, "all", Target(), login_and_phone("13800138000"))
    recorded = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    target = Target()
    cassette = run(path, "all", target, login_and_phone("13800138000"))
    # A fresh sandbox minted new codes, and every request really went to it...
    assert target.requests("/sns/jscode2session") == 1
    fresh = cassette.recorder.values["js_code"]  # type: ignore[union-attr]
    assert fresh != json.loads(recorded)["values"]["js_code"]
    # ...yet nothing changed, so the file was not rewritten.
    assert path.read_bytes() == recorded and path.stat().st_mtime_ns == mtime


def test_all_rewrites_only_the_exchanges_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "phone.json"
    run(path, "all", Target(), login_and_phone("13800138000"))
    old_text, old = exchanges_text(path), load_cassette(path)
    run(path, "all", Target(), login_and_phone("13900139000"))
    new_text, new = exchanges_text(path), load_cassette(path)
    assert new_text[0] == old_text[0]  # the login exchange: same bytes, old code kept
    assert new.values["js_code"] == old.values["js_code"]  # type: ignore[index]
    assert new_text[1] != old_text[1] and "13900139000" in new_text[1]
    assert "13800138000" not in path.read_text("utf-8")
    run(path, "none", Target(), login_and_phone("13900139000"))  # and it replays


def test_a_hand_written_description_call_and_expect_survive_re_recording(
        tmp_path: Path) -> None:
    path = tmp_path / "login.json"
    run(path, "all", Target(), login)
    doc = json.loads(path.read_text("utf-8"))
    doc["description"] = "Alice logs in."
    doc["call"] = {"client": "wxcore.adapters.miniprogram:MiniProgram", "method": "code2session",
                   "args": {"js_code": doc["values"]["js_code"]}}
    doc["expect"] = {"result": "wxcore.miniprogram.login:Code2SessionResult"}
    path.write_text(json.dumps(doc))
    run(path, "all", Target(), login_and_ticket)
    cassette = load_cassette(path)
    assert cassette.description == "Alice logs in." and cassette.call == load_cassette(
        path).call
    assert cassette.expect is not None and len(cassette.interactions) == 2


def test_a_failed_run_saves_nothing_and_modes_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "login.json"
    with pytest.raises(RuntimeError):
        with CassetteTransport(path, "all", Target()) as cassette:
            cassette.value("js_code", lambda: "0" * 31)
            raise RuntimeError("the test failed")
    assert not path.exists()
    with pytest.raises(ValueError, match="record_mode must be one of none, once, "
                                         "new_episodes, all, not 'sometimes'"):
        CassetteTransport(path, "sometimes", Target())  # type: ignore[arg-type]
    with pytest.raises(CassetteError, match="needs a transport to record through"):
        CassetteTransport(path, "once")
