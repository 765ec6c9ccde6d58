"""Mini Program responses: WeChat's documented bodies parse into typed results; documented
errcodes raise their typed exceptions; binary endpoints give bytes or raise."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from wxcore.endpoint import Media
from wxcore.errors import APIError, DecodeError, QuotaError, SystemBusyError
from wxcore.http import Response
from wxcore.messages.errors import MessageFormatError
from wxcore.miniprogram import analysis, errors, images, links, login, security, subscribe, wxacode

JSON = {"content-type": "application/json; encoding=utf-8"}


def answer(payload: object | bytes, headers: dict[str, str] | None = None,
           status: int = 200) -> Response:
    raw = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
    return Response(status=status, body=raw, headers=JSON if headers is None else headers)


def test_phone_number_accepts_a_numeric_country_code() -> None:
    result = login.get_phone_number("c").parse(answer(
        {"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": "13812345678", "purePhoneNumber": "13812345678", "countryCode": 86,
            "watermark": {"timestamp": 1700000000, "appid": "wx1234567890abcdef"}}}))
    assert result.phone_info.countryCode == 86
    assert result.phone_info.watermark is not None
    assert result.phone_info.watermark.appid == "wx1234567890abcdef"


def test_check_encrypted_data_keeps_the_misspelled_vaild() -> None:
    result = login.check_encrypted_data("a" * 64).parse(answer(
        {"errcode": 0, "errmsg": "ok", "vaild": True, "create_time": 1700000123}))
    assert result.vaild is True and result.create_time == 1700000123


def test_weekly_retain_parses_the_documented_example() -> None:
    call = analysis.get_weekly_retain(date(2024, 3, 20), "20240311")
    result = call.parse(answer(
        {"ref_date": "20240311-20240317",
         "visit_uv_new": [{"key": 0, "value": 512}, {"key": 1, "value": 93}],
         "visit_uv": [{"key": 0, "value": 2048}, {"key": 1, "value": 611}]}))
    assert result.ref_date == "20240311-20240317"
    assert [(i.key, i.value) for i in result.visit_uv] == [(0, 2048), (1, 611)]
    assert result.visit_uv_new[1].value == 93


def test_visit_trend_keeps_float_stay_times() -> None:
    call = analysis.get_daily_visit_trend(date(2024, 3, 20), "20240317")
    result = call.parse(answer({"list": [{
        "ref_date": "20240317", "session_cnt": 18620, "visit_pv": 53214, "visit_uv": 6891,
        "visit_uv_new": 702, "stay_time_uv": 122.37, "stay_time_session": 41.05,
        "visit_depth": 1.98}]}))
    item = result.list[0]
    assert (item.session_cnt, item.stay_time_uv, item.visit_depth) == (18620, 122.37, 1.98)


def test_result_json_reaches_fields_wxcore_does_not_know() -> None:
    call = analysis.get_daily_summary(date(2024, 3, 20), "20240317")
    result = call.parse(answer({"list": [{"ref_date": "20240317", "visit_total": 391,
                                          "share_pv": 572, "share_uv": 383,
                                          "new_field_2030": "x"}],
                                "extra": {"a": 1}}))
    assert result.list[0].share_uv == 383
    assert result.result_json["extra"] == {"a": 1}
    assert result.result_json["list"][0]["new_field_2030"] == "x"


def test_business_license_positions_are_typed() -> None:
    result = images.ocr_business_license("https://e.com/a.jpg").parse(answer(
        {"errcode": 0, "errmsg": "ok", "reg_num": "91440300MA5XXXXX0X",
         "enterprise_name": "深圳示例科技有限公司",
         "cert_position": {"pos": {"left_top": {"x": 155, "y": 191},
                                   "right_top": {"x": 725, "y": 157},
                                   "right_bottom": {"x": 743, "y": 512},
                                   "left_bottom": {"x": 164, "y": 525}}},
         "img_size": {"w": 966, "h": 728}}))
    assert result.enterprise_name == "深圳示例科技有限公司"
    assert result.cert_position is not None
    assert result.cert_position.pos.right_bottom.x == 743
    assert result.img_size.h == 728


def test_msg_sec_check_details_and_verdict() -> None:
    result = security.msg_sec_check("o", "x", 2).parse(answer(
        {"errcode": 0, "errmsg": "ok", "result": {"suggest": "risky", "label": 20001},
         "detail": [{"strategy": "content_model", "errcode": 0, "suggest": "risky",
                     "label": 20006, "prob": 90},
                    {"strategy": "keyword", "errcode": 0, "suggest": "pass", "label": 20006,
                     "level": 20, "keyword": "敏感词"}],
         "trace_id": "65f6a1b2-3c4d5e6f-7a8b9c0d"}))
    assert result.is_risky and result.result.label == 20001
    assert result.detail[1].keyword == "敏感词" and result.detail[1].level == 20


def test_risk_rank_keeps_the_misspelled_unoin_id() -> None:
    result = security.get_user_risk_rank("wx", "o", 0, "1.1.1.1").parse(answer(
        {"errcode": 0, "errmsg": "getuserriskrank succ", "risk_rank": 3, "unoin_id": 123456}))
    assert (result.risk_rank, result.unoin_id) == (3, 123456)


MEDIA_CHECK_PUSH = (
    '{"ToUserName":"gh_5b2e7d9c1a04","FromUserName":"oM4rT8yW2qL6nB1vX9cK3jZ7dHsE",'
    '"CreateTime":1700000500,"MsgType":"event","Event":"wxa_media_check",'
    '"appid":"wx8f16a5e5b1a9c7d2","trace_id":"65f6a1b2-3c4d5e6f-7a8b9c0d","version":2,'
    '"detail":[{"strategy":"content_model","errcode":0,"suggest":"risky","label":20002,'
    '"prob":90}],"errcode":0,"errmsg":"ok","result":{"suggest":"risky","label":20002}}'
)


def test_media_check_push_parses_from_json_and_from_xml() -> None:
    event = security.parse_media_check_push(MEDIA_CHECK_PUSH)
    assert event.trace_id == "65f6a1b2-3c4d5e6f-7a8b9c0d"
    assert event.result.suggest == "risky" and event.detail[0].label == 20002
    xml = ("<xml><ToUserName><![CDATA[gh_5b2e7d9c1a04]]></ToUserName>"
           "<FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1700000500</CreateTime>"
           "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[wxa_media_check]]></Event>"
           "<appid><![CDATA[wx8f16a5e5b1a9c7d2]]></appid><trace_id><![CDATA[t-1]]></trace_id>"
           "<version>2</version><detail><strategy><![CDATA[content_model]]></strategy>"
           "<errcode>0</errcode><suggest><![CDATA[pass]]></suggest><label>100</label>"
           "<prob>90</prob></detail><errcode>0</errcode><errmsg><![CDATA[ok]]></errmsg>"
           "<result><suggest><![CDATA[pass]]></suggest><label>100</label></result></xml>")
    event = security.parse_media_check_push(xml)
    assert (event.trace_id, event.result.suggest, event.detail[0].prob) == ("t-1", "pass", 90)


def test_another_push_is_not_a_media_check() -> None:
    with pytest.raises(MessageFormatError):
        security.parse_media_check_push('{"ToUserName":"gh","FromUserName":"o",'
                                        '"CreateTime":1,"MsgType":"text","Content":"hi",'
                                        '"MsgId":1}')


@pytest.mark.parametrize("call,errcode,expected", [
    (login.code2session("wx", "c"), 40029, errors.InvalidCodeError),
    (login.code2session("wx", "c"), 40163, errors.InvalidCodeError),
    (login.code2session("wx", "c"), 40226, errors.LoginBlockedError),
    (login.get_paid_unionid("o", "t"), 89300, errors.InvalidOrderError),
    (login.get_paid_unionid("o", "t"), 89002, errors.NoOpenPlatformError),
    (login.check_encrypted_data("a" * 64), 1, errors.EncryptedDataNotFoundError),
    (security.msg_sec_check("o", "x", 1), 61010, errors.UserInactiveError),
    (security.msg_sec_check("o", "x", 1), 43104, errors.InvalidOpenidError),
    (subscribe.send_subscribe_message("o", "t", {"thing1": "x"}), 43101,
     errors.UserRefusedError),
    (subscribe.send_subscribe_message("o", "t", {"thing1": "x"}), 47003,
     errors.TemplateDataError),
    (subscribe.send_subscribe_message("o", "t", {"thing1": "x"}), 40037,
     errors.InvalidTemplateError),
    (links.generate_scheme(), 85400, errors.LifetimeLimitError),
    (links.generate_scheme(), 44990, errors.TooFrequentError),
    (images.get_temp_media("m"), 40007, errors.InvalidMediaError),
    (wxacode.get_wxacode("pages/a"), 45029, errors.LifetimeLimitError),
    (wxacode.get_wxacode_unlimited("a"), 41030, errors.InvalidPageError),
    (wxacode.get_wxacode_unlimited("a"), 45009, QuotaError),
    (security.msg_sec_check("o", "x", 1), -1, SystemBusyError),
])
def test_documented_errcodes_raise_typed_errors(call, errcode: int,  # type: ignore[no-untyped-def]
                                                expected: type[APIError]) -> None:
    body = {"errcode": errcode, "errmsg": "failed rid: 65f6a1b2-1a2b3c4d-5e6f7a8b"}
    with pytest.raises(expected) as caught:
        call.parse(answer(body))
    assert caught.value.errcode == errcode
    assert caught.value.rid == "65f6a1b2-1a2b3c4d-5e6f7a8b"


def test_an_errcode_keeps_its_meaning_only_where_documented() -> None:
    # 43104 means "openid not of this app" at msg_sec_check but not at the short link API.
    with pytest.raises(APIError) as caught:
        links.generate_short_link("pages/a").parse(answer({"errcode": 43104, "errmsg": "x"}))
    assert type(caught.value) is APIError
    assert QuotaError in errors.LifetimeLimitError.__mro__  # a lifetime cap is a quota


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


def test_wxacode_success_is_image_bytes() -> None:
    media = wxacode.get_wxacode_unlimited("a").parse(
        answer(PNG, {"content-type": "image/png"}))
    assert isinstance(media, Media)
    assert media.content == PNG and media.content_type == "image/png"


def test_wxacode_json_error_raises_even_with_an_image_content_type() -> None:
    error = b'{"errcode":41030,"errmsg":"invalid page rid: 65f6a1b2-1a2b3c4d-5e6f7a8b"}'
    for headers in (JSON, {"content-type": "image/jpeg"}):
        with pytest.raises(errors.InvalidPageError):
            wxacode.get_wxacode_unlimited("a").parse(answer(error, headers))


def test_binary_endpoint_rejects_an_empty_body() -> None:
    with pytest.raises(DecodeError):
        wxacode.create_wxaqrcode("pages/a").parse(answer(b"", {"content-type": "image/png"}))


def test_temp_media_keeps_the_file_name() -> None:
    media = images.get_temp_media("m").parse(answer(
        b"\xff\xd8\xff\xe0jpeg", {"content-type": "image/jpeg",
                                  "content-disposition": 'attachment; filename="a.jpg"'}))
    assert (media.filename, media.content_type) == ("a.jpg", "image/jpeg")
