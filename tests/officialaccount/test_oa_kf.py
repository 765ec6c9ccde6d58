"""Customer-service management (客服管理): agent accounts, invitations, sessions, wait cases and
chat records -- the builders' checks, and an agent's day against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import WeChatSandbox
from wxcore.adapters.sandbox.oa_kf import (
    accept_kf_invite,
    kf_state,
    set_kf_online,
    wait_for_agent,
)
from wxcore.adapters.sandbox.oa_messages import mark_interaction
from wxcore.errors import UsageError
from wxcore.multipart import File
from wxcore.officialaccount import errors, kf

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64
AGENT = "amy_01@shopwx"


def test_the_requests_are_wechats() -> None:
    add = kf.add_kf_account("test1@test", "客服1")
    assert (add.request.method, add.request.path) == ("POST", "/customservice/kfaccount/add")
    assert json.loads(add.request.body) == {"kf_account": "test1@test", "nickname": "客服1"}
    session = kf.get_kf_session("OPENID").request
    assert (session.method, session.path, session.query) == (
        "GET", "/customservice/kfsession/getsession", (("openid", "OPENID"),))
    upload = kf.upload_kf_headimg("test1@test", File("me.jpg", JPEG)).request
    assert dict(upload.query) == {"kf_account": "test1@test"}
    assert b'name="media"; filename="me.jpg"' in upload.body


@pytest.mark.parametrize(("build", "message"), [
    (lambda: kf.add_kf_account("amy", "Amy"), "kf_account must be prefix@wechat_id"),
    (lambda: kf.add_kf_account("a-b@shop", "Amy"), "kf_account must be prefix@wechat_id"),
    (lambda: kf.add_kf_account("abcdefghijk@shop", "Amy"), "kf_account must be prefix@wechat_id"),
    (lambda: kf.add_kf_account(AGENT, "一二三四五六七八九十一二三四五六七"), "nickname"),
    (lambda: kf.update_kf_account(AGENT, "  "), "nickname"),
    (lambda: kf.invite_kf_worker(AGENT, ""), "invite_wx"),
    (lambda: kf.create_kf_session(AGENT, ""), "openid"),
    (lambda: kf.upload_kf_headimg(AGENT, File("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)),
     "must be JPG"),
    (lambda: kf.get_kf_msg_list(1000, 1000 + 86401), "at most 24 hours"),
    (lambda: kf.get_kf_msg_list(2000, 1000), "endtime must come after starttime"),
    (lambda: kf.get_kf_msg_list(0, 60, number=10_001), "number"),
    (lambda: kf.get_kf_msg_list(0, 60, msgid=0), "msgid"),
])
def test_arguments_wechat_would_refuse_are_refused(build: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build()  # type: ignore[operator]


def test_an_agents_day(oa: OfficialAccount, sandbox: WeChatSandbox, clock,  # type: ignore[no-untyped-def]
                       tmp_path: Path) -> None:
    oa.add_kf_account(AGENT, "Amy")
    with pytest.raises(errors.CustomServiceError) as exists:
        oa.add_kf_account(AGENT, "Amy again")
    assert exists.value.errcode == 65406
    oa.invite_kf_worker(AGENT, "amy_wechat")
    (pending,) = oa.get_kf_list().kf_list
    assert (pending.kf_account, pending.invite_wx, pending.invite_status, pending.kf_wx) == (
        AGENT, "amy_wechat", "waiting", "")
    avatar = tmp_path / "amy.jpg"
    avatar.write_bytes(JPEG)
    oa.upload_kf_headimg(AGENT, avatar)
    oa.update_kf_account(AGENT, "Amy (orders)")

    bob = wait_for_agent(sandbox, "bob")
    assert [c.openid for c in oa.get_kf_wait_case().waitcaselist] == [bob]
    with pytest.raises(errors.CustomServiceError) as unbound:
        oa.create_kf_session(AGENT, bob)
    assert unbound.value.errcode == 65402  # not bound to a person yet
    accept_kf_invite(sandbox, AGENT)
    set_kf_online(sandbox, AGENT)
    (bound,) = oa.get_kf_list().kf_list
    assert (bound.kf_wx, bound.kf_nick, bound.invite_wx) == ("amy_wechat", "Amy (orders)", "")
    assert bound.kf_headimgurl.startswith("https://")

    oa.create_kf_session(AGENT, bob)
    assert oa.get_kf_wait_case().count == 0
    assert oa.get_kf_session(bob).kf_account == AGENT
    assert [s.openid for s in oa.get_kf_session_list(AGENT).sessionlist] == [bob]
    (online,) = oa.get_online_kf_list().kf_online_list
    assert (online.kf_account, online.accepted_case) == (AGENT, 1)

    mark_interaction(sandbox, bob)
    start = int(clock())
    oa.send_text_message(bob, "您好，Amy 为您服务", kf_account=AGENT)
    oa.send_text_message(bob, "订单已发货", kf_account=AGENT)
    page = oa.get_kf_msg_list(start - 60, start + 60, number=1)
    assert [(r.text, r.worker, r.opercode) for r in page.recordlist] == [
        ("您好，Amy 为您服务", AGENT, 2002)]
    rest = oa.get_kf_msg_list(start - 60, start + 60, msgid=page.msgid)
    assert [r.text for r in rest.recordlist] == ["订单已发货"]

    oa.close_kf_session(AGENT, bob)
    assert oa.get_kf_session(bob).kf_account == ""
    with pytest.raises(errors.CustomServiceError) as closed:
        oa.close_kf_session(AGENT, bob)
    assert closed.value.errcode == 65413
    oa.delete_kf_account(AGENT)
    assert oa.get_kf_list().kf_list == [] and kf_state(sandbox).online == set()


def test_a_user_with_another_agent_is_not_taken(oa: OfficialAccount,
                                                sandbox: WeChatSandbox) -> None:
    for account, person in (("amy@shopwx", "amy_wx"), ("ben@shopwx", "ben_wx")):
        oa.add_kf_account(account, account.split("@")[0])
        oa.invite_kf_worker(account, person)
        accept_kf_invite(sandbox, account)
    set_kf_online(sandbox, "amy@shopwx")
    with pytest.raises(errors.CustomServiceError) as offline:
        oa.create_kf_session("ben@shopwx", "o_carol")
    assert offline.value.errcode == 65415
    set_kf_online(sandbox, "ben@shopwx")
    oa.create_kf_session("amy@shopwx", "o_carol")
    oa.create_kf_session("amy@shopwx", "o_carol")  # the same pair again: still fine
    with pytest.raises(errors.CustomServiceError) as taken:
        oa.create_kf_session("ben@shopwx", "o_carol")
    assert taken.value.errcode == 65414
    with pytest.raises(errors.CustomServiceError) as invited:
        oa.invite_kf_worker("ben@shopwx", "amy_wx")  # already an agent of this account
    assert invited.value.errcode == 65407


def test_an_avatar_wechat_refuses_raises_media_format_error(oa: OfficialAccount) -> None:
    """Past the builder's own check (sent as a raw call), the sandbox answers what WeChat's
    page documents for a non-JPEG avatar: 40005 "invalid file type", a MediaFormatError."""
    oa.add_kf_account(AGENT, "Amy")
    gif = File("amy.jpg", b"GIF89a" + b"\x00" * 32, "image/jpeg")
    call = kf.UPLOAD_KF_HEADIMG.call(query={"kf_account": AGENT}, files={"media": gif})
    with pytest.raises(errors.MediaFormatError) as refused:
        oa.call(call)
    assert refused.value.errcode == 40005
    assert refused.value.errmsg.startswith("invalid file type")
