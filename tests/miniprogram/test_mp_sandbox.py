"""The Mini Program facade against the sandbox: every endpoint, offline, end to end."""

from __future__ import annotations

import io
import pathlib

import pytest

from wxcore.adapters.miniprogram import MiniProgram, read_image
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox, login_code
from wxcore.adapters.sandbox import miniprogram as sandbox_mp
from wxcore.adapters.sandbox import mp_images, mp_services
from wxcore.adapters.transport import Urllib3Transport
from wxcore.errors import QuotaError, UsageError
from wxcore.miniprogram import errors

# The fake clock starts at 1_700_000_000: 2023-11-15 06:13 in China (a Wednesday).


@pytest.fixture
def user(mp: MiniProgram, sandbox: WeChatSandbox):  # type: ignore[no-untyped-def]
    return mp.code2session(login_code(sandbox, "alice"))


def test_today_is_the_china_date(mp: MiniProgram, clock) -> None:  # type: ignore[no-untyped-def]
    assert str(mp.today()) == "2023-11-15"
    clock.advance(18 * 3600)  # 00:13 on the 16th in China, still the 15th in UTC
    assert str(mp.today()) == "2023-11-16"


def test_datacube_default_end_dates_and_refs(mp: MiniProgram) -> None:
    assert mp.get_daily_retain("20231114").ref_date == "20231114"
    assert mp.get_weekly_retain("20231106").ref_date == "20231106-20231112"
    assert mp.get_monthly_retain("20231001").ref_date == "202310"
    assert mp.get_monthly_visit_trend("20231001").list[0].ref_date == "202310"
    assert mp.get_daily_summary("20231114").list[0].visit_total > 0
    trend = mp.get_daily_visit_trend("20231114").list[0]
    assert trend.visit_uv_new <= trend.visit_uv <= trend.visit_pv


def test_datacube_rules_are_checked_before_sending(mp: MiniProgram,
                                                   sandbox: WeChatSandbox) -> None:
    before = sum(sandbox.calls.values())
    with pytest.raises(UsageError, match="up to yesterday"):
        mp.get_daily_retain("20231115")  # today in China
    with pytest.raises(UsageError, match="Monday"):
        mp.get_weekly_visit_trend("20231107")
    assert sum(sandbox.calls.values()) == before  # nothing went to WeChat


def test_sandbox_refuses_a_bad_range_sent_raw(mp: MiniProgram) -> None:
    from wxcore.miniprogram.analysis import get_weekly_retain

    call = get_weekly_retain.endpoint.call(json={"begin_date": "20231107", "end_date": "20231113"})
    with pytest.raises(Exception) as caught:
        mp.call(call)
    assert getattr(caught.value, "errcode", None) == 61501


def test_login_users_paid_unionid_and_plugin(mp: MiniProgram, sandbox: WeChatSandbox) -> None:
    openid = sandbox_mp.paid_order(sandbox, "bob", mch_id="1230000109", out_trade_no="T1")
    result = mp.get_paid_unionid(openid, mch_id="1230000109", out_trade_no="T1")
    assert result.unionid == sandbox.unionid_for("bob")
    with pytest.raises(errors.InvalidOrderError):
        mp.get_paid_unionid(openid, "no-such-transaction")
    code = sandbox_mp.plugin_code(sandbox, "bob")
    assert mp.get_plugin_open_pid(code).openpid
    with pytest.raises(errors.InvalidCodeError):
        mp.get_plugin_open_pid(code)  # single use


def test_paid_unionid_expires_five_minutes_after_payment(mp: MiniProgram, sandbox, clock) -> None:  # type: ignore[no-untyped-def]
    openid = sandbox_mp.paid_order(sandbox, "carol", transaction_id="4200")
    clock.advance(301)
    with pytest.raises(errors.InvalidOrderError):
        mp.get_paid_unionid(openid, "4200")


def test_encrypted_data_decrypts_and_checks(mp: MiniProgram, sandbox: WeChatSandbox,
                                            user, clock) -> None:  # type: ignore[no-untyped-def]
    encrypted, iv = sandbox_mp.encrypt_data(sandbox, user.session_key, {
        "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86"})
    assert mp.decrypt_phone_number(user.session_key, encrypted, iv).purePhoneNumber == \
        "13800138000"
    assert mp.check_encrypted_data(encrypted_data=encrypted).vaild is True
    clock.advance(3 * 86400 + 1)
    with pytest.raises(errors.EncryptedDataNotFoundError):
        mp.check_encrypted_data(encrypted_data=encrypted)


def test_image_inputs_path_bytes_and_file(mp: MiniProgram, tmp_path: pathlib.Path) -> None:
    png = mp.get_wxacode_unlimited("uid=42&c=7", page="pages/index/index").content
    path = tmp_path / "code.png"
    path.write_bytes(png)
    for img in (png, path, str(path), io.BytesIO(png), open(path, "rb")):
        result = mp.scan_qr_code(img=img)
        assert [c.data for c in result.code_results] == ["uid=42&c=7"]
        if hasattr(img, "close"):
            img.close()
    assert read_image(path).filename == "code.png"  # type: ignore[union-attr]


def test_image_input_errors(mp: MiniProgram, tmp_path: pathlib.Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        mp.ocr_bank_card(img=tmp_path / "missing.jpg")
    with pytest.raises(UsageError, match="binary mode"):
        mp.ocr_bank_card(img=io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="not a JPEG"):
        mp.ocr_bank_card(img=b"plain text")


def test_ocr_family_by_url_and_upload(mp: MiniProgram) -> None:
    png = mp.create_wxaqrcode("pages/a")
    assert mp.ocr_bank_card(img_url="https://example.com/c.jpg").number
    assert mp.ocr_business_license(img=png.content).reg_num
    assert mp.ocr_driver_license(img_url="https://example.com/d.jpg").car_class
    assert mp.ocr_vehicle_license(img=png.content).plate_num
    assert mp.ocr_id_card(img_url="https://example.com/i.jpg", type="scan").type == "Front"
    assert mp.ocr_printed_text(img=png.content).items[0].text
    crops = mp.ai_crop(img_url="https://example.com/a.jpg", ratios=[1, 2]).results
    assert len(crops) == 2
    assert crops[0].crop_right - crops[0].crop_left == crops[0].crop_bottom - crops[0].crop_top


def test_super_resolution_then_media_download(mp: MiniProgram, tmp_path: pathlib.Path) -> None:
    original = mp.get_wxacode("pages/a").content
    media_id = mp.super_resolution(img=original).media_id
    target = tmp_path / "big.png"
    media = mp.get_temp_media(media_id, target)
    assert media.content == original == target.read_bytes()
    with pytest.raises(errors.InvalidMediaError):
        mp.get_temp_media("unknown")


def test_wxacode_is_a_png_and_errors_are_typed(mp: MiniProgram, sandbox: WeChatSandbox) -> None:
    media = mp.get_wxacode("pages/index/index?from=poster", width=280)
    assert media.content.startswith(b"\x89PNG\r\n\x1a\n") and media.content_type == "image/png"
    assert mp_images.read_png_text(media.content) == "pages/index/index?from=poster"
    mp_images.image_state(sandbox).pages = {"pages/index/index"}
    with pytest.raises(errors.InvalidPageError):
        mp.get_wxacode_unlimited("a=1", page="pages/unpublished")
    assert mp.get_wxacode_unlimited("a=1", page="pages/unpublished", check_path=False).content
    mp_images.image_state(sandbox).codes_created[sandbox.default_app.appid] = \
        mp_images.WXACODE_LIFETIME_CAP
    with pytest.raises(errors.LifetimeLimitError) as caught:
        mp.create_wxaqrcode("pages/index/index")
    assert isinstance(caught.value, QuotaError)


def test_wxacode_a_carries_wechats_num_used_header(mp: MiniProgram,
                                                    sandbox_server: SandboxServer) -> None:
    """get_wxacode's Media keeps the response headers: WeChat's Num-Used (codes made so far,
    against the 100,000 cap) reaches the caller, in-process and over loopback HTTP."""
    assert mp.get_wxacode("pages/a").headers["num-used"] == "1"
    assert mp.get_wxacode("pages/b").headers["num-used"] == "2"
    assert "num-used" not in mp.get_wxacode_unlimited("a=1").headers  # A only, as WeChat
    app = sandbox_server.sandbox.default_app
    served = MiniProgram(app.appid, app.secret,
                         transport=Urllib3Transport.for_base_url(sandbox_server.base_url))
    assert served.get_wxacode("pages/a").headers["num-used"] == "1"


def test_content_security(mp: MiniProgram, sandbox: WeChatSandbox, user, clock) -> None:  # type: ignore[no-untyped-def]
    assert mp.msg_sec_check(user.openid, "hello", 2).result.suggest == "pass"
    risky = mp.msg_sec_check(user.openid, "这里有敏感词", 3)
    assert risky.is_risky and risky.detail[-1].keyword == "敏感词"
    trace = mp.media_check_async(user.openid, "https://example.com/a.png", 2, 1).trace_id
    push = mp.parse_media_check_push(mp_services.media_check_push(sandbox, trace,
                                                                  suggest="risky", label=20002))
    assert (push.trace_id, push.result.suggest, push.FromUserName) == (trace, "risky",
                                                                      user.openid)
    with pytest.raises(errors.InvalidOpenidError):
        mp.msg_sec_check("o-never-seen", "hello", 2)
    clock.advance(2 * 3600 + 1)
    with pytest.raises(errors.UserInactiveError):
        mp.msg_sec_check(user.openid, "hello", 2)


def test_risk_rank(mp: MiniProgram, sandbox: WeChatSandbox, user) -> None:  # type: ignore[no-untyped-def]
    mp_services.set_risk_rank(sandbox, user.openid, 3)
    first = mp.get_user_risk_rank(user.openid, 0, "203.0.113.7", is_test=True)
    second = mp.get_user_risk_rank(user.openid, 1, "203.0.113.7")
    assert first.risk_rank == 3 and second.unoin_id == first.unoin_id + 1


def test_updatable_message(mp: MiniProgram, sandbox: WeChatSandbox, user) -> None:  # type: ignore[no-untyped-def]
    created = mp.create_activity_id(openid=user.openid)
    assert created.expiration_time == 1_700_000_000 + 86400
    mp.set_updatable_msg(created.activity_id, 0, member_count=2, room_limit=5)
    mp.set_updatable_msg(created.activity_id, 1, path="pages/game?id=7", version_type="release")
    sent = [m for m in mp_services.sent_messages(sandbox) if m["kind"] == "updatable"]
    assert [m["target_state"] for m in sent] == [0, 1]


def test_subscribe_message(mp: MiniProgram, sandbox: WeChatSandbox, user) -> None:  # type: ignore[no-untyped-def]
    data = {"character_string1": "20240317001", "amount2": "¥99.00", "thing4": "已发货"}
    mp.send_subscribe_message(user.openid, "TPL1", data, page="pages/order?id=1")
    assert mp_services.sent_messages(sandbox)[-1]["data"]["thing4"] == {"value": "已发货"}
    mp_services.refuse_subscribe(sandbox, user.openid, "TPL1")
    with pytest.raises(errors.UserRefusedError):
        mp.send_subscribe_message(user.openid, "TPL1", data)


def test_links_and_soter(mp: MiniProgram, user, clock) -> None:  # type: ignore[no-untyped-def]
    assert mp.generate_short_link("pages/a?x=1", page_title="秋季新品").link.startswith(
        "#小程序://")
    assert mp.generate_urllink(path="pages/a", query="x=1", expire_interval=30).url_link \
        .startswith("https://wxaurl.cn/")
    scheme = mp.generate_scheme(path="pages/a", expire_time=int(clock()) + 3600)
    assert scheme.openlink.startswith("weixin://dl/business/?t=")
    with pytest.raises(UsageError, match="30 days"):
        mp.generate_scheme(expire_time=int(clock()) + 31 * 86400)
    signed = '{"raw":"challenge"}'
    assert mp.verify_signature(user.openid, signed, mp_services.soter_signature(signed)).is_ok
    assert not mp.verify_signature(user.openid, signed, "forged").is_ok
