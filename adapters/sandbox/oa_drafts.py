"""Sandbox routes for Official Account drafts and publishing (草稿箱 / 发布能力).

Drafts are stored per app (each article's ``thumb_media_id`` must be one of the app's
permanent materials, else 40007); ``freepublish/submit`` moves a draft out of the draft box
into a publication that the sandbox publishes at once (``publish_status`` 0, an
``article_id`` and article URLs, and the ``PUBLISHJOBFINISH`` push to the app's message
server, see ``oa_messages.set_message_server``); a publication's articles can be deleted one by one
(status 5 once all are gone). Test hook: :func:`hold_publishing` leaves the next
publications "publishing" (status 1), as while WeChat reviews them.

Unsure, so guessed: the errcode for an unknown publish_id or article_id (40007 here) and for
a bad draft index (40097, "invalid args").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from wxcore.messages.xml import cdata

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part
from wxcore.adapters.sandbox.oa_media import material_ids, page_of
from wxcore.adapters.sandbox.oa_messages import push_event

__all__ = ["DraftState", "draft_state", "hold_publishing", "state_snapshot"]

_ARTICLE_HOST = "https://mp.weixin.qq.com/s/"


@dataclass
class Draft:
    appid: str
    articles: list[dict[str, Any]]
    created_at: float
    updated_at: float


@dataclass
class Publication:
    appid: str
    publish_id: str
    articles: list[dict[str, Any]]
    created_at: float
    article_id: str
    msg_data_id: int
    status: int = 0
    deleted: set[int] = field(default_factory=set)  # article numbers, from 1


@dataclass
class DraftState:
    drafts: dict[str, Draft] = field(default_factory=dict)
    publications: dict[str, Publication] = field(default_factory=dict)  # by publish_id
    hold: bool = False
    next_msg_data_id: int = 2247483647


def draft_state(sb: WeChatSandbox) -> DraftState:
    return sb.group("oa_drafts", DraftState)


def hold_publishing(sb: WeChatSandbox, hold: bool = True) -> None:
    """Leave later publications in review ("publishing") until called with False, which
    publishes them (each with its PUBLISHJOBFINISH push)."""
    state = draft_state(sb)
    state.hold = hold
    if not hold:
        for publication in state.publications.values():
            if publication.status == 1:
                publication.status = 0
                _push_finished(sb, publication)


def _push_finished(sb: WeChatSandbox, publication: Publication) -> None:
    """PUBLISHJOBFINISH, with PublishEventInfo as WeChat nests it."""
    items = "".join(f"<item><idx>{i}</idx><article_url>{cdata(a['url'])}</article_url></item>"
                    for i, a in enumerate(_live_articles(publication), 1))
    info = (f"<PublishEventInfo><publish_id>{publication.publish_id}</publish_id>"
            f"<publish_status>{publication.status}</publish_status>"
            f"<article_id>{cdata(publication.article_id)}</article_id>"
            f"<article_detail><count>{len(publication.articles)}</count>{items}</article_detail>"
            f"</PublishEventInfo>")
    push_event(sb, publication.appid, sb.openid_for(publication.appid, "publish-job"),
               "PUBLISHJOBFINISH", xml=info)


@oa_part("drafts")
def state_snapshot(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """What the console shows of ``appid``'s drafts and publications."""
    state = draft_state(sb)
    drafts = [{"media_id": mid, "titles": [a.get("title") for a in d.articles]}
              for mid, d in state.drafts.items() if d.appid == appid]
    published = [{"publish_id": p.publish_id, "article_id": p.article_id, "status": p.status}
                 for p in state.publications.values() if p.appid == appid]
    if not drafts and not published:
        return {}
    return {"drafts": drafts[-20:], "publications": published[-20:]}


def _articles(sb: WeChatSandbox, req: SandboxRequest, articles: object) -> list[dict[str, Any]]:
    if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
        raise WxFail(40097, "invalid args: articles")
    thumbs = material_ids(sb, req.appid)
    for article in articles:
        if not isinstance(article, dict) or not article.get("title") or not article.get("content"):
            raise WxFail(40097, "invalid args: title and content are required")
        if article.get("article_type", "news") == "news" and article.get("thumb_media_id") not in thumbs:
            raise WxFail(40007, "invalid media_id: thumb_media_id")
    return [dict(a) for a in articles]


def _draft(sb: WeChatSandbox, req: SandboxRequest) -> tuple[str, Draft]:
    media_id = str(req.json().get("media_id", ""))
    draft = draft_state(sb).drafts.get(media_id)
    if draft is None or draft.appid != req.appid:
        raise WxFail(40007, "invalid media_id")
    return media_id, draft


def _news_items(articles: list[dict[str, Any]], url: str = "") -> list[dict[str, Any]]:
    return [{**a, "url": f"{url}{index}" if url else a.get("url", ""),
             "thumb_url": a.get("thumb_url", "")} for index, a in enumerate(articles, 1)]


# -- drafts -------------------------------------------------------------------------------


@route("POST", "/cgi-bin/draft/add")
def add_draft(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    articles = _articles(sb, req, req.json().get("articles"))
    media_id, now = secrets.token_urlsafe(32), sb.clock()
    draft_state(sb).drafts[media_id] = Draft(req.appid, articles, now, now)
    return {"media_id": media_id}


@route("POST", "/cgi-bin/draft/get")
def get_draft(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _, draft = _draft(sb, req)
    return {"news_item": _news_items(draft.articles)}


@route("POST", "/cgi-bin/draft/update")
def update_draft(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _, draft = _draft(sb, req)
    body = req.json()
    index = body.get("index")
    if not isinstance(index, int) or not 0 <= index < len(draft.articles):
        raise WxFail(40097, "invalid args: index")
    draft.articles[index] = _articles(sb, req, [body.get("articles")])[0]
    draft.updated_at = sb.clock()
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/draft/delete")
def delete_draft(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    media_id, _ = _draft(sb, req)
    del draft_state(sb).drafts[media_id]
    return {"errcode": 0, "errmsg": "ok"}


@route("GET", "/cgi-bin/draft/count")
def draft_count(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    return {"total_count": sum(1 for d in draft_state(sb).drafts.values() if d.appid == req.appid)}


def _no_content(items: list[dict[str, Any]], body: dict[str, Any]) -> list[dict[str, Any]]:
    if body.get("no_content") == 1:
        return [{k: v for k, v in item.items() if k != "content"} for item in items]
    return items


@route("POST", "/cgi-bin/draft/batchget")
def batchget_draft(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    offset, count = page_of(body)
    mine = sorted(((mid, d) for mid, d in draft_state(sb).drafts.items() if d.appid == req.appid),
                  key=lambda pair: -pair[1].updated_at)
    page = mine[offset:offset + count]
    items = [{"media_id": mid, "update_time": int(d.updated_at),
              "content": {"news_item": _no_content(_news_items(d.articles), body),
                          "create_time": int(d.created_at), "update_time": int(d.updated_at)}}
             for mid, d in page]
    return {"total_count": len(mine), "item_count": len(items), "item": items}


# -- publishing -----------------------------------------------------------------------------


def _publication(sb: WeChatSandbox, req: SandboxRequest, key: str) -> Publication:
    value = str(req.json().get(key, ""))
    for publication in draft_state(sb).publications.values():
        if publication.appid == req.appid and value in (publication.publish_id,
                                                         publication.article_id):
            if key == "article_id" and publication.status != 0:
                break  # not (or no longer) published: no article to speak of
            return publication
    raise WxFail(40007, f"invalid {key}")


def _live_articles(publication: Publication) -> list[dict[str, Any]]:
    url = f"{_ARTICLE_HOST}{publication.article_id}?idx="
    return [{**item, "is_deleted": index in publication.deleted}
            for index, item in enumerate(_news_items(publication.articles, url), 1)]


@route("POST", "/cgi-bin/freepublish/submit")
def submit_publish(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    media_id, draft = _draft(sb, req)
    state = draft_state(sb)
    del state.drafts[media_id]  # a published draft leaves the draft box
    state.next_msg_data_id += 1
    publication = Publication(req.appid, str(100_000_000 + len(state.publications) + 1),
                              draft.articles, sb.clock(), secrets.token_urlsafe(24),
                              state.next_msg_data_id, status=1 if state.hold else 0)
    state.publications[publication.publish_id] = publication
    if publication.status == 0:
        _push_finished(sb, publication)
    return {"errcode": 0, "errmsg": "ok", "publish_id": publication.publish_id,
            "msg_data_id": publication.msg_data_id}


@route("POST", "/cgi-bin/freepublish/get")
def get_publish_status(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    publication = _publication(sb, req, "publish_id")
    answer: dict[str, Any] = {"publish_id": publication.publish_id,
                              "publish_status": publication.status, "fail_idx": []}
    if publication.status == 0:
        items = [{"idx": i, "article_url": a["url"]}
                 for i, a in enumerate(_live_articles(publication), 1) if not a["is_deleted"]]
        answer.update(article_id=publication.article_id,
                      article_detail={"count": len(items), "item": items})
    return answer


@route("POST", "/cgi-bin/freepublish/delete")
def delete_publish(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    publication = _publication(sb, req, "article_id")
    index = req.json().get("index", 0)
    count = len(publication.articles)
    if not isinstance(index, int) or not 0 <= index <= count:
        raise WxFail(40097, "invalid args: index")
    publication.deleted |= set(range(1, count + 1)) if index == 0 else {index}
    if len(publication.deleted) == count:
        publication.status = 5  # every article deleted by the account
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/freepublish/getarticle")
def get_published_article(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    return {"news_item": _live_articles(_publication(sb, req, "article_id"))}


@route("POST", "/cgi-bin/freepublish/batchget")
def batchget_published(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    offset, count = page_of(body)
    mine = sorted((p for p in draft_state(sb).publications.values()
                   if p.appid == req.appid and p.status == 0),
                  key=lambda p: -p.created_at)
    page = mine[offset:offset + count]
    items = [{"article_id": p.article_id, "update_time": int(p.created_at),
              "content": {"news_item": _no_content(_live_articles(p), body),
                          "create_time": int(p.created_at), "update_time": int(p.created_at)}}
             for p in page]
    return {"total_count": len(mine), "item_count": len(items), "item": items}
