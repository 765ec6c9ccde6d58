"""QR codes and short keys: scene rules, the image on mp.weixin.qq.com, the sandbox's tickets."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.sandbox.mp_images import read_png_text
from wxcore.adapters.sandbox.oa_qrcode import scan
from wxcore.adapters.transport import Urllib3Transport
from wxcore.errors import HTTPStatusError, UsageError
from wxcore.officialaccount import qrcode
from wxcore.officialaccount.errors import ShortKeyError


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def test_typed_helpers_build_the_four_kinds() -> None:
    assert body(qrcode.create_temporary_qrcode(123)) == {
        "expire_seconds": 30, "action_name": "QR_SCENE",
        "action_info": {"scene": {"scene_id": 123}}}
    assert body(qrcode.create_temporary_qrcode("bind:42", 3600))["action_name"] == "QR_STR_SCENE"
    assert body(qrcode.create_permanent_qrcode(100_000)) == {
        "action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_000}}}
    assert body(qrcode.create_permanent_qrcode("poster"))["action_info"] == {
        "scene": {"scene_str": "poster"}}


@pytest.mark.parametrize(("data", "message"), [
    ({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_001}}},
     "between 1 and 100000"),
    ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 0}}}, "between 1 and"),
    ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 2**31}}},
     "between 1 and 2147483647"),
    ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": "12"}}}, "integer"),
    ({"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "x" * 65}}},
     "at most 64"),
    ({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}},
     "non-empty"),
    ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_str": "a"}}},
     "needs action_info"),
    ({"action_name": "QR_SCENE", "expire_seconds": 2_592_001,
      "action_info": {"scene": {"scene_id": 1}}}, "expire_seconds must be between 1 and 2592000"),
    ({"action_name": "QR_LIMIT_SCENE", "expire_seconds": 60,
      "action_info": {"scene": {"scene_id": 1}}}, "temporary codes"),
    ({"action_name": "QR_FOREVER", "action_info": {}}, "action_name must be one of"),
    ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 1}}, "x": 1},
     "does not know: x"),
])
def test_create_qrcode_checks_wechats_rules(data: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        qrcode.create_qrcode(data)


def test_show_qrcode_url_encodes_the_ticket() -> None:
    ticket = "gQH47joAAAAAAAAAASxodHRwOi8v/d2Vp+eGlu=="
    url = qrcode.show_qrcode_url(ticket)
    assert url.startswith("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=")
    assert "%2F" in url and "%2B" in url and "%3D%3D" in url and "/d2Vp" not in url
    assert parse_qs(urlsplit(url).query)["ticket"] == [ticket]
    request = qrcode.show_qrcode(ticket).request
    assert (request.host, request.auth.kind) == ("mp.weixin.qq.com", None)  # no access token
    assert request.url == url  # the download is the very URL


def test_the_default_transport_sends_the_image_download_to_mp_weixin() -> None:
    transport = Urllib3Transport()
    assert transport._bases("mp.weixin.qq.com") == ("https://mp.weixin.qq.com",)
    assert transport._bases("api.weixin.qq.com")[0] == "https://api.weixin.qq.com"


def test_sandbox_tickets_resolve_until_they_expire(oa: OfficialAccount, sandbox: WeChatSandbox,
                                                   clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = oa.create_temporary_qrcode(98765, expire_seconds=600)
    assert code.expire_seconds == 600 and code.url.startswith("http://weixin.qq.com/q/")
    image = oa.show_qrcode(code.ticket, path=tmp_path / "code.png")
    assert read_png_text(image.content) == code.url  # the image encodes the code's URL
    assert (tmp_path / "code.png").read_bytes() == image.content
    openid = scan(sandbox, code.ticket, "erin")
    info = oa.get_user_info(openid)
    assert (info.subscribe_scene, info.qr_scene) == ("ADD_SCENE_QR_CODE", 98765)
    clock.advance(601)
    with pytest.raises(HTTPStatusError) as expired:
        oa.show_qrcode(code.ticket)
    assert expired.value.status == 404
    section = sandbox.app_state(sandbox.default_app.appid)["official_account"]
    assert "qrcodes" not in section  # the expired code is no longer listed
    forever = oa.create_permanent_qrcode("poster-7")
    shown = sandbox.app_state(sandbox.default_app.appid)["official_account"]["qrcodes"]
    assert shown[-1]["scene"] == "poster-7" and shown[-1]["expires"] == "permanent"
    clock.advance(10 * 86400)
    assert oa.show_qrcode(forever.ticket).content.startswith(b"\x89PNG")
    assert forever.expire_seconds == 0


def test_short_keys(oa: OfficialAccount, clock) -> None:  # type: ignore[no-untyped-def]
    key = oa.generate_short_key("scene=poster&channel=7", expire_seconds=100).short_key
    clock.advance(40)
    stored = oa.fetch_short_key(key)
    assert (stored.long_data, stored.expire_seconds) == ("scene=poster&channel=7", 60)
    clock.advance(60)
    with pytest.raises(ShortKeyError):
        oa.fetch_short_key(key)
    with pytest.raises(UsageError, match="4096 bytes"):
        qrcode.generate_short_key("字" * 1366)


def test_qr_image_and_scan_over_loopback_http(sandbox_server: SandboxServer) -> None:
    app = sandbox_server.sandbox.default_app
    oa = OfficialAccount(app.appid, app.secret,
                         transport=Urllib3Transport.for_base_url(sandbox_server.base_url))
    code = oa.create_temporary_qrcode("order/2024+1=ok", expire_seconds=60)
    assert read_png_text(oa.show_qrcode(code.ticket).content) == code.url
    http = urllib3.PoolManager()

    def control(path: str, **body: str) -> tuple[int, dict[str, Any]]:
        answer = http.request("POST", f"{sandbox_server.base_url}/sandbox/oa/{path}",
                              body=json.dumps(body).encode())
        return answer.status, json.loads(answer.data)

    status, scanned = control("scan", ticket=code.ticket, user="henry")
    assert status == 200
    assert oa.get_user_info(scanned["openid"]).qr_scene_str == "order/2024+1=ok"
    assert control("unfollow", user="henry") == (200, scanned)
    assert oa.get_user_info(scanned["openid"]).subscribe == 0
    assert control("follow", user="henry")[1] == scanned
    assert control("scan", ticket="gQnone", user="henry")[0] == 404
    assert control("unfollow", user="never-followed")[0] == 404
    assert control("follow", user="")[0] == 400
