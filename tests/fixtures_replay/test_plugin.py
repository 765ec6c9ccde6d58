"""The pytest plugin, exercised as a user would: in a fresh project run by pytester.

Nothing registers the plugin in these projects: installing wxcore (its ``pytest11`` entry
point) is all it takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

APPID = "wx1234567890abcdef"
TICKET = "HoagFKDcsGMVCIY2vOjf9nGrTm"


def ticket_cassette(*types: str) -> str:
    return json.dumps({
        "wxcore_cassette": 1,
        "name": "js/ticket",
        "appid": APPID,
        "interactions": [
            {"request": {"method": "GET", "path": "/cgi-bin/ticket/getticket",
                         "query": {"type": t}},
             "response": {"status": 200, "headers": {"content-type": "application/json"},
                          "body": {"json": {"errcode": 0, "errmsg": "ok",
                                            "ticket": f"{TICKET}-{t}", "expires_in": 7200}}}}
            for t in types
        ],
    })


TEST_TICKET = """
import pytest
from wxcore.adapters.client import Client

@pytest.mark.wx_cassette("js/ticket"{options})
def test_ticket(wx_cassette):
    client = wx_cassette.client(Client)
    assert client.get_jsapi_ticket() == "{ticket}-jsapi"
"""


#: Plugins these projects do not need; skipping them keeps each inner run fast.
QUIET = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cacheprovider")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, *args)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nwx_cassette_dir = recorded\n")
    (pytester.path / "recorded" / "js").mkdir(parents=True)
    return pytester


def cassette_file(pytester: pytest.Pytester, text: str, name: str = "js/ticket") -> Path:
    path = pytester.path / "recorded" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_a_marked_test_replays_its_cassette(project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("jsapi"))
    project.makepyfile(TEST_TICKET.format(options="", ticket=TICKET))
    run(project).assert_outcomes(passed=1)


def test_the_plugin_loads_from_the_entry_point_in_a_fresh_process(
        project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("jsapi"))
    project.makepyfile(TEST_TICKET.format(options="", ticket=TICKET))
    result = project.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=1)
    help_text = project.runpytest_subprocess("--help").stdout.str()
    assert "--wx-record" in help_text and "wx_cassette_dir" in help_text


def test_a_request_with_no_match_fails_the_test_showing_both_sides(
        project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("wx_card"))
    project.makepyfile(TEST_TICKET.format(options="", ticket=TICKET))
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*CassetteMismatchError: no recorded exchange matches GET /cgi-bin/ticket/getticket*",
        "*recorded #0*",
        "*[*] query.type*jsapi*wx_card*",
    ])


def test_unused_exchanges_fail_the_test_unless_allowed(project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("jsapi", "wx_card"))
    project.makepyfile(TEST_TICKET.format(options="", ticket=TICKET))
    result = run(project)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*1 of 2 recorded exchanges were never requested*",
                                 "*#1 GET /cgi-bin/ticket/getticket?type=wx_card*"])

    project.makepyfile(TEST_TICKET.format(options=', unused="ignore"', ticket=TICKET))
    run(project).assert_outcomes(passed=1)
    project.makepyfile(TEST_TICKET.format(options=', unused="warn"', ticket=TICKET))
    result = run(project)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*WxCassetteWarning*never requested*"])


def test_a_mismatch_swallowed_by_the_code_under_test_still_fails_it(
        project: pytest.Pytester) -> None:
    cassette_file(project, ticket_cassette("jsapi"))
    project.makepyfile("""
        import pytest
        from wxcore.adapters.client import Client

        @pytest.mark.wx_cassette("js/ticket", unused="ignore")
        def test_careless(wx_cassette):
            client = wx_cassette.client(Client)
            try:
                client.ticket_provider("wx_card").get()
            except Exception:
                pass  # application code that hides every failure
    """)
    result = run(project)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the code under test caught a cassette mismatch*"])


def test_missing_and_malformed_cassettes_say_which_file_and_why(
        project: pytest.Pytester) -> None:
    project.makepyfile(TEST_TICKET.format(options="", ticket=TICKET))
    result = run(project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*recorded/js/ticket.json: no such cassette; record it with "
                                 "--wx-record=sandbox*"])

    cassette_file(project, ticket_cassette("jsapi").replace('"status": 200', '"status": "ok"'))
    result = run(project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CassetteFormatError: *recorded/js/ticket.json: Expected "
                                 "`int`, got `str` - at `$.interactions[[]0].response.status`"])


RECORDABLE = """
import pytest
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import login_code

@pytest.mark.wx_cassette("mp/login")
def test_login(wx_cassette):
    mp = wx_cassette.client(MiniProgram)
    code = wx_cassette.value("js_code", lambda: login_code(wx_cassette.sandbox, "alice"))
    session = mp.code2session(code)
    assert session.openid.startswith("o") and session.session_key
    assert mp.get_jsapi_ticket()
"""


def test_wx_record_sandbox_records_a_cassette_that_then_replays(project: pytest.Pytester) -> None:
    project.makepyfile(RECORDABLE)
    result = run(project, "--wx-record=sandbox")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*wxcore: 1 cassette(s) recorded*",
                                 "*recorded/mp/login.json (2 exchanges)*"])
    path = project.path / "recorded" / "mp" / "login.json"
    recorded = json.loads(path.read_text("utf-8"))
    from wxcore.adapters.sandbox import WeChatSandbox

    assert WeChatSandbox.DEFAULT_SECRET not in path.read_text("utf-8")
    assert [i["request"]["path"] for i in recorded["interactions"]] == [
        "/sns/jscode2session", "/cgi-bin/ticket/getticket"]  # the token fetch is off the record
    assert recorded["values"]["js_code"] == recorded["interactions"][0]["request"]["query"][
        "js_code"]
    assert recorded["interactions"][0]["response"]["body"]["json"]["session_key"] == (
        "<redacted:session_key:1>")

    run(project).assert_outcomes(passed=1)  # and replays, with no sandbox at all


def test_a_failing_test_does_not_overwrite_its_cassette(project: pytest.Pytester) -> None:
    path = cassette_file(project, ticket_cassette("jsapi"))
    before = path.read_bytes()
    project.makepyfile("""
        import pytest
        from wxcore.adapters.client import Client

        @pytest.mark.wx_cassette("js/ticket")
        def test_broken(wx_cassette):
            wx_cassette.client(Client).get_jsapi_ticket()
            assert False
    """)
    result = run(project, "--wx-record=sandbox")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*js/ticket.json: NOT saved, the test did not pass*"])
    assert path.read_bytes() == before


def test_live_recording_needs_credentials_from_the_environment(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WXCORE_APPID", raising=False)
    monkeypatch.delenv("WXCORE_SECRET", raising=False)
    project.makepyfile(RECORDABLE)
    result = run(project, "--wx-record=live")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--wx-record=live needs the app's credentials in "
                                 "WXCORE_APPID and WXCORE_SECRET*"])


def test_without_a_marker_the_cassette_is_named_after_the_test(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mod="""
        from wxcore.adapters.client import Client

        def test_it(wx_cassette):
            assert wx_cassette.path.parts[-3:] == ("cassettes", "test_mod", "test_it.json")
    """)
    target = pytester.path / "cassettes" / "test_mod" / "test_it.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"wxcore_cassette": 1, "name": "test_mod/test_it",
                                  "interactions": []}))
    run(pytester).assert_outcomes(passed=1)


MODES_TEST = """
import pytest
from wxcore.adapters.client import Client

@pytest.mark.wx_cassette("js/ticket"{options})
def test_tickets(wx_cassette):
    client = wx_cassette.client(Client)
    assert client.get_jsapi_ticket()
    {more}
    print("MODE", wx_cassette.record_mode, wx_cassette.mode, wx_cassette.sandbox is None)
"""


def modes_test(options: str = "", more: str = "") -> str:
    return MODES_TEST.format(options=options, more=more)


def test_record_once_records_a_missing_cassette_then_replays_it(
        project: pytest.Pytester) -> None:
    project.makepyfile(modes_test())
    path = project.path / "recorded" / "js" / "ticket.json"
    result = run(project, "--wx-record=once", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE once sandbox False*", "*js/ticket.json (1 exchanges)*"])
    recorded = path.read_bytes()
    result = run(project, "--wx-record=once", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE once replay True*"])
    assert "cassette(s) recorded" not in result.stdout.str()
    assert path.read_bytes() == recorded


def test_record_all_twice_leaves_the_cassette_unchanged(project: pytest.Pytester) -> None:
    project.makepyfile(modes_test())
    run(project, "--wx-record=all").assert_outcomes(passed=1)
    path = project.path / "recorded" / "js" / "ticket.json"
    recorded = path.read_bytes()
    result = run(project, "--wx-record=all")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*js/ticket.json: unchanged*"])
    assert path.read_bytes() == recorded


def test_new_episodes_records_only_what_the_cassette_lacks(project: pytest.Pytester) -> None:
    from wxcore.adapters.cassette import load_cassette

    path = cassette_file(project, ticket_cassette("jsapi"))
    before = load_cassette(path).interactions[0]
    project.makepyfile(modes_test(more='assert client.ticket_provider("wx_card").get().value'))
    result = run(project, "--wx-record=new_episodes", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE new_episodes sandbox False*",
                                 "*js/ticket.json (2 exchanges)*"])
    interactions = load_cassette(path).interactions
    assert interactions[0] == before  # answered from the file: the hand-written ticket
    assert interactions[1].request.query == {"type": "wx_card"}
    run(project).assert_outcomes(passed=1)  # and the whole cassette replays


def test_the_marker_sets_the_mode_and_the_command_line_wins(project: pytest.Pytester) -> None:
    project.makepyfile(modes_test(options=', record="once"'))
    run(project).assert_outcomes(passed=1)  # the marker records the missing cassette
    (project.path / "recorded" / "js" / "ticket.json").unlink()
    result = run(project, "--wx-record=none")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no such cassette*"])
    project.makepyfile(modes_test(options=', record="sometimes"'))
    result = run(project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*record= must be one of none, once, new_episodes, all, "
                                 "not 'sometimes'*"])


def test_the_plugin_and_the_api_know_the_same_record_modes() -> None:
    from wxcore.adapters import pytest_plugin
    from wxcore.adapters.cassette import RECORD_MODES

    assert pytest_plugin.RECORD_MODES == RECORD_MODES
