"""Sandbox routes for article comments (留言管理), and the hook that plays a reader.

An article is news the app mass-sent (its ``msg_data_id`` from ``oa_mass``) and an
``index`` in it; anything else answers 88001. Comments are off until ``comment/open``;
:func:`add_comment` then plays a reader commenting (it refuses while comments are closed).
``comment/list`` pages through them oldest first (``type`` 1 ordinary, 2 selected);
selecting, deleting and replying work on a comment by its ``user_comment_id``.

88000 (no comment permission) is documented
(https://developers.weixin.qq.com/doc/service/Comments_management/Image_Comments_Management_Interface.html),
88001 "msg_data is not exists" is what WeChat answers an unknown article (seen in WeChat's
community: https://developers.weixin.qq.com/community/develop/doc/000c2019640a7819264e2d8fb56400).
Unverified, as no WeChat page we could read lists them: 88008 for an unknown comment, 88007
for an empty reply and 88010 for a page of 50 or more (errmsgs as other SDKs quote them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wxcore.adapters.sandbox.core import Handler, SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part
from wxcore.adapters.sandbox.oa_mass import mass_articles

__all__ = ["add_comment", "comments_of", "ArticleComments"]

Article = tuple[str, int, int]  # appid, msg_data_id, index


@dataclass
class ArticleComments:
    open: bool = False
    comments: list[dict[str, Any]] = field(default_factory=list)  # oldest first


@dataclass
class _CommentState:
    articles: dict[Article, ArticleComments] = field(default_factory=dict)
    next_id: int = 1


def _state(sb: WeChatSandbox) -> _CommentState:
    return sb.group("oa_comments", _CommentState)


def comments_of(sb: WeChatSandbox, msg_data_id: int, index: int = 0,
                appid: str | None = None) -> ArticleComments:
    """One article's comments (created empty and closed on first use)."""
    key = (appid or sb.default_app.appid, msg_data_id, index)
    with sb.lock:
        return _state(sb).articles.setdefault(key, ArticleComments())


def add_comment(sb: WeChatSandbox, msg_data_id: int, content: str, user: str = "alice", *,
                index: int = 0, appid: str | None = None) -> int:
    """A reader ``user`` comments on the article; answers the comment's user_comment_id."""
    appid = appid or sb.default_app.appid
    article = comments_of(sb, msg_data_id, index, appid)
    with sb.lock:
        if not article.open:
            raise ValueError("comments on this article are closed (comment/open first)")
        state = _state(sb)
        comment_id, state.next_id = state.next_id, state.next_id + 1
        article.comments.append({"user_comment_id": comment_id, "create_time": int(sb.clock()),
                                 "content": content, "comment_type": 0,
                                 "openid": sb.openid_for(appid, user)})
    return comment_id


def _article(sb: WeChatSandbox, req: SandboxRequest) -> tuple[dict[str, Any], ArticleComments]:
    body = req.json()
    msg_data_id, index = body.get("msg_data_id"), body.get("index", 0)
    if not isinstance(msg_data_id, int) or msg_data_id not in mass_articles(sb, req.appid) \
            or not isinstance(index, int) or not 0 <= index <= 7:
        raise WxFail(88001, "msg_data is not exists")
    return body, comments_of(sb, msg_data_id, index, req.appid)


def _comment(sb: WeChatSandbox, req: SandboxRequest) -> tuple[dict[str, Any], ArticleComments,
                                                               dict[str, Any]]:
    body, article = _article(sb, req)
    for comment in article.comments:
        if comment["user_comment_id"] == body.get("user_comment_id"):
            return body, article, comment
    raise WxFail(88008, "comment is not exists")


def _ok() -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/comment/open")
def open_comment(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _article(sb, req)[1].open = True
    return _ok()


@route("POST", "/cgi-bin/comment/close")
def close_comment(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _article(sb, req)[1].open = False
    return _ok()


@route("POST", "/cgi-bin/comment/list")
def list_comment(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body, article = _article(sb, req)
    begin, count, kind = body.get("begin"), body.get("count"), body.get("type")
    if not isinstance(begin, int) or not isinstance(count, int) or not 0 < count < 50 \
            or kind not in (0, 1, 2):
        raise WxFail(88010, "count range error. cout <= 0 or count > 50")
    with sb.lock:
        chosen = [c for c in article.comments
                  if kind == 0 or c["comment_type"] == (1 if kind == 2 else 0)]
        page = [dict(c) for c in chosen[begin:begin + count]]
    return {**_ok(), "total": len(chosen), "comment": page}


def _set(comment_type: int) -> Handler:
    def handler(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
        with sb.lock:
            _comment(sb, req)[2]["comment_type"] = comment_type
        return _ok()
    return handler


route("POST", "/cgi-bin/comment/markelect")(_set(1))
route("POST", "/cgi-bin/comment/unmarkelect")(_set(0))


@route("POST", "/cgi-bin/comment/delete")
def delete_comment(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    with sb.lock:
        _, article, comment = _comment(sb, req)
        article.comments.remove(comment)
    return _ok()


@route("POST", "/cgi-bin/comment/reply/add")
def add_reply(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    with sb.lock:
        body, _, comment = _comment(sb, req)
        content = body.get("content")
        if not isinstance(content, str) or not content:
            raise WxFail(88007, "reply content beyond max length or content length is zero")
        comment["reply"] = {"content": content, "create_time": int(sb.clock())}
    return _ok()


@route("POST", "/cgi-bin/comment/reply/delete")
def delete_reply(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    with sb.lock:
        _comment(sb, req)[2].pop("reply", None)
    return _ok()


@oa_part("comments")
def _comments(sb: WeChatSandbox, appid: str) -> list[dict[str, Any]]:
    """Each article with comments open or any comment: its id, index and comments."""
    return [{"msg_data_id": msg_data_id, "index": index, "open": article.open,
             "comments": [dict(c) for c in article.comments]}
            for (app, msg_data_id, index), article in sorted(_state(sb).articles.items(),
                                                            key=lambda item: item[0])
            if app == appid and (article.open or article.comments)]
