"""Every snippet in docs/testing.md runs here, the way a user would run it.

The complete example is written into a fresh project (its files named by their first-line
comment) and its console commands are run: recording, then replaying. The "without pytest"
snippet runs against the sandbox over loopback HTTP, the vcrpy one records through vcrpy,
the JSON examples are decoded (the cassette one replayed) and the mismatch report shown is
the one replay prints. A new Python snippet that no test runs fails the first test.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from wxcore.tokens import fetch_stable_access_token

from wxcore.adapters.cassette import (
    CallSpec,
    CassetteMismatchError,
    Expect,
    ReplayTransport,
    check_cassette,
    load_cassette,
    loads_cassette,
)
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox, login_code
from wxcore.adapters.sandbox.miniprogram import state as miniprogram_state
from wxcore.adapters.transport import Urllib3Transport

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "testing.md"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)\n(?P<code>.*?)^(?P=indent)```", re.M | re.S)
QUIET = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cacheprovider")


def snippets(lang: str) -> list[str]:
    found = []
    for match in FENCE.finditer(DOC.read_text("utf-8")):
        if match["lang"] == lang:
            indent = len(match["indent"])
            found.append("".join(line[indent:] for line in
                                 match["code"].splitlines(keepends=True)))
    return found


def file_name(code: str) -> str | None:
    """``myapp/login.py`` for a snippet whose first line is ``# myapp/login.py``."""
    first = code.splitlines()[0]
    found = re.fullmatch(r"# ([\w./-]+\.(?:py|ini))\b.*", first)
    if found and found[1] == "conftest.py":
        return None  # pytest-recording's configuration, run on its own
    return found[1] if found else None


def standalone(marker: str) -> str:
    [code] = [c for c in snippets("python") if file_name(c) is None and marker in c]
    return code


def test_every_python_snippet_is_one_these_tests_run() -> None:
    python = snippets("python")
    files = [c for c in python if file_name(c)]
    assert sorted(str(file_name(c)) for c in files) == ["myapp/login.py", "tests/test_login.py",
                                             "tests/test_login_async.py"]
    others = [c for c in python if not file_name(c)]
    assert sorted(others) == sorted([standalone("CassetteTransport("), standalone("import vcr"),
                                     standalone("def vcr_config")])


def test_the_complete_example_records_then_replays(pytester: pytest.Pytester) -> None:
    for code in snippets("python") + snippets("ini"):
        name = file_name(code)
        if name is not None:
            (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
            (pytester.path / name).write_text(code, "utf-8")
    pytester.syspathinsert()  # so tests/test_login.py can import myapp
    [console] = snippets("console")
    commands = [shlex.split(line[2:], comments=True) for line in console.splitlines()
                if line.startswith("$ ")]
    assert [c[0] for c in commands] == ["pytest", "pytest"]
    cassette = pytester.path / "tests" / "cassettes" / "login" / "alice.json"
    pytester.runpytest(*QUIET, *commands[0][1:]).assert_outcomes(passed=1)
    assert cassette.exists()
    recorded = load_cassette(cassette)
    assert recorded.values["js_code"] == recorded.interactions[0].request.query[  # type: ignore[index]
        "js_code"]
    pytester.runpytest(*QUIET, *commands[1][1:]).assert_outcomes(passed=1)
    # the async test replays the cassette the sync one recorded
    pytester.runpytest(*QUIET, "tests/test_login_async.py").assert_outcomes(passed=1)


def run_standalone(marker: str, transport_at: str, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch, server: SandboxServer) -> None:
    """Run the snippet holding ``marker`` in ``tmp_path``, with the ``Urllib3Transport``
    named at ``transport_at`` aimed at the sandbox over loopback instead of WeChat, and
    APPID, SECRET and a fresh js_code defined as the snippet expects."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(transport_at, lambda: Urllib3Transport.for_base_url(server.base_url))
    app = server.sandbox.default_app
    namespace = {"APPID": app.appid, "SECRET": app.secret, "js_code": login_code(server.sandbox)}
    exec(compile(standalone(marker), str(DOC), "exec"), namespace)


def test_the_without_pytest_snippet_records_and_replays_over_loopback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        sandbox_server: SandboxServer) -> None:
    run_standalone("CassetteTransport(", "wxcore.adapters.transport.Urllib3Transport",
                   tmp_path, monkeypatch, sandbox_server)
    app = sandbox_server.sandbox.default_app
    text = (tmp_path / "login.json").read_text("utf-8")
    assert "/sns/jscode2session" in text and app.secret not in text
    assert sandbox_server.sandbox.calls["/sns/jscode2session"] == 1  # replay sent nothing


def test_the_json_examples_decode_and_the_cassette_one_replays() -> None:
    whole, fragment = snippets("json")
    assert check_cassette(loads_cassette(whole, "docs/testing.md")).access_token  # type: ignore[attr-defined]
    parts = json.loads("{" + fragment + "}")
    assert isinstance(loads_cassette(json.dumps({
        "wxcore_cassette": 1, "name": "x", **parts})).call, CallSpec)
    assert set(parts) == {"call", "expect"} and Expect(**parts["expect"]).result


def test_the_mismatch_report_shown_is_what_replay_prints() -> None:
    [shown] = [c for c in snippets("") if c.startswith("no recorded exchange")]
    path = "tests/cassettes/token/stable_token.json"
    transport = ReplayTransport(ROOT / path, source=path)
    with pytest.raises(CassetteMismatchError) as raised:
        transport.send(fetch_stable_access_token("wx1234567890abcdef", force_refresh=True).request)
    assert str(raised.value) == shown.rstrip("\n")


def test_the_vcrpy_snippets_record_without_secrets_and_configure_vcr(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        sandbox_server: SandboxServer) -> None:
    import vcr  # type: ignore[import-untyped]  # vcrpy ships no types

    # The snippet's client makes its default transport, so that is the one aimed.
    run_standalone("import vcr", "wxcore.adapters.urllib3_transport.Urllib3Transport",
                   tmp_path, monkeypatch, sandbox_server)
    sandbox = sandbox_server.sandbox
    app = sandbox.default_app
    text = (tmp_path / "fixtures" / "login.yaml").read_text("utf-8")
    assert "/sns/jscode2session" in text and app.secret not in text
    assert not [key for key in sandbox_state_secrets(sandbox) if key in text]

    conftest: dict[str, object] = {}
    exec(compile(standalone("def vcr_config"), str(DOC), "exec"), conftest)
    config = conftest["vcr_config"].__wrapped__()  # type: ignore[attr-defined]
    assert callable(config["before_record_request"]) and config["custom_patches"]
    vcr.VCR(**config)  # every key is one vcrpy takes


def sandbox_state_secrets(sandbox: WeChatSandbox) -> set[str]:
    """Every token, ticket and session_key the sandbox handed out."""
    return set(miniprogram_state(sandbox).session_keys.values()) | set(sandbox.tokens)
