"""What wechatpy and py_wechat_tools users miss otherwise: uploaded news for mass messages
(media/uploadnews), the media download URL, the auto-reply rules, and image processing on
the Official Account client (the Mini Program's /cv/img/ endpoints)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from wxcore.adapters.miniprogram import ImageProcessing, MiniProgram
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.sandbox.mp_images import draw_png
from wxcore.adapters.sandbox.oa_autoreply import set_autoreply_rules
from wxcore.adapters.sandbox.oa_messages import message_state
from wxcore.adapters.transport import Urllib3Transport
from wxcore.errors import UsageError
from wxcore.officialaccount import errors, mass

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64
PNG = draw_png("https://example.com/p/42", 64)


def article(thumb: str, **extra: object) -> dict[str, object]:
    return {"title": "Spring", "content": "<p>Spring</p>", "thumb_media_id": thumb, **extra}


# -- uploaded news (上传图文消息素材) --------------------------------------------------------


def test_uploaded_news_goes_out_as_a_mass_message(oa: OfficialAccount,
                                                  sandbox: WeChatSandbox) -> None:
    thumb = oa.upload_media("thumb", JPEG).id
    news = oa.upload_news([article(thumb, show_cover_pic=True, author="jim"),
                           article(thumb, title="Summer")])
    assert news.type == "news" and news.media_id
    job = oa.send_mass_to_tag("mpnews", news.media_id)
    assert job.msg_id and job.msg_data_id
    (sent,) = [m for m in message_state(sandbox).sent if m["kind"] == "mass"]
    assert sent["msgtype"] == "mpnews"


def test_news_with_an_unknown_thumb_is_refused_by_wechat(oa: OfficialAccount) -> None:
    with pytest.raises(errors.InvalidMediaError):
        oa.upload_news([article("no-such-thumb")])


def test_uploaded_news_is_checked_before_sending() -> None:
    body = json.loads(mass.upload_news([article("T", show_cover_pic=True)]).request.body)
    assert body == {"articles": [article("T", show_cover_pic=1)]}
    for articles, message in [
        ([], "1 to 8 articles"),
        ([article("T")] * 9, "1 to 8 articles"),
        ([{"title": "t", "content": "c"}], r"articles\[0\].thumb_media_id is required"),
        ([article("T"), article("T", article_type="newspic")], r"articles\[1\].article_type"),
        ([article("T", show_cover_pic=2)], "show_cover_pic must be 0 or 1"),
        ([article("T", title="")], r"articles\[0\].title is required"),
    ]:
        with pytest.raises(UsageError, match=message):
            mass.upload_news(articles)  # type: ignore[arg-type]


# -- the media download URL (wechatpy's media.get_url) ---------------------------------------


def test_the_media_url_downloads_the_media_with_the_current_token() -> None:
    with SandboxServer(WeChatSandbox()) as server:
        app = server.sandbox.default_app
        with OfficialAccount(app.appid, app.secret,
                             transport=Urllib3Transport.for_base_url(server.base_url)) as oa:
            media_id = oa.upload_media("image", PNG).media_id
            url = urlsplit(oa.media_url(media_id))
            assert (url.scheme, url.netloc, url.path) == ("https", "api.weixin.qq.com",
                                                          "/cgi-bin/media/get")
            assert dict(parse_qsl(url.query)) == {"media_id": media_id,
                                                  "access_token": oa.get_access_token()}
            # The same path and query against the sandbox fetches the bytes.
            with urllib.request.urlopen(f"{server.base_url}{url.path}?{url.query}") as answer:
                assert answer.read() == PNG


# -- auto-reply rules (自动回复) ----------------------------------------------------------------


def test_auto_replies_set_on_the_console_are_read(oa: OfficialAccount,
                                                  sandbox: WeChatSandbox) -> None:
    nothing = oa.get_autoreply_info()
    assert (nothing.is_add_friend_reply_open, nothing.is_autoreply_open) == (0, 0)
    assert nothing.add_friend_autoreply_info is None and nothing.keyword_autoreply_info.list == []
    set_autoreply_rules(sandbox, follow={"type": "text", "content": "Welcome!"}, keywords=[{
        "rule_name": "hours", "create_time": 1700000000, "reply_mode": "random_one",
        "keyword_list_info": [{"type": "text", "match_mode": "contain", "content": "营业时间"}],
        "reply_list_info": [{"type": "text", "content": "9:00-18:00"}]}])
    rules = oa.get_autoreply_info()
    assert (rules.is_add_friend_reply_open, rules.is_autoreply_open) == (1, 0)
    assert rules.add_friend_autoreply_info is not None
    assert rules.add_friend_autoreply_info.content == "Welcome!"
    (rule,) = rules.keyword_autoreply_info.list
    assert (rule.rule_name, rule.keyword_list_info[0].content, rule.reply_list_info[0].content) \
        == ("hours", "营业时间", "9:00-18:00")


def test_the_sandbox_refuses_rules_the_console_could_not_hold(sandbox: WeChatSandbox) -> None:
    with pytest.raises(ValueError, match="type"):
        set_autoreply_rules(sandbox, default={"type": "news", "content": "x"})
    with pytest.raises(ValueError, match="rule_name"):
        set_autoreply_rules(sandbox, keywords=[{"reply_list_info": []}])


# -- image processing, shared with the Mini Program ----------------------------------------


def test_image_processing_is_declared_once_for_both_account_kinds() -> None:
    for name in ("scan_qr_code", "ai_crop"):
        for facade in (OfficialAccount, MiniProgram):
            owner = next(kind for kind in facade.__mro__ if name in vars(kind))
            assert owner is ImageProcessing, (facade, name)
    # WeChat took super-resolution down and never offered it to Official Accounts.
    assert not hasattr(OfficialAccount, "super_resolution")


def test_an_official_account_scans_and_crops_images(oa: OfficialAccount, tmp_path: Path) -> None:
    path = tmp_path / "code.png"
    path.write_bytes(PNG)
    (code,) = oa.scan_qr_code(img=path).code_results
    assert (code.type_name, code.data) == ("QR_CODE", "https://example.com/p/42")
    crops = oa.ai_crop(img=PNG, ratios=[1, 2]).results
    assert len(crops) == 2 and crops[0].crop_right - crops[0].crop_left == \
        crops[0].crop_bottom - crops[0].crop_top
    with pytest.raises(UsageError, match="exactly one of img_url or img"):
        oa.scan_qr_code()
