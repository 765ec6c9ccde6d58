"""The command line: the demo and the sandbox server, run as a user would."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
import urllib3

from wxcore.adapters.cli import build_parser, main, token_server
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import WeChatSandbox
from wxcore.adapters.transport import Urllib3Transport


def test_demo_runs_the_main_job_against_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--quiet-logs"]) == 0
    out = capsys.readouterr().out
    assert "token fetches so far: 1 (stable_token)" in out
    assert "jsapi_ticket obtained after 3 attempts" in out
    assert "read with a renewed token" in out
    assert "session_key=<hidden>" in out
    assert "今日推荐, 服务 [官网]" in out  # the Official Account menu, read back
    assert "came by ADD_SCENE_QR_CODE (scene 'poster-7'); 301 followers in all" in out
    assert "alice signed in: the same openid as the follower" in out
    assert "before she writes: errcode 45015" in out and "the reply is sent" in out


def test_no_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_sandbox_command_serves_wechat_over_http() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "wxcore.adapters.cli", "sandbox", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().split()[-1]
        assert base_url.startswith("http://127.0.0.1:")
        code = urllib3.request("POST", f"{base_url}/sandbox/login_code", json={"user": "bob"}).json()["code"]
        mp = MiniProgram(WeChatSandbox.DEFAULT_APPID, WeChatSandbox.DEFAULT_SECRET,
                         transport=Urllib3Transport.for_base_url(base_url))
        assert mp.code2session(code).openid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_token_server_refuses_an_unknown_token_api_in_its_config(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "apps.json"
    config.write_text(json.dumps({"apps": {"wxaaa": {"secret_env": "A_SECRET",
                                                     "token_api": "plain"}}}))
    args = build_parser().parse_args(["token-server", "--config", str(config)])
    with pytest.raises(token_server.ConfigError,
                       match="app wxaaa: token_api must be 'stable' or 'token'"):
        token_server.load_apps(args, {"A_SECRET": "secret-a"})
    config.write_text(json.dumps({"apps": {"wxaaa": {"secret_env": "A_SECRET",
                                                     "token_api": "token"}}}))
    (app,) = token_server.load_apps(args, {"A_SECRET": "secret-a"})
    assert (app.appid, app.secret, app.token_api) == ("wxaaa", "secret-a", "token")
