"""The sandbox's JSON control API over real loopback HTTP: validation, the Mini Program
hooks, faults and the call log, used as a script outside the test process would."""

from __future__ import annotations

import socket

import pytest
import urllib3
from sandboxkit import Control

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxRequest, SandboxServer, WeChatSandbox, route
from wxcore.adapters.sandbox.core import ROUTES
from wxcore.adapters.transport import Urllib3Transport
from wxcore.miniprogram import errors

SECRET = WeChatSandbox.DEFAULT_SECRET


@pytest.fixture
def mp(served: SandboxServer) -> MiniProgram:
    return MiniProgram(WeChatSandbox.DEFAULT_APPID, SECRET,
                       transport=Urllib3Transport.for_base_url(served.base_url))


@pytest.mark.parametrize(("path", "body", "reason"), [
    ("/sandbox/fault", b"garbage", "JSON is malformed"),
    ("/sandbox/fault", b'{"kind": "nope"}', "Invalid enum value 'nope' - at `$.kind`"),
    ("/sandbox/fault", b'[1, 2]', "Expected `object`, got `array`"),
    ("/sandbox/fault", b'{"kind": "errcode", "tims": 2}', "unknown field `tims`"),
    ("/sandbox/fault", b'{"kind": "status", "status": 200}', "Expected `int` >= 400"),
    ("/sandbox/fault", b'{"kind": "errcode", "times": 0}', "Expected `int` >= 1 - at `$.times`"),
    ("/sandbox/fault", b'{"kind": "slow"}', "a slow fault needs a delay"),
    ("/sandbox/fault", b'{"kind": "errcode", "errcode": 0}', "errcode 0 is a success"),
    ("/sandbox/fault", b'{"kind": "reset", "path": "cgi-bin/token"}', "at `$.path`"),
    ("/sandbox/login_code", b'{"user": 7}', "Expected `str`, got `int` - at `$.user`"),
    ("/sandbox/login_code", b'{"user": "bob", "appid": "wx_nobody"}', "unknown appid 'wx_nobody'"),
    ("/sandbox/phone_code", b'{"phone": "12ab"}', "at `$.phone`"),
    ("/sandbox/paid_order", b'{"user": "bob"}', "give transaction_id, or mch_id with"),
    ("/sandbox/paid_order", b'{"mch_id": "1230000109"}', "mch_id and out_trade_no go together"),
    ("/sandbox/encrypt_data", b'{"session_key": "abc", "payload": {}}', "session_key is not base64"),
    ("/sandbox/encrypt_data", b'{"session_key": "YWJj", "payload": {}}', "must decode to 16 bytes"),
    ("/sandbox/encrypt_data", b'{"payload": {}}', "missing required field `session_key`"),
    ("/sandbox/media_check_push", b'{"trace_id": "nope"}', "unknown trace_id 'nope'"),
    ("/sandbox/media_check_push", b'{"trace_id": "t", "suggest": "maybe"}', "at `$.suggest`"),
    ("/sandbox/refuse_subscribe", b'{"openid": "o1"}', "missing required field `template_id`"),
    ("/sandbox/risk_rank", b'{"openid": "o1", "rank": 9}', "Expected `int` <= 4"),
    ("/sandbox/revoke", b'{"appid": ""}', "Expected `str` of length >= 1"),
    ("/sandbox/faults/clear", b'{"all": true}', "takes no arguments"),
    ("/sandbox/push/target", b'{"url": "ftp://x", "token": "abc"}', "at `$.url`"),
    ("/sandbox/push/target", b'{"url": "http://127.0.0.1:9/w", "token": "abc", "mode": "safe"}',
     "safe mode needs encoding_aes_key"),
    ("/sandbox/push", b'{"kind": "text"}', "missing required field `content`"),
    ("/sandbox/push", b'{"kind": "teleport"}', "Invalid value 'teleport' - at `$.kind`"),
    ("/sandbox/push", b'{"kind": "location", "latitude": 91, "longitude": 0}', "at `$.latitude`"),
])
def test_bad_control_bodies_get_400_with_the_reason(control: Control, path: str, body: bytes,
                                                    reason: str) -> None:
    response = control.post(path, raw=body)
    assert response.status == 400, response.data
    assert reason in response.json()["error"]


def test_unknown_paths_wrong_methods_and_bad_queries(control: Control) -> None:
    response = control.post("/sandbox/teleport", {})
    assert response.status == 404 and "unknown control path /sandbox/teleport" in response.json()["error"]
    response = control.get("/sandbox/fault")
    assert response.status == 405 and "takes POST, not GET" in response.json()["error"]
    response = control.get("/sandbox/log?after=soon")
    assert response.status == 400 and "at `$.after`" in response.json()["error"]
    response = control.get("/sandbox/log?before=1")
    assert response.status == 400 and "unknown field `before`" in response.json()["error"]
    response = control.get("/sandbox/state?app=wx1")
    assert response.status == 400 and "takes no arguments" in response.json()["error"]
    response = control.post("/sandbox/login_code?user=bob", {})
    assert response.status == 400 and "not a query (user)" in response.json()["error"]
    response = control.http.request("GET", control.base_url + "/sandbox/log", body=b'{"after": 1}')
    assert response.status == 400 and "as a query, not a body" in response.json()["error"]


def test_a_sandbox_bug_is_a_500_with_its_name(served: SandboxServer, control: Control,
                                             caplog: pytest.LogCaptureFixture) -> None:
    @route("GET", "/test/broken", auth="none")
    def broken(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, object]:
        raise RuntimeError("handler bug")

    try:
        response = control.get("/test/broken")
    finally:
        del ROUTES[("GET", "/test/broken")]
    assert response.status == 500
    assert response.json() == {"error": "sandbox error: RuntimeError: handler bug"}
    assert "sandbox failed on GET /test/broken" in caplog.text
    assert control.get("/sandbox/stats").status == 200  # the server goes on


def test_binary_bodies_are_described_in_the_log(control: Control, mp: MiniProgram,
                                                served: SandboxServer) -> None:
    png = mp.get_wxacode_unlimited("uid=42", page="pages/index/index").content
    mp.ocr_printed_text(img=png)
    calls = {c["path"]: c for c in control.get("/sandbox/log").json()["calls"]}
    code = calls["/wxa/getwxacodeunlimit"]
    assert code["response_body"] == f"<{len(png)} bytes image/png>"
    upload = calls["/cv/ocr/comm"]
    sent = next(r.body for r in served.sandbox.requests if r.path == "/cv/ocr/comm")
    assert upload["request_body"] == f"<{len(sent)} bytes multipart/form-data>"


def test_a_bad_content_length_is_a_400_not_a_dropped_connection(served: SandboxServer) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(b"POST /sandbox/fault HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):  # the sandbox closes the connection after answering
            answer += chunk
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400")
    assert b"bad Content-Length 'lots'" in answer


def test_a_refused_fault_is_not_injected(control: Control, served: SandboxServer) -> None:
    control.post("/sandbox/fault", raw=b'{"kind": "slow"}')
    assert served.sandbox.faults == []


def test_faults_are_counted_down_used_up_and_cleared(control: Control, mp: MiniProgram) -> None:
    injected = control.ok("/sandbox/fault", {"kind": "errcode", "errcode": 40029, "times": 2,
                                              "path": "/sns/jscode2session"})["fault"]
    assert injected["times_left"] == 2 and injected["label"] == f"#{injected['id']} errcode 40029"
    assert control.ok("/sandbox/state")["faults"][0]["times_left"] == 2
    for _ in range(2):
        with pytest.raises(errors.InvalidCodeError):
            mp.code2session(control.ok("/sandbox/login_code")["code"])
    state = control.ok("/sandbox/state")
    assert state["faults"] == []
    assert [(f["id"], f["used"], f["times_left"]) for f in state["spent_faults"]] == [
        (injected["id"], 2, 0)]
    control.ok("/sandbox/fault", {"kind": "reset", "times": 5})
    assert control.ok("/sandbox/faults/clear") == {"cleared": 1}
    assert control.ok("/sandbox/state")["faults"] == []


def test_login_phone_and_plugin_codes(control: Control, mp: MiniProgram) -> None:
    session = mp.code2session(control.ok("/sandbox/login_code", {"user": "bob"})["code"])
    assert session.openid == control.ok("/sandbox/active_openid", {"user": "bob"})["openid"]
    phone = mp.get_phone_number(control.ok("/sandbox/phone_code",
                                           {"phone": "5550100", "country_code": "1"})["code"])
    assert phone.phone_info.phoneNumber == "+15550100"
    assert mp.get_plugin_open_pid(control.ok("/sandbox/plugin_code", {"user": "bob"})["code"]).openpid


def test_paid_order_over_http(control: Control, mp: MiniProgram, served: SandboxServer) -> None:
    openid = control.ok("/sandbox/paid_order", {"user": "carol", "transaction_id": "4200"})["openid"]
    assert mp.get_paid_unionid(openid, "4200").unionid == served.sandbox.unionid_for("carol")
    with pytest.raises(errors.InvalidOrderError):
        mp.get_paid_unionid(openid, "4201")


def test_encrypt_data_over_http(control: Control, mp: MiniProgram) -> None:
    session = mp.code2session(control.ok("/sandbox/login_code", {"user": "dan"})["code"])
    made = control.ok("/sandbox/encrypt_data", {
        "session_key": session.session_key,
        "payload": {"phoneNumber": "13900139000", "purePhoneNumber": "13900139000",
                    "countryCode": "86"}})
    decrypted = mp.decrypt_phone_number(session.session_key, made["encryptedData"], made["iv"])
    assert decrypted.purePhoneNumber == "13900139000"
    assert mp.check_encrypted_data(encrypted_data=made["encryptedData"]).vaild is True


def test_media_check_push_and_refused_subscribe(control: Control, mp: MiniProgram) -> None:
    openid = control.ok("/sandbox/active_openid", {"user": "erin"})["openid"]
    trace_id = mp.media_check_async(openid, "https://example.com/a.jpg", 2, scene=1).trace_id
    response = control.post("/sandbox/media_check_push", {"trace_id": trace_id, "suggest": "risky",
                                                          "label": 20002})
    assert response.status == 200 and response.headers["content-type"] == "application/json"
    push = response.json()
    assert (push["Event"], push["trace_id"], push["FromUserName"]) == (
        "wxa_media_check", trace_id, openid)
    assert push["result"] == {"suggest": "risky", "label": 20002}
    assert control.ok("/sandbox/refuse_subscribe", {"openid": openid, "template_id": "T1"})["ok"]
    with pytest.raises(errors.UserRefusedError):
        mp.send_subscribe_message(openid, "T1", {"thing1": {"value": "hi"}})


def test_risk_rank_over_http(control: Control, mp: MiniProgram) -> None:
    openid = control.ok("/sandbox/active_openid", {"user": "finn"})["openid"]
    control.ok("/sandbox/risk_rank", {"openid": openid, "rank": 3})
    rank = mp.get_user_risk_rank(openid=openid, scene=0, client_ip="127.0.0.1")
    assert rank.risk_rank == 3


def test_the_log_shows_calls_with_secrets_masked(control: Control, mp: MiniProgram) -> None:
    session = mp.code2session(control.ok("/sandbox/login_code", {"user": "gus"})["code"])
    control.ok("/sandbox/fault", {"kind": "errcode", "errcode": 45009, "errmsg": "quota",
                                  "path": "/wxa/business/getuserphonenumber"})
    with pytest.raises(Exception):
        mp.get_phone_number(control.ok("/sandbox/phone_code")["code"])
    response = control.get("/sandbox/log")
    calls = response.json()["calls"]
    text = response.data.decode()
    paths = [c["path"] for c in calls]
    assert "/cgi-bin/stable_token" in paths and "/sns/jscode2session" in paths
    for secret in (SECRET, session.session_key, mp.get_access_token()):
        assert secret not in text
    login = next(c for c in calls if c["path"] == "/sns/jscode2session")
    assert "secret=***" in login["query"] and '"session_key":"***"' in login["response_body"]
    failed = next(c for c in calls if c["path"] == "/wxa/business/getuserphonenumber")
    assert (failed["errcode"], failed["errmsg"], failed["fault"]) == (45009, "quota", "#1 errcode 45009")
    assert failed["latency_ms"] >= 0 and failed["status"] == 200
    after = calls[-1]["seq"]
    assert control.get(f"/sandbox/log?after={after}").json()["calls"] == []
    assert len(control.get("/sandbox/log?limit=1").json()["calls"]) == 1


def test_a_reset_is_logged_as_such(control: Control, served: SandboxServer) -> None:
    control.ok("/sandbox/fault", {"kind": "reset", "path": "/cgi-bin/token"})
    with pytest.raises(urllib3.exceptions.ProtocolError):
        control.http.request("GET", served.base_url + "/cgi-bin/token")
    call = control.get("/sandbox/log").json()["calls"][-1]
    assert (call["path"], call["status"], call["errmsg"]) == ("/cgi-bin/token", None, "connection reset")


def test_state_masks_secrets_and_reveal_shows_one(control: Control, mp: MiniProgram) -> None:
    token = mp.get_access_token()
    response = control.get("/sandbox/state")
    assert SECRET not in response.data.decode() and token not in response.data.decode()
    app = response.json()["apps"][0]
    assert app["appid"] == WeChatSandbox.DEFAULT_APPID and app["secret"].startswith("***#")
    stable = next(t for t in app["tokens"] if t["kind"] == "stable")
    assert 7000 < stable["expires_in"] <= 7200 and stable["revoked"] is False
    assert app["force_refresh"] == {"used": 0, "left": 20, "per_day": 20, "next_in": 0}
    mp.get_jsapi_ticket()
    kinds = [t["kind"] for t in control.ok("/sandbox/state")["apps"][0]["tokens"]]
    assert sorted(kinds) == ["stable", "ticket:jsapi"]
    assert control.ok("/sandbox/reveal_secret", {})["secret"] == SECRET
    assert control.ok("/sandbox/revoke", {})["revoked"] >= 1
    app = control.ok("/sandbox/state")["apps"][0]
    assert next(t for t in app["tokens"] if t["kind"] == "stable")["revoked"] is True
