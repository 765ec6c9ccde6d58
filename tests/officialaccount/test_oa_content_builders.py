"""Official Account content builders: what they refuse before sending, and the request
shapes the cassettes do not show (each endpoint's documented request is in its cassette)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from wxcore.endpoint import Call, Media
from wxcore.errors import UsageError
from wxcore.http import Response
from wxcore.multipart import File
from wxcore.officialaccount import custom, drafts, mass, media, subscribe, template
from wxcore.officialaccount.paging import next_offset, offset_pages

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
BMP = b"BM" + b"\x00" * 32
AMR = b"#!AMR\n" + b"\x00" * 32
MP3 = b"ID3\x03" + b"\x00" * 32
MP3_FRAME = b"\xff\xfb\x90\x00" + b"\x00" * 32
WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 32
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32
OPENID = "oR5Gjjl_eiZoUpGozMo7dbBJ362A"
THUMB = "thumb-media-id"


def body(call: Call[Any]) -> Any:
    return msgspec.json.decode(call.request.body) if call.request.body else None


def article(**changes: Any) -> dict[str, Any]:
    base = {"title": "Spring", "content": "<p>new</p>", "thumb_media_id": THUMB}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


# -- uploads ------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "extension"), [
    (PNG, "png"), (JPEG, "jpg"), (BMP, "bmp"), (AMR, "amr"), (MP3, "mp3"), (MP3_FRAME, "mp3"),
    (WAV, "wav"), (MP4, "mp4"), (b"GIF89a" + b"\x00" * 8, "gif"),
])
def test_formats_are_recognised_by_their_bytes(content: bytes, extension: str) -> None:
    found = media.sniff_media_format(content)
    assert found is not None and found[0] == extension
    assert media.sniff_media_format(b"plain text, not media") is None


@pytest.mark.parametrize(("media_type", "content", "message"), [
    ("image", MP4, "JPG, PNG, GIF"),             # a video is not an image
    ("image", BMP, "BMP"),                       # temporary images: no BMP (permanent: yes)
    ("voice", WAV, "AMR, MP3"),                  # temporary voice: AMR or MP3 only
    ("thumb", PNG, "JPG"),                       # thumbs are JPEG
    ("thumb", JPEG + b"\x00" * (64 * 1024), "at most 64 KB"),
    ("voice", AMR + b"\x00" * (2 * 1024 * 1024), "at most 2 MB"),
    ("image", b"", "media is empty"),
])
def test_temporary_uploads_are_checked_before_sending(media_type: Any, content: bytes,
                                                      message: str) -> None:
    with pytest.raises(UsageError, match=message):
        media.upload_media(media_type, File("f", content))


def test_upload_limits_are_inclusive_except_under_one_mb() -> None:
    exactly = JPEG + b"\x00" * (64 * 1024 - len(JPEG))
    assert media.upload_media("thumb", File("t.jpg", exactly)).request.query == (("type", "thumb"),)
    with pytest.raises(UsageError, match="smaller than 1 MB"):
        media.upload_article_image(File("a.jpg", JPEG + b"\x00" * (1024 * 1024 - len(JPEG))))


def test_upload_takes_its_media_type_from_the_bytes_not_the_name() -> None:
    call = media.upload_media("image", File("", PNG, "application/octet-stream"))
    assert b'filename="media.png"' in call.request.body
    assert b"Content-Type: image/png" in call.request.body
    named = media.upload_media("image", File("cat.png", PNG))
    assert b'filename="cat.png"' in named.request.body


def test_permanent_materials_accept_bmp_and_wav_and_video_needs_its_description() -> None:
    media.add_material("image", File("b.bmp", BMP))
    media.add_material("voice", File("v.wav", WAV))
    with pytest.raises(UsageError, match="title, introduction"):
        media.add_material("video", File("v.mp4", MP4))
    with pytest.raises(UsageError, match="describe a video"):
        media.add_material("image", File("p.png", PNG), title="not for images")
    with pytest.raises(UsageError, match="media_type must be one of"):
        media.add_material("news", File("p.png", PNG))  # type: ignore[arg-type]


def test_download_answers_bytes_or_a_typed_video_url() -> None:
    call = media.download_media("m1")
    image = call.parse(Response(status=200, body=JPEG, headers={
        "content-type": "image/jpeg", "content-disposition": 'attachment; filename="a.jpg"'}))
    assert isinstance(image, Media) and image.content == JPEG and image.filename == "a.jpg"
    video = call.parse(Response(status=200, headers={"content-type": "text/plain"},
                                body=b'{"video_url":"http://example.com/v.mp4"}'))
    assert isinstance(video, media.TempVideoResult) and video.video_url == "http://example.com/v.mp4"


def test_material_lists_page_from_1_to_20() -> None:
    with pytest.raises(UsageError, match="count must be between 1 and 20"):
        media.batchget_material("image", 0, 21)
    with pytest.raises(UsageError, match="offset must be between"):
        media.batchget_material("image", -1)


class _Page(msgspec.Struct):
    total_count: int
    item_count: int


@pytest.mark.parametrize(("offset", "total", "items", "following"), [
    (0, 45, 20, 20), (20, 45, 20, 40), (40, 45, 5, None), (0, 20, 20, None),
    (0, 0, 0, None), (20, 45, 0, None),  # an empty page ends a list that shrank meanwhile
])
def test_next_offset(offset: int, total: int, items: int, following: int | None) -> None:
    assert next_offset(offset, _Page(total, items)) == following


def test_offset_pages_asks_for_each_page_from_0_until_next_offset_ends() -> None:
    calls = offset_pages(lambda offset: media.batchget_material("news", offset))
    asked = [next(calls)]
    for answer in (_Page(45, 20), _Page(45, 20)):
        asked.append(calls.send(answer))  # type: ignore[arg-type]  # a page stand-in with the two fields read
    assert [msgspec.json.decode(call.request.body)["offset"] for call in asked] == [0, 20, 40]
    with pytest.raises(StopIteration):
        calls.send(_Page(45, 5))  # type: ignore[arg-type]  # a page stand-in with the two fields read


# -- drafts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": None}, r"articles\[0\].title is required"),
    ({"content": "  "}, r"articles\[0\].content is required"),
    ({"title": "标" * 33}, r"title may have at most 32"),
    ({"author": "a" * 17}, r"author may have at most 16"),
    ({"digest": "d" * 129}, r"digest may have at most 128"),
    ({"content": "x" * 20_000}, r"fewer than 20,000 characters"),
    ({"content_source_url": "https://e.com/" + "a" * 1024}, r"at most 1 KB"),
    ({"thumb_media_id": None}, r"thumb_media_id .* is required for a news article"),
    ({"article_type": "video"}, r"article_type must be one of"),
    ({"article_type": "newspic", "thumb_media_id": None}, r"image_info .* required for newspic"),
    ({"need_open_comment": 2}, r"need_open_comment must be 0 or 1"),
])
def test_articles_are_checked(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        drafts.add_draft([article(**changes)])


def test_draft_articles_count_and_pass_unknown_fields_through() -> None:
    with pytest.raises(UsageError, match="1 to 8 articles"):
        drafts.add_draft([])
    with pytest.raises(UsageError, match="1 to 8 articles"):
        drafts.add_draft([article()] * 9)
    sent = body(drafts.add_draft([article(need_open_comment=True, pic_crop_235_1="0_0_1_0.5")]))
    assert sent["articles"][0]["need_open_comment"] == 1  # a bool is sent as WeChat's 0/1
    assert sent["articles"][0]["pic_crop_235_1"] == "0_0_1_0.5"
    picture = body(drafts.add_draft([article(article_type="newspic", thumb_media_id=None,
                                             image_info={"image_list": [{"image_media_id": "i"}]})]))
    assert picture["articles"][0]["image_info"] == {"image_list": [{"image_media_id": "i"}]}


def test_publish_status_text_and_deletion_index() -> None:
    status = drafts.get_publish_status("1").parse(
        Response(status=200, body=b'{"publish_status":4}', headers={}))
    assert status.status_text == "refused by review"
    with pytest.raises(UsageError, match="index must be between 0 and 8"):
        drafts.delete_publish("a1", 9)
    assert body(drafts.batchget_published(no_content=True))["no_content"] == 1


# -- mass ---------------------------------------------------------------------------------


def test_mass_bodies_by_type() -> None:
    everyone = body(mass.send_mass_to_tag("text", "hi"))
    assert everyone["filter"] == {"is_to_all": True}
    images = body(mass.send_mass_to_tag("image", ["m1", "m2"], tag_id=3, send_ignore_reprint=True))
    assert images["images"] == {"media_ids": ["m1", "m2"]} and images["send_ignore_reprint"] == 1
    card = body(mass.send_mass_to_users([OPENID, "o2"], "wxcard", "card-1"))
    assert card["wxcard"] == {"card_id": "card-1"} and "clientmsgid" not in card
    by_name = body(mass.preview_mass("mpvideo", "v1", wxname="someone"))
    assert by_name == {"towxname": "someone", "msgtype": "mpvideo", "mpvideo": {"media_id": "v1"}}


@pytest.mark.parametrize(("build", "message"), [
    (lambda: mass.send_mass_to_users([OPENID], "text", "hi"), "2 to 10,000"),
    (lambda: mass.send_mass_to_users([f"o{i}" for i in range(10_001)], "text", "hi"), "2 to 10,000"),
    (lambda: mass.send_mass_to_users([OPENID, OPENID], "text", "hi"), "twice"),
    (lambda: mass.send_mass_to_tag("text", " "), "non-blank"),
    (lambda: mass.send_mass_to_tag("image", [f"m{i}" for i in range(9)]), "1 to 8 media_ids"),
    (lambda: mass.send_mass_to_tag("link", "x"),  # type: ignore[arg-type]  # wrong on purpose: refused at run time
     "msgtype must be one of"),
    (lambda: mass.send_mass_to_tag("text", "hi", clientmsgid="群" * 22), "at most 64 bytes"),
    (lambda: mass.preview_mass("text", "hi"), "exactly one of openid or wxname"),
    (lambda: mass.preview_mass("image", ["a", "b"], openid=OPENID), "one image"),
    (lambda: mass.set_mass_speed(5), "speed must be between 0 and 4"),
    (lambda: mass.delete_mass(1, article_idx=1, url="https://e.com"), "at most one"),
])
def test_mass_checks(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build()


# -- customer service ----------------------------------------------------------------------


def test_custom_message_bodies() -> None:
    video = body(custom.send_video_message(OPENID, "v1", title="Clip"))
    assert video == {"touser": OPENID, "msgtype": "video", "video": {"media_id": "v1", "title": "Clip"}}
    music = body(custom.send_music_message(OPENID, "http://m/1.mp3", "http://m/1hq.mp3", "t1"))
    assert music["music"] == {"musicurl": "http://m/1.mp3", "hqmusicurl": "http://m/1hq.mp3",
                              "thumb_media_id": "t1"}
    one = body(custom.send_article_message(OPENID, {"title": "T", "url": "https://e.com"}))
    assert one["news"] == {"articles": [{"title": "T", "url": "https://e.com"}]}
    assert body(custom.send_typing(OPENID, False))["command"] == "CancelTyping"
    assert body(custom.send_mpnewsarticle_message(OPENID, "a1"))["mpnewsarticle"] == {"article_id": "a1"}
    assert body(custom.send_card_message(OPENID, "c1"))["wxcard"] == {"card_id": "c1"}
    link = custom.miniprogram_link("打开 <小程序>", "wx8f16a5e5b1a9c7d2", "pages/a?x=1&y=2")
    assert link == ('<a data-miniprogram-appid="wx8f16a5e5b1a9c7d2" '
                    'data-miniprogram-path="pages/a?x=1&amp;y=2">打开 &lt;小程序&gt;</a>')


@pytest.mark.parametrize(("build", "message"), [
    (lambda: custom.send_text_message("", "hi"), "openid must be a non-blank"),
    (lambda: custom.send_text_message(OPENID, " "), "content must be a non-blank"),
    (lambda: custom.send_text_message(OPENID, "hi", kf_account="test1"), "full account"),
    (lambda: custom.send_article_message(OPENID, [{"title": "a", "url": "u"}] * 2), "exactly one"),
    (lambda: custom.send_article_message(OPENID, {"title": "a", "url": "u", "image": "x"}),
     "keys WeChat does not take: image"),
    (lambda: custom.send_article_message(OPENID, {"title": "a"}), r"articles\[0\].url"),
    (lambda: custom.send_menu_message(OPENID, []), "at least one choice"),
    (lambda: custom.send_menu_message(OPENID, [{"id": "1"}]), r"items\[0\] needs"),
    (lambda: custom.send_miniprogram_page(OPENID, "T", "wx1", "/pages/a", "t"), "may not start"),
    (lambda: custom.send_image_message(OPENID, 123), "media_id must be a string"),  # type: ignore[arg-type]
])
def test_custom_message_checks(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build()


# -- templates and subscriptions --------------------------------------------------------------


@pytest.mark.parametrize(("build", "message"), [
    (lambda: template.set_template_industry(0, 4), "industry_id1 must be an industry code"),
    (lambda: template.set_template_industry("1", "42"), "industry_id2 must be an industry code"),
    (lambda: template.add_template("TM00015", []), "names at least one keyword"),
    (lambda: template.send_template_message(OPENID, "t", {}), "at least one template keyword"),
    (lambda: template.send_template_message(OPENID, "t", {"thing1": "x" * 21}), "at most 20"),
    (lambda: template.send_template_message(OPENID, "t", {"number2": "12a"}), "must be a number"),
    (lambda: template.send_template_message(OPENID, "t", {"thing1": "x"}, url="ftp://e.com"),
     "http"),
    (lambda: template.send_template_message(OPENID, "t", {"thing1": "x"},
                                            miniprogram_appid="wx1"), "go together"),
    (lambda: subscribe.send_subscribe_message(OPENID, "t", {"phrase3": "过长的短语啊"}), "at most 5"),
    (lambda: subscribe.send_subscribe_message(OPENID, "t", {"amount2": "99 dollars"}),
     r"data\['amount2'\] must be an amount"),
    (lambda: template.send_template_message(OPENID, "t", {"time4": "明天上午"}),
     r"data\['time4'\] must be a 24-hour time"),
    (lambda: subscribe.add_subscribe_template("99", [1], "scene"), "2 to 5 keywords"),
    (lambda: subscribe.add_subscribe_template("99", [1, 2], "x" * 16), "at most 15"),
    (lambda: subscribe.get_pub_template_titles([], 0, 10), "at least one category"),
    (lambda: subscribe.get_pub_template_titles([616], 0, 31), "limit must be between 1 and 30"),
])
def test_template_checks(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build()


def test_template_send_without_jump_sends_no_empty_fields() -> None:
    sent = body(template.send_template_message(OPENID, "t1", {"thing1": {"value": "ok"}}))
    assert sent == {"touser": OPENID, "template_id": "t1", "data": {"thing1": {"value": "ok"}}}
