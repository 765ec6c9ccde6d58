"""Mini Program builders: the request each one builds, and the local checks before sending."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import msgspec
import pytest

from wxcore.endpoint import Call
from wxcore.errors import UsageError
from wxcore.http import ACCESS_TOKEN, APP_SECRET_IN_QUERY
from wxcore.miniprogram import (
    analysis,
    images,
    links,
    login,
    security,
    soter,
    subscribe,
    updatable,
    wxacode,
)
from wxcore.multipart import File

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
TODAY = date(2024, 3, 20)  # a Wednesday
OPENID = "oM4rT8yW2qL6nB1vX9cK3jZ7dHsE"


def body(call: Call[Any]) -> Any:
    return msgspec.json.decode(call.request.body) if call.request.body else None


# (builder call, method, path, query, JSON body)
BUILDS: list[tuple[str, Callable[[], Call[Any]], str, str, dict[str, str], Any]] = [
    ("check_encrypted_data", lambda: login.check_encrypted_data("a" * 64),
     "POST", "/wxa/business/checkencryptedmsg", {}, {"encrypted_msg_hash": "a" * 64}),
    ("paid_unionid_tx", lambda: login.get_paid_unionid(OPENID, "4200001"),
     "GET", "/wxa/getpaidunionid", {"openid": OPENID, "transaction_id": "4200001"}, None),
    ("paid_unionid_mch", lambda: login.get_paid_unionid(OPENID, mch_id="1230000109",
                                                         out_trade_no="T20240317"),
     "GET", "/wxa/getpaidunionid",
     {"openid": OPENID, "mch_id": "1230000109", "out_trade_no": "T20240317"}, None),
    ("plugin_open_pid", lambda: login.get_plugin_open_pid("c0de"),
     "POST", "/wxa/getpluginopenpid", {}, {"code": "c0de"}),
    ("daily_retain", lambda: analysis.get_daily_retain(TODAY, "20240317"),
     "POST", "/datacube/getweanalysisappiddailyretaininfo", {},
     {"begin_date": "20240317", "end_date": "20240317"}),
    ("weekly_trend", lambda: analysis.get_weekly_visit_trend(TODAY, date(2024, 3, 11)),
     "POST", "/datacube/getweanalysisappidweeklyvisittrend", {},
     {"begin_date": "20240311", "end_date": "20240317"}),
    ("monthly_retain", lambda: analysis.get_monthly_retain(TODAY, "2024-02-01"),
     "POST", "/datacube/getweanalysisappidmonthlyretaininfo", {},
     {"begin_date": "20240201", "end_date": "20240229"}),
    ("ocr_idcard_url", lambda: images.ocr_id_card("https://example.com/id.jpg"),
     "POST", "/cv/ocr/idcard", {"img_url": "https://example.com/id.jpg", "type": "photo"}, None),
    ("temp_media", lambda: images.get_temp_media("MEDIA_ID"),
     "GET", "/cgi-bin/media/get", {"media_id": "MEDIA_ID"}, None),
    ("msg_sec_check", lambda: security.msg_sec_check(OPENID, "你好", 2, title="t"),
     "POST", "/wxa/msg_sec_check", {},
     {"content": "你好", "version": 2, "scene": 2, "openid": OPENID, "title": "t"}),
    ("media_check_async", lambda: security.media_check_async(
        OPENID, "https://example.com/a.png", "image", 1),
     "POST", "/wxa/media_check_async", {},
     {"media_url": "https://example.com/a.png", "media_type": 2, "version": 2, "scene": 1,
      "openid": OPENID}),
    ("risk_rank", lambda: security.get_user_risk_rank("wx1", OPENID, 0, "1.2.3.4",
                                                      is_test=True),
     "POST", "/wxa/getuserriskrank", {},
     {"appid": "wx1", "openid": OPENID, "scene": 0, "client_ip": "1.2.3.4", "is_test": True}),
    ("activity_id", lambda: updatable.create_activity_id(unionid="oU1"),
     "GET", "/cgi-bin/message/wxopen/activityid/create", {"unionid": "oU1"}, None),
    ("updatable_0", lambda: updatable.set_updatable_msg("A1", 0, member_count=2, room_limit=5),
     "POST", "/cgi-bin/message/wxopen/updatablemsg/send", {},
     {"activity_id": "A1", "target_state": 0, "template_info": {"parameter_list": [
         {"name": "member_count", "value": "2"}, {"name": "room_limit", "value": "5"}]}}),
    ("updatable_1", lambda: updatable.set_updatable_msg("A1", 1, path="pages/a",
                                                        version_type="trial"),
     "POST", "/cgi-bin/message/wxopen/updatablemsg/send", {},
     {"activity_id": "A1", "target_state": 1, "template_info": {"parameter_list": [
         {"name": "path", "value": "pages/a"}, {"name": "version_type", "value": "trial"}]}}),
    ("subscribe", lambda: subscribe.send_subscribe_message(
        OPENID, "TPL", {"thing4": "已发货", "amount2": {"value": "¥99.00"}},
        page="pages/order/detail?id=123", miniprogram_state="formal", lang="zh_CN"),
     "POST", "/cgi-bin/message/subscribe/send", {},
     {"touser": OPENID, "template_id": "TPL", "page": "pages/order/detail?id=123",
      "data": {"thing4": {"value": "已发货"}, "amount2": {"value": "¥99.00"}},
      "miniprogram_state": "formal", "lang": "zh_CN"}),
    ("wxacode", lambda: wxacode.get_wxacode("pages/a?x=1", width=430, line_color=(1, 2, 3)),
     "POST", "/wxa/getwxacode", {},
     {"path": "pages/a?x=1", "width": 430, "line_color": {"r": 1, "g": 2, "b": 3}}),
    ("wxacode_unlimited", lambda: wxacode.get_wxacode_unlimited(
        "uid=42&c=7", page="pages/index/index", check_path=False, env_version="trial"),
     "POST", "/wxa/getwxacodeunlimit", {},
     {"scene": "uid=42&c=7", "page": "pages/index/index", "check_path": False,
      "env_version": "trial"}),
    ("wxaqrcode", lambda: wxacode.create_wxaqrcode("pages/a", width=280),
     "POST", "/cgi-bin/wxaapp/createwxaqrcode", {}, {"path": "pages/a", "width": 280}),
    ("short_link", lambda: links.generate_short_link("pages/a?x=1", page_title="秋季新品"),
     "POST", "/wxa/genwxashortlink", {}, {"page_url": "pages/a?x=1", "page_title": "秋季新品"}),
    ("urllink", lambda: links.generate_urllink(path="pages/a", query="x=1",
                                               expire_interval=30),
     "POST", "/wxa/generate_urllink", {},
     {"path": "pages/a", "query": "x=1", "expire_type": 1, "expire_interval": 30}),
    ("scheme", lambda: links.generate_scheme(path="pages/a", expire_time=1_700_086_400,
                                             now=1_700_000_000),
     "POST", "/wxa/generatescheme", {},
     {"jump_wxa": {"path": "pages/a"}, "expire_type": 0, "expire_time": 1_700_086_400}),
    ("soter", lambda: soter.verify_signature(OPENID, '{"raw":1}', "sig"),
     "POST", "/cgi-bin/soter/verify_signature", {},
     {"openid": OPENID, "json_string": '{"raw":1}', "json_signature": "sig"}),
]


@pytest.mark.parametrize("make,method,path,query,json", [b[1:] for b in BUILDS],
                         ids=[b[0] for b in BUILDS])
def test_builder_makes_the_documented_request(make: Callable[[], Call[Any]], method: str,
                                              path: str, query: dict[str, str],
                                              json: Any) -> None:
    call = make()
    request = call.request
    assert (request.method, request.path) == (method, path)
    assert dict(request.query) == query
    assert body(call) == json
    assert request.auth == ACCESS_TOKEN  # the token is bound later, never by the builder
    assert "access_token" not in request.target


def test_ai_crop_sends_ratios_as_a_form_field_with_an_image_url_too() -> None:
    # The doc's example: curl -F 'ratios=1,2.35' ".../cv/img/aicrop?img_url=...".
    from wxcore.adapters.cassette.multipart import parse_multipart

    for call in (images.ai_crop("https://example.com/a.jpg", ratios=[1, 2.35]),
                 images.ai_crop(img=images.image_file(bytes.fromhex("ffd8ffe0") + b"x" * 20),
                                ratios="1, 2.35")):
        request = call.request
        assert "ratios" not in dict(request.query)
        content_type = dict(request.headers)["Content-Type"]
        parts = {p.name: p.content for p in parse_multipart(request.body, content_type) or []}
        assert parts["ratios"] == b"1,2.35"
    assert dict(images.ai_crop("https://example.com/a.jpg").request.query) == {
        "img_url": "https://example.com/a.jpg"}


def test_local_rules_follow_wechats_documentation() -> None:
    # URL Link / Scheme examples open "/pages/...": a leading slash is fine there.
    assert body(links.generate_urllink(path="/pages/a/a"))["path"] == "/pages/a/a"
    assert body(links.generate_scheme(path="/pages/a/a"))["jump_wxa"]["path"] == "/pages/a/a"
    with pytest.raises(UsageError, match="may not start with '/'"):
        wxacode.get_wxacode_unlimited("s", page="/pages/a/a")  # wxacode's page keeps the rule
    assert body(security.get_user_risk_rank("wx1", OPENID, 2, "1.2.3.4"))["scene"] == 2
    with pytest.raises(UsageError, match="scene"):
        security.get_user_risk_rank("wx1", OPENID, 3, "1.2.3.4")
    with pytest.raises(UsageError, match="scancode_time"):
        wxacode.get_wxacode("pages/a?x=1&scancode_time=2")
    assert body(wxacode.get_wxacode("pages/a?scancode=1"))["path"] == "pages/a?scancode=1"
    upper = hashlib.sha256(b"x").hexdigest().upper()
    assert body(login.check_encrypted_data(upper))["encrypted_msg_hash"] == upper.lower()


#: (keyword, value, None if WeChat's rule takes it, else what the error says): one value of
#: each documented keyword type that passes and one that fails, from WeChat's table
#: (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html).
SUBSCRIBE_VALUES = [
    ("thing1", "已发货，请注意查收", None),
    ("thing1", "一" * 21, "at most 20"),
    ("number2", "-12.50", None),
    ("number2", "12a", "must be a number"),
    ("letter3", "ABCdef", None),
    ("letter3", "AB1", "letters only"),
    ("symbol4", "#%~", None),
    ("symbol4", "a#", "symbols only"),
    ("character_string5", "SF-1024/A", None),
    ("character_string5", "单号1024", "no Chinese"),
    ("time6", "15:01", None),
    ("time6", "2019年10月1日 15:01", None),
    ("time6", "2024-03-17 10:20~11:30", None),          # a period; the end may be a bare time
    ("time6", "2019年8月8日", None),                      # a date alone, as WeChat's example
    ("time6", "24:00", "24-hour time"),
    ("time6", "下午三点", "24-hour time"),
    ("date7", "2019年10月1日", None),
    ("date7", "2019-10-01 15:01", None),
    ("date7", "10月1日~10月7日", None),
    ("date7", "15:01", "a date"),
    ("date7", "2019年10月", "a date"),
    ("amount8", "¥99.00", None),
    ("amount8", "99.5元", None),
    ("amount8", "$1234567890", None),
    ("amount8", "¥12345678901", "an amount"),               # 11 digits
    ("amount8", "99.00 USD", "an amount"),
    ("phone_number9", "+86-0766-66888866", None),
    ("phone_number9", "400-CALL-NOW", "digits and symbols"),
    ("phone_number9", "+86-0766-668888661", "at most 17"),
    ("car_number10", "粤A8Z888挂", None),
    ("car_number10", "京A12345", None),
    ("car_number10", "粤A-8Z88", "a plate"),
    ("car_number10", "粤A8Z888挂1", "at most 8"),
    ("name11", "John Smith-Jr", None),                     # letters and symbols, up to 20
    ("name11", "A" * 20, None),
    ("name11", "A" * 21, "at most 20"),
    ("name11", "张三丰", None),
    ("name11", "张" * 11, "at most 10"),                    # Chinese: up to 10
    ("name11", "张三 Zhang", None),                         # mixed counts as Chinese: 8
    ("phrase12", "配送中", None),
    ("phrase12", "配送中ok", "Chinese characters only"),
    ("phrase12", "货物正在配送", "at most 5"),
]


@pytest.mark.parametrize("keyword,value,refused", SUBSCRIBE_VALUES,
                         ids=[f"{k}={v}" for k, v, _ in SUBSCRIBE_VALUES])
def test_subscribe_values_follow_wechats_rules(keyword: str, value: str,
                                               refused: str | None) -> None:
    """Each value passes, or fails with an error naming its keyword and the rule it breaks."""
    make = lambda: subscribe.send_subscribe_message(OPENID, "tpl", {keyword: value})  # noqa: E731
    if refused is None:
        assert body(make())["data"] == {keyword: {"value": value}}
    else:
        with pytest.raises(UsageError) as caught:
            make()
        assert f"data[{keyword!r}]" in str(caught.value) and refused in str(caught.value)


def test_check_encrypted_data_hashes_the_data_itself() -> None:
    data = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZM=="
    expected = hashlib.sha256(data.encode()).hexdigest()
    assert body(login.check_encrypted_data(encrypted_data=data)) == {
        "encrypted_msg_hash": expected}


def test_code2session_uses_the_secret_not_a_token() -> None:
    request = login.code2session("wx1", "CODE").request
    assert request.auth == APP_SECRET_IN_QUERY
    assert request.idempotent is False  # the code works once


def test_an_upload_is_a_multipart_img_field_with_the_sniffed_type() -> None:
    call = images.ocr_bank_card(img=File("card", JPEG))
    request = call.request
    assert request.query == ()
    content_type = dict(request.headers)["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert b'name="img"; filename="card"' in request.body
    assert b"Content-Type: image/jpeg" in request.body
    assert JPEG in request.body


def test_image_file_names_a_nameless_upload_by_its_type() -> None:
    assert images.image_file(PNG) == File("image.png", PNG, "image/png")
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8 "
    assert images.image_file(webp).content_type == "image/webp"


USAGE_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    ("hash_or_data_neither", lambda: login.check_encrypted_data(), "exactly one of"),
    ("hash_not_hex", lambda: login.check_encrypted_data("xyz"), "64 hex digits"),
    ("paid_neither", lambda: login.get_paid_unionid(OPENID), "got neither"),
    ("paid_half_pair", lambda: login.get_paid_unionid(OPENID, mch_id="123"),
     "out_trade_no is missing"),
    ("paid_both", lambda: login.get_paid_unionid(OPENID, "42", mch_id="1", out_trade_no="2"),
     "exactly one of transaction_id or mch_id"),
    ("code_empty", lambda: login.get_plugin_open_pid(""), "code"),
    ("daily_two_days", lambda: analysis.get_daily_retain(TODAY, "20240301", "20240302"),
     "must equal begin_date"),
    ("daily_today", lambda: analysis.get_daily_visit_trend(TODAY, TODAY),
     "up to yesterday"),
    ("daily_future", lambda: analysis.get_daily_summary(TODAY, "20250101"),
     "not in the past"),
    ("weekly_not_monday", lambda: analysis.get_weekly_retain(TODAY, "20240312"),
     "must be a Monday (2024-03-12 is a Tuesday)"),
    ("weekly_wrong_sunday", lambda: analysis.get_weekly_retain(TODAY, "20240304", "20240311"),
     "Sunday of begin_date's week: 2024-03-10"),
    ("weekly_this_week", lambda: analysis.get_weekly_visit_trend(TODAY, "20240318"),
     "up to yesterday"),
    ("monthly_not_first", lambda: analysis.get_monthly_retain(TODAY, "20240202"),
     "1st of a month"),
    ("monthly_wrong_end", lambda: analysis.get_monthly_visit_trend(TODAY, "20240201", "20240228"),
     "last day of begin_date's month: 2024-02-29"),
    ("monthly_current", lambda: analysis.get_monthly_retain(TODAY, "20240301"),
     "up to yesterday"),
    ("bad_date_text", lambda: analysis.get_daily_retain(TODAY, "17/03/2024"),
     "begin_date must be a date"),
    ("img_neither", lambda: images.scan_qr_code(), "exactly one of img_url or img"),
    ("img_both", lambda: images.scan_qr_code("https://e.com/a.png", File("a", PNG)),
     "got img_url, img"),
    ("img_not_url", lambda: images.ocr_printed_text("ftp://e.com/a.png"), "http(s) URL"),
    ("img_not_image", lambda: images.ocr_bank_card(img=File("a.txt", b"hello")),
     "not a JPEG, PNG"),
    ("img_too_big", lambda: images.ocr_bank_card(img=File("a", PNG + b"\x00" * 2 * 1024 * 1024)),
     "smaller than 2 MB"),
    ("idcard_type", lambda: images.ocr_id_card("https://e.com/a.png", type="fax"),
     "type must be one of"),
    ("ratios_too_many", lambda: images.ai_crop("https://e.com/a", ratios="1,2,3,4,5,6"),
     "1 to 5"),
    ("ratios_not_numbers", lambda: images.ai_crop("https://e.com/a", ratios="wide"),
     "positive numbers"),
    ("content_too_long", lambda: security.msg_sec_check(OPENID, "x" * 2501, 1),
     "content may have at most 2500"),
    ("scene_unknown", lambda: security.msg_sec_check(OPENID, "x", 5), "scene must be one of"),
    ("media_type", lambda: security.media_check_async(OPENID, "https://e.com/a", "video", 1),
     "media_type must be one of"),
    ("risk_scene", lambda: security.get_user_risk_rank("wx", OPENID, 3, "1.1.1.1"),
     "scene must be one of"),
    ("activity_both", lambda: updatable.create_activity_id(unionid="u", openid="o"),
     "at most one of unionid or openid"),
    ("state0_missing", lambda: updatable.set_updatable_msg("A", 0, member_count=1),
     "room_limit is required when target_state is 0"),
    ("state1_missing", lambda: updatable.set_updatable_msg("A", 1, path="pages/a"),
     "version_type required when target_state is 1"),
    ("state1_version", lambda: updatable.set_updatable_msg("A", 1, path="p",
                                                           version_type="beta"),
     "version_type must be one of"),
    ("state_unknown", lambda: updatable.set_updatable_msg("A", 2),  # type: ignore[arg-type]  # wrong on purpose: refused at run time
     "target_state"),
    ("subscribe_no_data", lambda: subscribe.send_subscribe_message(OPENID, "T", {}),
     "at least one"),
    ("subscribe_thing_long", lambda: subscribe.send_subscribe_message(
        OPENID, "T", {"thing1": "字" * 21}), "data['thing1'] may have at most 20"),
    ("subscribe_number", lambda: subscribe.send_subscribe_message(
        OPENID, "T", {"number2": "12a"}), "data['number2'] must be a number"),
    ("subscribe_letter", lambda: subscribe.send_subscribe_message(
        OPENID, "T", {"letter3": "ab1"}), "letters only"),
    ("subscribe_state", lambda: subscribe.send_subscribe_message(
        OPENID, "T", {"thing1": "x"}, miniprogram_state="prod"), "miniprogram_state"),
    ("wxacode_width", lambda: wxacode.get_wxacode("pages/a", width=100),
     "width must be between 280 and 1280"),
    ("wxacode_color", lambda: wxacode.get_wxacode("pages/a", line_color={"r": 300, "g": 0,
                                                                          "b": 0}),
     "line_color.r must be between 0 and 255"),
    ("wxacode_path_long", lambda: wxacode.create_wxaqrcode("p" * 129),
     "path may have at most 128"),
    ("scene_too_long", lambda: wxacode.get_wxacode_unlimited("x" * 33), "scene must be 1-32"),
    ("scene_bad_char", lambda: wxacode.get_wxacode_unlimited("a b"), "scene must be 1-32"),
    ("page_slash", lambda: wxacode.get_wxacode_unlimited("a", page="/pages/a"),
     "may not start with '/'"),
    ("page_query", lambda: wxacode.get_wxacode_unlimited("a", page="pages/a?x=1"),
     "query string"),
    ("env_version", lambda: wxacode.get_wxacode("pages/a", env_version="prod"),
     "env_version must be one of"),
    ("urllink_query", lambda: links.generate_urllink(query="x" * 1025),
     "query may have at most 1024"),
    ("urllink_path_query", lambda: links.generate_urllink(path="pages/a?x=1"),
     "query string"),
    ("link_interval", lambda: links.generate_urllink(expire_interval=31),
     "expire_interval must be between 1 and 30"),
    ("link_type0_no_time", lambda: links.generate_scheme(expire_type=0), "needs expire_time"),
    ("link_both", lambda: links.generate_scheme(expire_time=1, expire_interval=1),
     "not both"),
    ("link_past", lambda: links.generate_scheme(expire_time=1_600_000_000,
                                                now=1_700_000_000),
     "within the next 30 days"),
    ("cloud_base_env", lambda: links.generate_urllink(cloud_base={"domain": "x"}),
     "cloud_base needs env"),
    ("short_link_long", lambda: links.generate_short_link("p" * 1025),
     "page_url may have at most 1024"),
    ("soter_missing", lambda: soter.verify_signature(OPENID, "", "s"), "json_string"),
]


@pytest.mark.parametrize("make,message", [u[1:] for u in USAGE_ERRORS],
                         ids=[u[0] for u in USAGE_ERRORS])
def test_local_rules_raise_usage_errors_naming_the_argument(make: Callable[[], object],
                                                            message: str) -> None:
    with pytest.raises(UsageError) as caught:
        make()
    assert message in str(caught.value)


def test_datacube_accepts_dates_datetimes_and_both_text_forms() -> None:
    for value in (date(2024, 3, 17), datetime(2024, 3, 17, 23, 59), "20240317", "2024-03-17"):
        assert body(analysis.get_daily_retain(TODAY, value)) == {
            "begin_date": "20240317", "end_date": "20240317"}
    # The latest allowed day is yesterday, in the caller's "today".
    assert analysis.date_range("daily", "20240319", None, TODAY)[1] == date(2024, 3, 19)
