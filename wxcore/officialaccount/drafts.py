"""Drafts and publishing (草稿箱 / 发布能力): where an account's articles go since 2021.

An article is written as a draft (``draft/add``: up to eight articles, one media_id), then
published (``freepublish/submit`` answers a ``publish_id``; WeChat reviews it and sends the
``PUBLISHJOBFINISH`` event; ``freepublish/get`` polls the same status). A published draft
leaves the draft box; the publication is found by its ``article_id``.

Each article is checked before sending, by WeChat's table
(https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add):
``title`` required, at most 32 characters; ``author`` at most 16; ``digest`` at most 128;
``content`` required, fewer than 20,000 characters and under 1 MB; ``content_source_url``
at most 1 KB; ``thumb_media_id`` (a permanent material) required for ``news`` articles;
``image_info`` required for picture messages (``newspic``); the two comment switches 0 or 1.
Fields this table does not know are passed through unchanged (WeChat adds some, such as
``pic_crop_235_1``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from wxcore.checks import checked, in_range, max_length, one_of
from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import UsageError
from wxcore.officialaccount.errors import InvalidMediaError, errors_of
from wxcore.officialaccount.media import NewsContent, NewsItem
from wxcore.officialaccount.paging import MAX_PAGE, page_request

__all__ = [
    "MAX_ARTICLES",
    "ARTICLE_TYPES",
    "check_article",
    "AddDraftResult",
    "NewsItemsResult",
    "DraftCountResult",
    "DraftItem",
    "DraftListResult",
    "PublishResult",
    "PublishedItem",
    "PublishDetail",
    "PublishStatusResult",
    "PublishedEntry",
    "PublishedListResult",
    "PUBLISH_STATUSES",
    "add_draft",
    "get_draft",
    "update_draft",
    "delete_draft",
    "get_draft_count",
    "batchget_draft",
    "submit_publish",
    "get_publish_status",
    "delete_publish",
    "get_published_article",
    "batchget_published",
]

#: The most articles one draft may hold.
MAX_ARTICLES = 8
ARTICLE_TYPES = ("news", "newspic")
_COMMENT_SWITCHES = ("need_open_comment", "only_fans_can_comment")

#: freepublish/get's ``publish_status`` values.
PUBLISH_STATUSES: Mapping[int, str] = {
    0: "published", 1: "publishing", 2: "originality check failed", 3: "failed",
    4: "refused by review", 5: "all articles deleted by the account",
    6: "all articles blocked by the platform",
}


def check_article(article: Mapping[str, Any], *, name: str = "article") -> dict[str, Any]:
    """One article as WeChat takes it, checked; ``name`` is the argument named in errors."""
    if not isinstance(article, Mapping):
        raise UsageError(f"{name} must be a mapping such as a dict (got {type(article).__name__})")
    shaped = dict(article)
    article_type = shaped.get("article_type", "news")
    one_of(f"{name}.article_type", article_type, ARTICLE_TYPES)
    for key in ("title", "content"):
        value = shaped.get(key)
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{name}.{key} is required (a non-blank string)")
    for key, limit in (("title", 32), ("author", 16), ("digest", 128)):
        value = shaped.get(key)
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{name}.{key} must be a string")
        max_length(f"{name}.{key}", value, limit)
    content: str = shaped["content"]
    if len(content) >= 20_000 or len(content.encode()) >= 1024 * 1024:
        raise UsageError(f"{name}.content must have fewer than 20,000 characters and be "
                         f"under 1 MB (got {len(content)} characters)")
    source = shaped.get("content_source_url")
    if source is not None and (not isinstance(source, str) or len(source.encode()) > 1024):
        raise UsageError(f"{name}.content_source_url must be a URL of at most 1 KB")
    if article_type == "news" and not shaped.get("thumb_media_id"):
        raise UsageError(f"{name}.thumb_media_id (a permanent image material) is required "
                         "for a news article")
    if article_type == "newspic" and not isinstance(shaped.get("image_info"), Mapping):
        raise UsageError(f"{name}.image_info (with image_list) is required for newspic")
    for key in _COMMENT_SWITCHES:
        if key in shaped:
            value = shaped[key]
            if value not in (0, 1):  # True/False are 1/0 too
                raise UsageError(f"{name}.{key} must be 0 or 1 (got {value!r})")
            shaped[key] = int(value)
    return shaped


def _articles(articles: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not 1 <= len(articles) <= MAX_ARTICLES:
        raise UsageError(f"articles must hold 1 to {MAX_ARTICLES} articles (got {len(articles)})")
    return [check_article(a, name=f"articles[{i}]") for i, a in enumerate(articles)]


# -- result types -------------------------------------------------------------------------


class AddDraftResult(WxResult, kw_only=True):
    """``draft/add``: the new draft's media_id."""

    media_id: str = ""


class NewsItemsResult(WxResult, kw_only=True):
    """``draft/get`` and ``freepublish/getarticle``: the articles."""

    news_item: list[NewsItem] = []


class DraftCountResult(WxResult, kw_only=True):
    total_count: int = 0


class DraftItem(msgspec.Struct, kw_only=True):
    media_id: str = ""
    content: NewsContent = msgspec.field(default_factory=NewsContent)
    update_time: int = 0


class DraftListResult(WxResult, kw_only=True):
    """``draft/batchget``: one page of drafts."""

    total_count: int = 0
    item_count: int = 0
    item: list[DraftItem] = []


class PublishResult(WxResult, kw_only=True):
    """``freepublish/submit``: the publish task's id (poll it with get_publish_status)."""

    publish_id: str = ""
    msg_data_id: int = 0


class PublishedItem(msgspec.Struct, kw_only=True):
    idx: int = 0
    article_url: str = ""


class PublishDetail(msgspec.Struct, kw_only=True):
    count: int = 0
    item: list[PublishedItem] = []


class PublishStatusResult(WxResult, kw_only=True):
    """``freepublish/get``: ``publish_status`` 0 published, 1 publishing, 2-6 failures
    (:data:`PUBLISH_STATUSES`); ``fail_idx`` numbers the articles that failed."""

    publish_id: str = ""
    publish_status: int = 0
    article_id: str = ""
    article_detail: PublishDetail = msgspec.field(default_factory=PublishDetail)
    fail_idx: list[int] = []

    @property
    def status_text(self) -> str:
        return PUBLISH_STATUSES.get(self.publish_status, f"status {self.publish_status}")


class PublishedEntry(msgspec.Struct, kw_only=True):
    article_id: str = ""
    content: NewsContent = msgspec.field(default_factory=NewsContent)
    update_time: int = 0


class PublishedListResult(WxResult, kw_only=True):
    """``freepublish/batchget``: one page of successful publications."""

    total_count: int = 0
    item_count: int = 0
    item: list[PublishedEntry] = []


# -- endpoints ----------------------------------------------------------------------------


_ERRORS = errors_of(InvalidMediaError)
_OA = "officialaccount."

ADD_DRAFT = Endpoint(_OA + "add_draft", "POST", "/cgi-bin/draft/add", AddDraftResult,
                     errors=_ERRORS)
GET_DRAFT = Endpoint(_OA + "get_draft", "POST", "/cgi-bin/draft/get", NewsItemsResult,
                     idempotent=True, errors=_ERRORS)
UPDATE_DRAFT = Endpoint(_OA + "update_draft", "POST", "/cgi-bin/draft/update", WxResult,
                        idempotent=True, errors=_ERRORS)  # the same replacement twice is one
DELETE_DRAFT = Endpoint(_OA + "delete_draft", "POST", "/cgi-bin/draft/delete", WxResult,
                        errors=_ERRORS)
GET_DRAFT_COUNT = Endpoint(_OA + "get_draft_count", "GET", "/cgi-bin/draft/count",
                           DraftCountResult)
BATCHGET_DRAFT = Endpoint(_OA + "batchget_draft", "POST", "/cgi-bin/draft/batchget",
                          DraftListResult, idempotent=True)
SUBMIT_PUBLISH = Endpoint(_OA + "submit_publish", "POST", "/cgi-bin/freepublish/submit",
                          PublishResult, errors=_ERRORS)
GET_PUBLISH_STATUS = Endpoint(_OA + "get_publish_status", "POST", "/cgi-bin/freepublish/get",
                              PublishStatusResult, idempotent=True)
DELETE_PUBLISH = Endpoint(_OA + "delete_publish", "POST", "/cgi-bin/freepublish/delete",
                          WxResult)
GET_PUBLISHED_ARTICLE = Endpoint(_OA + "get_published_article", "POST",
                                 "/cgi-bin/freepublish/getarticle", NewsItemsResult,
                                 idempotent=True)
BATCHGET_PUBLISHED = Endpoint(_OA + "batchget_published", "POST", "/cgi-bin/freepublish/batchget",
                              PublishedListResult, idempotent=True)


def _page(offset: int, count: int, no_content: bool) -> dict[str, int]:
    return {**page_request(offset, count), "no_content": int(no_content)}


# -- builders: drafts ----------------------------------------------------------------------


@checked
def add_draft(articles: list[Mapping[str, Any]]) -> Call[AddDraftResult]:
    """Create a draft of 1 to 8 articles (新建草稿); each is checked (see the module doc)."""
    return ADD_DRAFT.call(json={"articles": _articles(articles)})


@checked
def get_draft(media_id: str) -> Call[NewsItemsResult]:
    """The articles of a draft (获取草稿)."""
    require(media_id=media_id)
    return GET_DRAFT.call(json={"media_id": media_id})


@checked
def update_draft(media_id: str, index: int, article: Mapping[str, Any]) -> Call[WxResult]:
    """Replace article number ``index`` (from 0) of a draft (修改草稿)."""
    require(media_id=media_id)
    in_range("index", index, 0, MAX_ARTICLES - 1)
    return UPDATE_DRAFT.call(json={"media_id": media_id, "index": index,
                                   "articles": check_article(article)})


@checked
def delete_draft(media_id: str) -> Call[WxResult]:
    """Delete a draft (删除草稿); it cannot be undone."""
    require(media_id=media_id)
    return DELETE_DRAFT.call(json={"media_id": media_id})


def get_draft_count() -> Call[DraftCountResult]:
    """How many drafts the account has (获取草稿总数)."""
    return GET_DRAFT_COUNT.call()


@checked
def batchget_draft(offset: int = 0, count: int = MAX_PAGE, *,
                   no_content: bool = False) -> Call[DraftListResult]:
    """One page of drafts (获取草稿列表); ``no_content`` leaves out the articles' content.
    The facade's ``iter_drafts`` reads every page."""
    return BATCHGET_DRAFT.call(json=_page(offset, count, no_content))


# -- builders: publishing ---------------------------------------------------------------------


@checked
def submit_publish(media_id: str) -> Call[PublishResult]:
    """Publish a draft (发布接口); WeChat answers at once and reviews it afterwards."""
    require(media_id=media_id)
    return SUBMIT_PUBLISH.call(json={"media_id": media_id})


@checked
def get_publish_status(publish_id: str) -> Call[PublishStatusResult]:
    """The state of a publish task (发布状态轮询)."""
    require(publish_id=publish_id)
    return GET_PUBLISH_STATUS.call(json={"publish_id": publish_id})


@checked
def delete_publish(article_id: str, index: int = 0) -> Call[WxResult]:
    """Delete a publication (删除发布): article ``index`` (from 1), or all of them with 0."""
    require(article_id=article_id)
    in_range("index", index, 0, MAX_ARTICLES)
    return DELETE_PUBLISH.call(json={"article_id": article_id, "index": index})


@checked
def get_published_article(article_id: str) -> Call[NewsItemsResult]:
    """The articles of a publication (通过 article_id 获取已发布文章)."""
    require(article_id=article_id)
    return GET_PUBLISHED_ARTICLE.call(json={"article_id": article_id})


@checked
def batchget_published(offset: int = 0, count: int = MAX_PAGE, *,
                       no_content: bool = False) -> Call[PublishedListResult]:
    """One page of successful publications (获取成功发布列表); the facade's
    ``iter_published`` reads every page."""
    return BATCHGET_PUBLISHED.call(json=_page(offset, count, no_content))
