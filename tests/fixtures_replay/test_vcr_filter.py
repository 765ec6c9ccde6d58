"""The vcrpy filter, for real: wxcore's urllib3 transport recorded by vcrpy over loopback.

A scenario touching every kind of secret (AppSecret, plain, stable and forced tokens, a
ticket, a session_key) runs against the sandbox served over HTTP while vcrpy records it.
Without the filter the YAML file holds the secrets; with it, none of them, and the cassette
still replays through vcrpy with no server.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import vcr  # type: ignore[import-untyped]  # vcrpy ships no types

from wxcore.miniprogram.login import Code2SessionResult
from wxcore.tokens import fetch_access_token, fetch_stable_access_token

from wxcore.adapters.cassette.vcr import WxVcrFilter, transport_patches
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox, login_code
from wxcore.adapters.sandbox.miniprogram import state as miniprogram_state
from wxcore.adapters.transport import Urllib3Transport


def scenario(base_url: str, appid: str, secret: str, js_code: str) -> list[object]:
    transport = Urllib3Transport.for_base_url(base_url)
    with MiniProgram(appid, secret, transport=transport, retry=None) as mp:
        return [
            mp.call(fetch_access_token(appid)).access_token,  # the secret in the query
            mp.get_jsapi_ticket(),  # a stable token (secret in the JSON body), a ticket
            mp.call(fetch_stable_access_token(appid, force_refresh=True)).access_token,
            mp.code2session(js_code),  # a session_key in the answer
        ]


def secrets_of(sandbox: WeChatSandbox) -> set[str]:
    found = {sandbox.default_app.secret} | set(sandbox.tokens)
    found |= set(miniprogram_state(sandbox).session_keys.values())
    return found


def leaked(path: Path, secrets: set[str]) -> list[str]:
    text = path.read_text("utf-8")
    return sorted(s for s in secrets if s in text or quote(s, safe="") in text)


def test_without_the_filter_vcrpy_writes_the_secrets(tmp_path: Path,
                                                     sandbox_server: SandboxServer) -> None:
    app = sandbox_server.sandbox.default_app
    path = tmp_path / "plain.yaml"
    with vcr.VCR(custom_patches=transport_patches()).use_cassette(str(path), record_mode="all"):
        scenario(sandbox_server.base_url, app.appid, app.secret, login_code(sandbox_server.sandbox))
    assert app.secret in leaked(path, secrets_of(sandbox_server.sandbox))


def test_a_cassette_recorded_through_the_filter_holds_no_secret_and_replays(
        tmp_path: Path, sandbox_server: SandboxServer) -> None:
    sandbox = sandbox_server.sandbox
    app = sandbox.default_app
    code = login_code(sandbox)
    path = tmp_path / "wechat.yaml"
    with vcr.VCR(**WxVcrFilter().vcr_config()).use_cassette(str(path), record_mode="all"):
        recorded = scenario(sandbox_server.base_url, app.appid, app.secret, code)
    secrets = secrets_of(sandbox)
    assert len(secrets) >= 5  # the secret, three tokens, a ticket, a session_key
    assert leaked(path, secrets) == []
    text = path.read_text("utf-8")
    assert "/sns/jscode2session" in text and "<redacted:session_key:1>" in text
    assert quote("<redacted:secret:1>", safe="") in text  # the query, redacted in place

    # Replay through vcrpy with no server: the placeholders the replayed token answers hand
    # out are what the next requests send, and they match the recorded ones.
    sandbox_server.close()
    calls = sum(sandbox.calls.values())
    with vcr.VCR(**WxVcrFilter().vcr_config()).use_cassette(str(path), record_mode="none") as tape:
        replayed = scenario(sandbox_server.base_url, app.appid, "any-secret-at-all", code)
        assert tape.all_played
    assert sum(sandbox.calls.values()) == calls
    session = replayed[3]
    assert isinstance(session, Code2SessionResult)
    assert session.openid == recorded[3].openid  # type: ignore[attr-defined]
    assert session.session_key == "<redacted:session_key:1>"


def test_the_filter_keeps_binary_bodies_and_scrubs_known_secrets_from_text() -> None:
    wx_filter = WxVcrFilter(secrets=["EncodingAESKey-abcdefghijklmnop"])
    response = {"status": {"code": 200, "message": "OK"},
                "headers": {"Content-Type": ["text/plain"]},
                "body": {"string": b"key EncodingAESKey-abcdefghijklmnop here"}}
    assert wx_filter.before_record_response(response)["body"]["string"] == (
        b"key <redacted:secret:1> here")
    image = {"status": {"code": 200, "message": "OK"}, "headers": {},
             "body": {"string": b"\xff\xd8\xff\xe0\x00"}}
    assert wx_filter.before_record_response(image)["body"]["string"] == b"\xff\xd8\xff\xe0\x00"
