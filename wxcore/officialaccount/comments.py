"""Article comments (留言管理): the comments under a mass-sent article, and the account's replies.

An article is named by the ``msg_data_id`` its mass send answered (``send_mass_to_tag``'s
``MassSendResult.msg_data_id``) and, in a multi-article message, by ``index`` (from 0; WeChat
takes the first article when it is left out). A comment is named by its ``user_comment_id``
(from :func:`list_comment`). Every call is a POST with a JSON body; the account needs the
comment permission (88000 otherwise), raised as :class:`CommentError` with the other 880xx
errcodes. The endpoints that take only the article, or the article and a comment, are rows
of two small tables below. Source:
https://developers.weixin.qq.com/doc/service/guide/product/comments.html (the list) and
https://developers.weixin.qq.com/doc/service/api/leaving/api_listcomment.html
"""

from __future__ import annotations

from typing import Any

import msgspec

from wxcore.checks import checked, in_range, one_of
from wxcore.endpoint import Call, Endpoint, TableBuilder, WxResult, require
from wxcore.errors import UsageError
from wxcore.officialaccount.errors import CommentError, errors_of

__all__ = [
    "MAX_COMMENT_PAGE",
    "COMMENT_TYPES",
    "CommentReply",
    "Comment",
    "CommentListResult",
    "ArticleCommentSwitch",
    "CommentAction",
    "open_comment",
    "close_comment",
    "list_comment",
    "markelect_comment",
    "unmarkelect_comment",
    "delete_comment",
    "add_reply_comment",
    "delete_reply_comment",
]

#: WeChat refuses a page of 50 comments or more.
MAX_COMMENT_PAGE = 49
#: list_comment's ``type``: every comment, ordinary ones, or the selected (精选) ones.
COMMENT_TYPES = {0: "all", 1: "ordinary", 2: "selected"}


class CommentReply(msgspec.Struct, kw_only=True):
    content: str = ""
    create_time: int = 0


class Comment(msgspec.Struct, kw_only=True):
    """One comment; ``comment_type`` 1 when selected (精选); ``openid`` is empty when the user
    commented under another identity."""

    user_comment_id: int = 0
    openid: str = ""
    create_time: int = 0
    content: str = ""
    comment_type: int = 0
    reply: CommentReply | None = None


class CommentListResult(WxResult, kw_only=True):
    """``comment/list``: one page of comments and the article's ``total``."""

    total: int = 0
    comment: list[Comment] = []


def _endpoint(name: str, path: str, result: type[Any] = WxResult) -> Endpoint[Any]:
    # Opening, closing, selecting, deleting: doing it again leaves the same state.
    return Endpoint(f"officialaccount.{name}", "POST", f"/cgi-bin/comment/{path}", result,
                    idempotent=path != "reply/add", errors=errors_of(CommentError))


LIST_COMMENT: Endpoint[CommentListResult] = _endpoint("list_comment", "list", CommentListResult)
ADD_REPLY_COMMENT: Endpoint[WxResult] = _endpoint("add_reply_comment", "reply/add")


def _article(msg_data_id: int, index: int | None) -> dict[str, Any]:
    if isinstance(msg_data_id, bool) or msg_data_id <= 0:
        raise UsageError(f"msg_data_id must be a mass send's msg_data_id (got {msg_data_id!r})")
    in_range("index", index, 0, 7)  # a message holds at most eight articles
    return {"msg_data_id": msg_data_id, "index": index}


def _comment(user_comment_id: int) -> int:
    if isinstance(user_comment_id, bool) or user_comment_id <= 0:
        raise UsageError(f"user_comment_id must be a comment's id from list_comment "
                         f"(got {user_comment_id!r})")
    return user_comment_id


class ArticleCommentSwitch(TableBuilder[WxResult]):
    """Comments on or off for one article: a row of the table below."""

    def __init__(self, name: str, path: str, doc: str) -> None:
        super().__init__(_endpoint(name, path), name, doc)

    @checked
    def __call__(self, msg_data_id: int, *, index: int | None = None) -> Call[WxResult]:
        return self.endpoint.call(json=_article(msg_data_id, index))


class CommentAction(TableBuilder[WxResult]):
    """Something done to one comment of one article: a row of the table below."""

    def __init__(self, name: str, path: str, doc: str) -> None:
        super().__init__(_endpoint(name, path), name, doc)

    @checked
    def __call__(self, msg_data_id: int, user_comment_id: int, *,
                 index: int | None = None) -> Call[WxResult]:
        return self.endpoint.call(json={**_article(msg_data_id, index),
                                        "user_comment_id": _comment(user_comment_id)})


open_comment = ArticleCommentSwitch("open_comment", "open",
                                    "Open comments on a mass-sent article (打开已群发文章评论).")
close_comment = ArticleCommentSwitch("close_comment", "close",
                                     "Close comments on a mass-sent article (关闭已群发文章评论).")
markelect_comment = CommentAction("markelect_comment", "markelect",
                                  "Mark a comment as selected, shown to all (评论标记精选).")
unmarkelect_comment = CommentAction("unmarkelect_comment", "unmarkelect",
                                    "Take a comment out of the selection (评论取消精选).")
delete_comment = CommentAction("delete_comment", "delete", "Delete a comment (删除评论).")
delete_reply_comment = CommentAction("delete_reply_comment", "reply/delete",
                                     "Delete the account's reply to a comment (删除回复).")


@checked
def list_comment(msg_data_id: int, begin: int = 0, count: int = MAX_COMMENT_PAGE,
                 type: int = 0, *, index: int | None = None) -> Call[CommentListResult]:
    """A page of an article's comments (查看指定文章的评论数据): ``count`` (1 to 49) from
    ``begin``; ``type`` 0 every comment, 1 the ordinary ones, 2 the selected ones."""
    in_range("begin", begin, 0, 2**31 - 1)
    in_range("count", count, 1, MAX_COMMENT_PAGE)
    one_of("type", type, COMMENT_TYPES)
    return LIST_COMMENT.call(json={**_article(msg_data_id, index), "begin": begin,
                                   "count": count, "type": type})


@checked
def add_reply_comment(msg_data_id: int, user_comment_id: int, content: str, *,
                      index: int | None = None) -> Call[WxResult]:
    """Reply to a comment as the account (回复评论)."""
    require(content=content.strip())
    return ADD_REPLY_COMMENT.call(json={**_article(msg_data_id, index),
                                        "user_comment_id": _comment(user_comment_id),
                                        "content": content})
