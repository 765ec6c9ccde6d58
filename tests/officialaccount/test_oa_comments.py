"""Article comments (留言管理): the builders' requests and checks, and the whole life of a
comment against the sandbox (news mass-sent, comments opened, a reader comments, the account
selects, replies, deletes)."""

from __future__ import annotations

import json

import pytest

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import WeChatSandbox
from wxcore.adapters.sandbox.oa_comments import add_comment, comments_of
from wxcore.errors import UsageError
from wxcore.officialaccount import comments, errors

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64


def body(call: object) -> object:
    return json.loads(call.request.body)  # type: ignore[attr-defined]


def test_the_requests_are_wechats() -> None:
    assert body(comments.open_comment(123456)) == {"msg_data_id": 123456}
    assert body(comments.close_comment(123456, index=2)) == {"msg_data_id": 123456, "index": 2}
    assert body(comments.delete_reply_comment(123456, 7, index=0)) == {
        "msg_data_id": 123456, "index": 0, "user_comment_id": 7}
    assert body(comments.list_comment(123456)) == {"msg_data_id": 123456, "begin": 0,
                                                   "count": 49, "type": 0}
    paths = {builder.__name__: builder.endpoint.path for builder in (
        comments.open_comment, comments.close_comment, comments.markelect_comment,
        comments.unmarkelect_comment, comments.delete_comment, comments.delete_reply_comment)}
    assert paths["unmarkelect_comment"] == "/cgi-bin/comment/unmarkelect"
    assert paths["delete_reply_comment"] == "/cgi-bin/comment/reply/delete"
    assert not comments.ADD_REPLY_COMMENT.idempotent and comments.LIST_COMMENT.idempotent


@pytest.mark.parametrize(("build", "message"), [
    (lambda: comments.open_comment(0), "msg_data_id must be a mass send's msg_data_id"),
    (lambda: comments.open_comment(123, index=8), "index"),
    (lambda: comments.list_comment(123, count=50), "count"),
    (lambda: comments.list_comment(123, type=3), "type"),
    (lambda: comments.list_comment(123, begin=-1), "begin"),
    (lambda: comments.markelect_comment(123, 0), "user_comment_id must be a comment's id"),
    (lambda: comments.add_reply_comment(123, 1, "   "), "content"),
    (lambda: comments.delete_comment("123", 1), "msg_data_id"),  # type: ignore[arg-type]
])
def test_arguments_wechat_would_refuse_are_refused(build: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build()  # type: ignore[operator]


def test_a_comment_from_open_to_reply(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    thumb = oa.upload_media("thumb", JPEG).id
    news = oa.upload_news([{"title": "Spring", "content": "<p>Spring</p>",
                            "thumb_media_id": thumb, "need_open_comment": 1}])
    article = oa.send_mass_to_tag("mpnews", news.media_id).msg_data_id
    with pytest.raises(ValueError, match="closed"):
        add_comment(sandbox, article, "too early")
    oa.open_comment(article)
    first = add_comment(sandbox, article, "写得真好", "alice")
    second = add_comment(sandbox, article, "期待下一篇", "bob")

    oa.markelect_comment(article, first)
    oa.add_reply_comment(article, first, "谢谢支持！")
    page = oa.list_comment(article)
    assert page.total == 2 and [c.user_comment_id for c in page.comment] == [first, second]
    (selected,) = oa.list_comment(article, type=2).comment
    assert selected.comment_type == 1 and selected.reply is not None
    assert selected.reply.content == "谢谢支持！"
    assert selected.openid == sandbox.openid_for(oa.appid, "alice")
    assert [c.content for c in oa.list_comment(article, type=1).comment] == ["期待下一篇"]
    assert [c.user_comment_id for c in oa.list_comment(article, 1, 1).comment] == [second]

    oa.delete_reply_comment(article, first)
    oa.unmarkelect_comment(article, first)
    oa.delete_comment(article, second)
    (left,) = oa.list_comment(article).comment
    assert (left.user_comment_id, left.comment_type, left.reply) == (first, 0, None)
    oa.close_comment(article)
    assert comments_of(sandbox, article).open is False


def test_unknown_articles_and_comments_are_wechats_errors(oa: OfficialAccount) -> None:
    with pytest.raises(errors.CommentError) as caught:
        oa.open_comment(987654)  # never mass-sent
    assert caught.value.errcode == 88001
    assert oa.send_mass_to_tag("text", "no news").msg_data_id == 0  # only news has comments
    thumb = oa.upload_media("thumb", JPEG).id
    news = oa.upload_news([{"title": "T", "content": "<p>T</p>", "thumb_media_id": thumb}])
    article = oa.send_mass_to_tag("mpnews", news.media_id).msg_data_id
    with pytest.raises(errors.CommentError) as unknown:
        oa.markelect_comment(article, 424242)
    assert unknown.value.errcode == 88008
