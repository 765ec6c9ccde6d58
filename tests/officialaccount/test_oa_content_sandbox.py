"""Media, drafts and messages of an Official Account against the sandbox, end to end:
the facade, the real client path, the sandbox's state; pushes to a real message server."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxServer, SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox import oa_drafts, oa_media, oa_messages, oa_users
from wxcore.adapters.sandbox.mp_images import draw_png
from wxcore.adapters.transport import Urllib3Transport
from wxcore.endpoint import Media
from wxcore.errors import UsageError
from wxcore.messages import PushSettings, Router
from wxcore.messages.models import Push, TemplateSendJobFinishEvent
from wxcore.officialaccount import errors
from wxcore.officialaccount.media import TempVideoResult

PNG = draw_png("sandbox media", 32)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x01" * 64
TOKEN = "SandboxToken2024"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def article(thumb: str, title: str = "Spring") -> dict[str, str]:
    return {"title": title, "content": f"<p>{title}</p>", "thumb_media_id": thumb}


# -- media and materials ----------------------------------------------------------------------


def test_temporary_media_round_trip_and_expire_after_three_days(
        oa: OfficialAccount, sandbox: WeChatSandbox, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cover.png"
    path.write_bytes(PNG)
    uploaded = oa.upload_media("image", path)
    assert uploaded.type == "image" and uploaded.created_at == int(clock())
    stream = io.BytesIO()
    media = oa.download_media(uploaded.media_id, to=stream)
    assert isinstance(media, Media)
    assert (media.content, media.content_type, media.filename) == (PNG, "image/png", "cover.png")
    assert media.headers["content-disposition"] == 'attachment; filename="cover.png"'
    assert stream.getvalue() == PNG
    saved = tmp_path / "copy.png"
    oa.download_media(uploaded.media_id, to=saved)
    assert saved.read_bytes() == PNG

    clock.advance(3 * 86400)
    with pytest.raises(errors.InvalidMediaError):
        oa.download_media(uploaded.media_id)


def test_video_answers_a_url_thumbs_their_own_id_voice_in_hd(oa: OfficialAccount) -> None:
    video = oa.download_media(oa.upload_media("video", MP4).media_id)
    assert isinstance(video, TempVideoResult) and video.video_url.endswith(".mp4")
    thumb = oa.upload_media("thumb", io.BytesIO(JPEG))
    assert thumb.media_id == "" and thumb.thumb_media_id and thumb.id == thumb.thumb_media_id
    voice = oa.upload_media("voice", AMR)
    assert oa.get_hd_voice(voice.media_id).content_type == "voice/speex"
    with pytest.raises(errors.InvalidMediaError):
        oa.get_hd_voice(thumb.id)  # not a voice clip


def test_uploads_wechat_would_refuse_are_refused_before_sending(
        oa: OfficialAccount, sandbox: WeChatSandbox, tmp_path: Path) -> None:
    before = sum(sandbox.calls.values())
    with pytest.raises(UsageError, match="at most 64 KB"):
        oa.upload_media("thumb", JPEG + b"\x00" * 70_000)
    with pytest.raises(UsageError, match="no such file"):
        oa.upload_media("image", tmp_path / "missing.png")
    with pytest.raises(UsageError, match="binary mode"):
        oa.upload_media("image", io.StringIO("text"))  # type: ignore[arg-type]
    assert sum(sandbox.calls.values()) == before


def test_the_sandbox_checks_uploads_sent_raw(oa: OfficialAccount) -> None:
    from wxcore.multipart import File
    from wxcore.officialaccount.media import UPLOAD_MEDIA

    raw = UPLOAD_MEDIA.call(query={"type": "image"}, files={"media": File("x.txt", b"text")})
    with pytest.raises(errors.MediaFormatError) as caught:
        oa.call(raw)
    assert caught.value.errcode == 40005


def test_permanent_materials_counted_listed_fetched_deleted(
        oa: OfficialAccount, sandbox: WeChatSandbox, clock) -> None:  # type: ignore[no-untyped-def]
    images = []
    for index in range(23):
        images.append(oa.add_material("image", PNG).media_id)
        clock.advance(1)
    video = oa.add_material("video", MP4, title="Launch", introduction="Three minutes")
    assert oa.get_material_count().image_count == 23
    assert oa.get_material_count().video_count == 1
    listed = [item.media_id for item in oa.iter_materials("image")]
    assert listed == images[::-1]  # newest first, across two pages of 20
    assert sandbox.calls["/cgi-bin/material/batchget_material"] == 2
    fetched = oa.get_material(images[0])
    assert isinstance(fetched, Media) and fetched.content == PNG
    described = oa.get_material(video.media_id)
    assert not isinstance(described, Media)
    assert (described.title, described.description) == ("Launch", "Three minutes")
    oa.delete_material(images[0])
    assert oa.get_material_count().image_count == 22
    with pytest.raises(errors.InvalidMediaError):
        oa.get_material(images[0])
    assert oa_media.state_snapshot(sandbox, oa.appid)["materials"] == {"image": 22, "video": 1}


def test_article_images_answer_a_url(oa: OfficialAccount) -> None:
    assert oa.upload_article_image(JPEG).url.startswith("https://")


# -- drafts and publishing -------------------------------------------------------------------


def test_draft_to_publication(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    thumb = oa.add_material("thumb", JPEG).media_id
    with pytest.raises(errors.InvalidMediaError):
        oa.add_draft([article("not-a-material")])
    draft = oa.add_draft([article(thumb, "One"), article(thumb, "Two")]).media_id
    oa.update_draft(draft, 1, article(thumb, "Second"))
    assert [a.title for a in oa.get_draft(draft).news_item] == ["One", "Second"]
    assert oa.get_draft_count().total_count == 1
    assert [d.media_id for d in oa.iter_drafts(no_content=True)] == [draft]
    assert list(oa.iter_drafts(no_content=True))[0].content.news_item[0].content == ""

    oa_drafts.hold_publishing(sandbox)
    task = oa.submit_publish(draft)
    assert oa.get_draft_count().total_count == 0  # published drafts leave the draft box
    assert oa.get_publish_status(task.publish_id).status_text == "publishing"
    oa_drafts.hold_publishing(sandbox, False)
    status = oa.get_publish_status(task.publish_id)
    assert status.publish_status == 0 and status.article_detail.count == 2
    assert [a.title for a in oa.get_published_article(status.article_id).news_item] == ["One", "Second"]
    assert [p.article_id for p in oa.iter_published()] == [status.article_id]

    oa.delete_publish(status.article_id, 2)
    assert [a.is_deleted for a in oa.get_published_article(status.article_id).news_item] == [False, True]
    oa.delete_publish(status.article_id)
    assert oa.get_publish_status(task.publish_id).status_text == "all articles deleted by the account"
    assert list(oa.iter_published()) == []


def test_drafts_of_one_app_are_not_anothers(sandbox: WeChatSandbox, clock) -> None:  # type: ignore[no-untyped-def]
    from wxcore.adapters.sandbox import SandboxTransport

    sandbox.add_app("wx0000000000000002", "second0secret0000000000000000000")
    first = OfficialAccount(sandbox.default_app.appid, sandbox.default_app.secret, clock=clock,
                            transport=SandboxTransport(sandbox))
    second = OfficialAccount("wx0000000000000002", "second0secret0000000000000000000",
                             clock=clock, transport=SandboxTransport(sandbox))
    draft = first.add_draft([article(first.add_material("thumb", JPEG).media_id)]).media_id
    with pytest.raises(errors.InvalidMediaError):
        second.get_draft(draft)
    assert second.get_draft_count().total_count == 0


# -- customer-service messages ----------------------------------------------------------------


def test_customer_service_window_of_48_hours(oa: OfficialAccount, sandbox: WeChatSandbox,
                                            clock) -> None:  # type: ignore[no-untyped-def]
    openid = sandbox.openid_for(oa.appid, "alice")
    with pytest.raises(errors.OutOfReplyWindowError):
        oa.send_text_message(openid, "hello?")
    assert oa_messages.mark_interaction(sandbox, "alice") == openid
    oa.send_typing(openid)
    oa.send_text_message(openid, "hi", kf_account="test1@kftest")
    oa.send_miniprogram_page(openid, "Order", "wx8f16a5e5b1a9c7d2", "pages/order?id=1", "thumb")
    oa.send_article_message(openid, {"title": "News", "url": "https://example.com/n"})
    oa.send_menu_message(openid, [{"id": "1", "content": "Yes"}, {"id": "2", "content": "No"}])
    oa.send_voice_message(openid, "voice-media")
    with pytest.raises(errors.ReplyQuotaError):
        oa.send_image_message(openid, "image-media")  # the sixth in this window
    sent = oa_messages.message_state(sandbox).sent
    assert [m["msgtype"] for m in sent] == ["text", "miniprogrampage", "news", "msgmenu", "voice"]
    assert sent[0]["kf_account"] == "test1@kftest"

    oa_messages.mark_interaction(sandbox, openid)  # the user writes again: a new window
    clock.advance(48 * 3600 - 1)
    oa.send_text_message(openid, "still here")
    clock.advance(1)
    with pytest.raises(errors.OutOfReplyWindowError):
        oa.send_text_message(openid, "too late")

    oa_messages.mark_interaction(sandbox, openid, event=True)  # a menu click: 1 min, 3 messages
    for number in range(3):
        oa.send_text_message(openid, f"menu answer {number}")
    with pytest.raises(errors.ReplyQuotaError):
        oa.send_text_message(openid, "a fourth")
    clock.advance(60)
    with pytest.raises(errors.OutOfReplyWindowError):
        oa.send_typing(openid)


# -- template and subscription messages --------------------------------------------------------


def test_templates_added_listed_sent_and_deleted(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    oa.set_template_industry(1, 4)
    assert oa.get_industry().secondary_industry.second_class == "电子技术"
    template_id = oa.get_template_id("TM00015", ["物品名称", "购买时间"]).template_id
    assert [t.template_id for t in oa.get_all_private_template().template_list] == [template_id]
    openid = sandbox.openid_for(oa.appid, "bob")
    first = oa.send_template_message(openid, template_id, {"thing1": "Shipped"},
                                     url="https://example.com/o/1", client_msg_id="order-1")
    again = oa.send_template_message(openid, template_id, {"thing1": "Shipped"},
                                     client_msg_id="order-1")
    assert first.msgid == again.msgid  # the same client_msg_id went out once
    assert sum(1 for m in oa_messages.message_state(sandbox).sent if m["kind"] == "template") == 1
    oa.del_private_template(template_id)
    with pytest.raises(errors.InvalidTemplateError):
        oa.send_template_message(openid, template_id, {"thing1": "x"})


def test_subscription_notifications_need_consent(oa: OfficialAccount,
                                                 sandbox: WeChatSandbox) -> None:
    category = oa.get_category().data[0].id
    title = oa.get_pub_template_titles([category]).data[0]
    kids = [k.kid for k in oa.get_pub_template_keywords(str(title.tid)).data][:2]
    template_id = oa.add_subscribe_template(str(title.tid), kids, "Payment").priTmplId
    assert [t.priTmplId for t in oa.get_subscribe_templates().data] == [template_id]
    openid = sandbox.openid_for(oa.appid, "carol")
    data = {"thing1": "Coffee", "amount2": "12.00"}
    with pytest.raises(errors.UserRefusedError):
        oa.send_subscribe_message(openid, template_id, data)
    oa_messages.grant_subscription(sandbox, template_id, "carol")
    oa.send_subscribe_message(openid, template_id, data, page="https://example.com/pay")
    with pytest.raises(errors.UserRefusedError):  # a one-off consent is spent
        oa.send_subscribe_message(openid, template_id, data)
    oa.delete_subscribe_template(template_id)
    assert oa.get_subscribe_templates().data == []


# -- mass messages ------------------------------------------------------------------------------


def test_mass_messages(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    users = [oa_messages.mark_interaction(sandbox, name) for name in ("a", "b", "c")]
    everyone = oa.send_mass_to_tag("text", "hello all")
    followers = [u.openid for u in oa_users.users_of(sandbox).users.values() if u.following]
    assert oa_messages.message_state(sandbox).mass[everyone.msg_id]["recipients"] == followers
    oa.tag_users(oa.create_tag("VIP").tag.id, followers[:3])
    vip = [t.id for t in oa.get_tags().tags if t.name == "VIP"][0]
    job = oa.send_mass_to_tag("mpnews", "draft-media", tag_id=vip)
    assert oa_messages.message_state(sandbox).mass[job.msg_id]["recipients"] == followers[:3]
    assert job.msg_data_id > 0
    assert oa.get_mass_status(job.msg_id).msg_status == "SEND_SUCCESS"
    oa.delete_mass(job.msg_id)
    assert oa.get_mass_status(job.msg_id).msg_status == "DELETE"
    oa.send_mass_to_users(users[:2], "text", "hello", clientmsgid="promo-1")
    with pytest.raises(Exception) as repeated:
        oa.send_mass_to_users(users[:2], "text", "hello", clientmsgid="promo-1")
    assert getattr(repeated.value, "errcode", None) == 45065
    assert oa.preview_mass("image", "image-media", openid=users[0]).msg_id > 0
    with pytest.raises(errors.InvalidMediaError):  # a plain video is not an mpvideo
        oa.send_mass_to_users(users[:2], "mpvideo", oa.upload_media("video", MP4).media_id)
    video = oa.upload_mass_video(oa.upload_media("video", MP4).media_id, "Launch", "Watch it")
    assert oa.send_mass_to_users(users[:2], "mpvideo", video.media_id).msg_id > 0
    oa.set_mass_speed(2)
    assert (oa.get_mass_speed().speed, oa.get_mass_speed().realspeed) == (2, 45)


# -- pushes to a real message server, and the sandbox over loopback HTTP --------------------------


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def message_server() -> Iterator[tuple[str, list[Push]]]:
    """A real MessageServer (safe mode) on loopback, recording every push it handles."""
    received: list[Push] = []
    router = Router()

    @router.default
    def record(push: Push) -> None:
        received.append(push)

    settings = PushSettings(token=TOKEN, encoding_aes_key=AES_KEY,
                            appid=WeChatSandbox.DEFAULT_APPID)
    httpd: WSGIServer = make_server("127.0.0.1", 0, MessageServer(router, settings).wsgi_app,
                                    handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/wechat", received
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_over_loopback_template_and_mass_sends_push_their_job_events(
        message_server: tuple[str, list[Push]]) -> None:
    url, received = message_server
    with SandboxServer(WeChatSandbox()) as server:
        sandbox = server.sandbox
        app = sandbox.default_app
        oa_messages.set_message_server(sandbox, url, PushSettings(
            token=TOKEN, encoding_aes_key=AES_KEY, appid=app.appid))
        oa = OfficialAccount(app.appid, app.secret,
                             transport=Urllib3Transport.for_base_url(server.base_url))
        openid = oa_messages.mark_interaction(sandbox, "dave")
        template_id = oa.add_template("TM00015").template_id
        sent = oa.send_template_message(openid, template_id, {"thing1": "Shipped"})
        job = oa.send_mass_to_users([openid, sandbox.openid_for(app.appid, "erin")], "text", "hi")
        uploaded = oa.upload_media("image", PNG)  # multipart over real HTTP too
        assert oa.download_media(uploaded.media_id).content == PNG  # type: ignore[union-attr]
        thumb = oa.add_material("thumb", JPEG).media_id
        task = oa.submit_publish(oa.add_draft([article(thumb)]).media_id)
        article_id = oa.get_publish_status(task.publish_id).article_id

    finished = [p for p in received if isinstance(p, TemplateSendJobFinishEvent)]
    assert [(p.MsgID, p.Status, p.FromUserName) for p in finished] == [(sent.msgid, "success", openid)]
    mass = [p for p in received if p.raw.get("Event") == "MASSSENDJOBFINISH"]
    assert [(int(p.raw["MsgID"]), p.raw["Status"], int(p.raw["SentCount"])) for p in mass] == \
        [(job.msg_id, "send success", 2)]
    published = [p for p in received if p.raw.get("Event") == "PUBLISHJOBFINISH"]
    assert len(published) == 1
    info = published[0].raw["PublishEventInfo"]
    assert (info["publish_id"], info["article_id"], info["article_detail"]["count"]) == \
        (task.publish_id, article_id, "1")
    assert [e["status"] for e in oa_messages.event_log(sandbox)] == [200, 200, 200]


def test_events_go_to_the_consoles_push_target_too(
        message_server: tuple[str, list[Push]]) -> None:
    from wxcore.adapters.sandbox.push_console import PushTargetBody, set_target

    url, received = message_server
    sandbox = WeChatSandbox()
    set_target(sandbox, PushTargetBody(url=url, token=TOKEN, mode="safe",
                                       encoding_aes_key=AES_KEY))
    app = sandbox.default_app
    oa = OfficialAccount(app.appid, app.secret, transport=SandboxTransport(sandbox))
    template_id = oa.add_template("TM00015").template_id
    sent = oa.send_template_message(sandbox.openid_for(app.appid, "fay"), template_id,
                                    {"thing1": "Ready"})
    assert [p.MsgID for p in received if isinstance(p, TemplateSendJobFinishEvent)] == [sent.msgid]


def test_the_console_section_shows_media_drafts_and_messages(
        oa: OfficialAccount, sandbox: WeChatSandbox, clock) -> None:  # type: ignore[no-untyped-def]
    uploaded = oa.upload_media("image", PNG)
    thumb = oa.add_material("thumb", JPEG).media_id
    oa.add_draft([article(thumb, "Console")])
    openid = oa_messages.mark_interaction(sandbox, "gina")
    oa.send_text_message(openid, "hi")
    section = sandbox.app_state(oa.appid)["official_account"]
    assert section["media"]["temporary"][0]["media_id"] == uploaded.media_id
    assert section["drafts"]["drafts"][0]["titles"] == ["Console"]
    assert section["messages"]["windows"] == [
        {"openid": openid, "closes_at": int(clock()) + 48 * 3600, "left": 4}]
    clock.advance(5)  # absolute times: nothing changes while time passes
    assert sandbox.app_state(oa.appid)["official_account"] == section
