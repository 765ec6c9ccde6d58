"""Cassettes replayed into (and recorded from) async clients through the pytest plugin, in
fresh projects run by pytester: the same files, matching, redaction and record modes as the
sync clients' (a cassette an async test recorded replays in a sync test, and back)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_plugin import APPID, QUIET, TEST_TICKET, TICKET, cassette_file, ticket_cassette

pytest_plugins = ["pytester"]

ASYNC_TICKET = """
import asyncio
import pytest
from wxcore import AsyncOfficialAccount

@pytest.mark.wx_cassette("js/ticket"{options})
def test_ticket(wx_cassette):
    async def main():
        async with wx_cassette.client(AsyncOfficialAccount) as oa:
            print("MODE", wx_cassette.record_mode, wx_cassette.mode, oa.appid)
            ticket = await oa.get_jsapi_ticket(){more}
            return ticket
    assert asyncio.run(main()).startswith("{ticket}")
"""

ASYNC_LOGIN = """
import asyncio
import pytest
from wxcore import AsyncMiniProgram
from wxcore.adapters.sandbox import login_code

@pytest.mark.wx_cassette("mp/login")
def test_login(wx_cassette):
    code = wx_cassette.value("js_code", lambda: login_code(wx_cassette.sandbox, "alice"))
    async def main():
        mp = wx_cassette.client(AsyncMiniProgram)
        session = await mp.code2session(code)
        ticket = await mp.get_jsapi_ticket()
        await mp.aclose()
        return session, ticket
    session, ticket = asyncio.run(main())
    assert session.openid.startswith("o") and session.session_key and ticket
"""

SYNC_LOGIN = """
import pytest
from wxcore import MiniProgram

@pytest.mark.wx_cassette("mp/login")
def test_login(wx_cassette):
    mp = wx_cassette.client(MiniProgram)
    session = mp.code2session(wx_cassette.value("js_code", lambda: None))
    assert session.openid.startswith("o") and mp.get_jsapi_ticket()
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, *args)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nwx_cassette_dir = recorded\n")
    return pytester


def async_ticket(options: str = "", more: str = "", ticket: str = TICKET) -> str:
    return ASYNC_TICKET.format(options=options, more=more, ticket=ticket)


def test_an_async_client_replays_the_cassette(project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("jsapi"))
    project.makepyfile(async_ticket())
    result = run(project, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*MODE none replay {APPID}*"])  # the cassette's appid


def test_an_async_mismatch_fails_the_test_showing_both_sides(project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("wx_card"))
    project.makepyfile(async_ticket())
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*CassetteMismatchError: no recorded exchange matches GET /cgi-bin/ticket/getticket*",
        "*[*] query.type*jsapi*wx_card*",
    ])


def test_unused_exchanges_fail_an_async_test_too(project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("jsapi", "wx_card"))
    project.makepyfile(async_ticket())
    result = run(project)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*1 of 2 recorded exchanges were never requested*"])


def test_an_async_recording_is_redacted_and_replays_in_sync_and_async_tests(
        project: pytest.Pytester) -> None:
    from wxcore.adapters.sandbox import WeChatSandbox

    project.makepyfile(ASYNC_LOGIN)
    result = run(project, "--wx-record=sandbox")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*recorded/mp/login.json (2 exchanges)*"])
    path = project.path / "recorded" / "mp" / "login.json"
    text = path.read_text("utf-8")
    recorded = json.loads(text)
    assert WeChatSandbox.DEFAULT_SECRET not in text
    assert [i["request"]["path"] for i in recorded["interactions"]] == [
        "/sns/jscode2session", "/cgi-bin/ticket/getticket"]  # the token fetch is off the record
    assert "access_token" not in recorded["interactions"][1]["request"]["query"]
    assert recorded["interactions"][0]["response"]["body"]["json"]["session_key"] == (
        "<redacted:session_key:1>")
    run(project).assert_outcomes(passed=1)  # the async test replays it, no sandbox
    project.makepyfile(SYNC_LOGIN)
    run(project).assert_outcomes(passed=1)  # and so does a sync one


def test_record_none_needs_the_file_and_once_records_it_then_replays(
        project: pytest.Pytester) -> None:
    project.makepyfile(async_ticket(ticket=""))
    result = run(project, "--wx-record=none")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no such cassette*"])
    path = project.path / "recorded" / "js" / "ticket.json"
    result = run(project, "--wx-record=once", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE once sandbox*", "*js/ticket.json (1 exchanges)*"])
    recorded = path.read_bytes()
    result = run(project, "--wx-record=once", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE once replay*"])
    assert path.read_bytes() == recorded


def test_record_all_twice_leaves_the_cassette_unchanged(project: pytest.Pytester) -> None:
    project.makepyfile(async_ticket(ticket=""))
    run(project, "--wx-record=all").assert_outcomes(passed=1)
    path = project.path / "recorded" / "js" / "ticket.json"
    recorded = path.read_bytes()
    result = run(project, "--wx-record=all", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE all sandbox*", "*js/ticket.json: unchanged*"])
    assert path.read_bytes() == recorded


def test_new_episodes_adds_only_what_the_cassette_lacks(project: pytest.Pytester) -> None:
    from wxcore.adapters.cassette import load_cassette

    path: Path = cassette_file(project, ticket_cassette("jsapi"))
    before = load_cassette(path).interactions[0]
    project.makepyfile(async_ticket(more='\n            await oa.ticket_provider("wx_card").get()'))
    result = run(project, "--wx-record=new_episodes", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE new_episodes sandbox*", "*js/ticket.json (2 exchanges)*"])
    interactions = load_cassette(path).interactions
    assert interactions[0] == before  # answered from the file: the hand-written ticket
    assert interactions[1].request.query == {"type": "wx_card"}
    run(project).assert_outcomes(passed=1)  # and the whole cassette replays
    project.makepyfile(TEST_TICKET.format(options=', unused="ignore"', ticket=TICKET))
    run(project).assert_outcomes(passed=1)  # the sync client replays the same file
