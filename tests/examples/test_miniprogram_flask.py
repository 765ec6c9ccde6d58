"""examples/miniprogram_flask against the sandbox over loopback HTTP, through Flask's client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from miniprogram_flask.app import create_app, mini_program_from_environment

from wxcore import MiniProgram, WeChatSandbox
from wxcore.adapters.sandbox import Fault, login_code, phone_code
from wxcore.adapters.transport import Urllib3Transport


@pytest.fixture
def client(wechat: tuple[WeChatSandbox, str]) -> Iterator[FlaskClient]:
    sandbox, base_url = wechat
    app = sandbox.default_app
    mp = MiniProgram(app.appid, app.secret, transport=Urllib3Transport.for_base_url(base_url))
    yield create_app(mp).test_client()
    mp.close()


def login(client: FlaskClient, sandbox: WeChatSandbox, user: str) -> dict[str, str]:
    answer = client.post("/api/login", json={"code": login_code(sandbox, user)})
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, str] = answer.get_json()
    return body


def test_a_login_code_becomes_a_session_with_a_stable_openid(
        client: FlaskClient, wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, _ = wechat
    first, again, other = (login(client, sandbox, user) for user in ("alice", "alice", "bob"))
    assert first["openid"] == again["openid"] != other["openid"]
    assert first["session"] != again["session"]
    assert "session_key" not in first


def test_a_used_or_missing_login_code_is_refused(
        client: FlaskClient, wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, _ = wechat
    code = login_code(sandbox, "alice")
    assert client.post("/api/login", json={"code": code}).status_code == 200
    used = client.post("/api/login", json={"code": code})
    assert used.status_code == 401 and "used already" in used.get_json()["error"]
    assert client.post("/api/login", json={}).status_code == 400


def test_a_phone_code_becomes_the_users_phone_number(
        client: FlaskClient, wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, _ = wechat
    session = login(client, sandbox, "alice")["session"]
    answer = client.post("/api/phone", json={"code": phone_code(sandbox, "13912345678")},
                         headers={"Authorization": f"Bearer {session}"})
    assert answer.status_code == 200
    assert answer.get_json() == {"phone": "13912345678", "country_code": "86"}
    assert sandbox.calls["/wxa/business/getuserphonenumber"] == 1


def test_the_phone_number_needs_a_session(
        client: FlaskClient, wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, _ = wechat
    answer = client.post("/api/phone", json={"code": phone_code(sandbox)},
                         headers={"Authorization": "Bearer forged"})
    assert answer.status_code == 401
    assert "/wxa/business/getuserphonenumber" not in sandbox.calls


def test_a_wechat_refusal_is_a_502_with_errcode_and_rid(
        client: FlaskClient, wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, _ = wechat
    sandbox.inject(Fault("errcode", errcode=45011, errmsg="api minute-quota reach limit",
                         path="/sns/jscode2session"))
    answer = client.post("/api/login", json={"code": login_code(sandbox)})
    assert answer.status_code == 502
    assert answer.get_json()["errcode"] == 45011


def test_the_environment_points_the_app_at_a_sandbox(
        wechat: tuple[WeChatSandbox, str], monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, base_url = wechat
    monkeypatch.setenv("WECHAT_API_BASE", base_url)
    monkeypatch.delenv("WECHAT_APPID", raising=False)
    client = create_app().test_client()
    answer = client.post("/api/login", json={"code": login_code(sandbox, "carol")})
    assert answer.status_code == 200 and answer.get_json()["openid"]
    assert mini_program_from_environment().appid == WeChatSandbox.DEFAULT_APPID
