"""Sandbox routes for Official Account media and materials (素材管理).

Temporary media are kept three days (then 40007, as WeChat does), per app; images, voice and
thumbs download as bytes with their type and file name, a video answers ``video_url``.
Permanent materials are counted, listed newest first, fetched and deleted. Uploads are
checked with WeChat's size and format limits (40004 bad type, 40005 bad format, 40006 too
big, 41005 no ``media`` part). Test hooks: :func:`expire_media`.

``cgi-bin/media/get`` serves the Mini Program's temporary media too (its route in
``mp_images`` is wrapped: ids this module does not know go on to it).

Not modelled (unsure or unneeded offline): voice length (60 s), the library's size caps,
``down_url`` and ``video_url`` pointing anywhere real (they name an ``.invalid`` host).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import msgspec

from wxcore.http import Response
from wxcore.multipart import File
from wxcore.officialaccount.media import (
    ARTICLE_IMAGE_RULE,
    PERMANENT_RULES,
    TEMPORARY_RULES,
    UploadRule,
    sniff_media_format,
)

from wxcore.adapters.sandbox import mp_images
from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part

__all__ = ["TEMP_MEDIA_LIFETIME", "MediaState", "media_state", "expire_media", "material_ids",
           "page_of", "state_snapshot"]

#: Temporary media live three days.
TEMP_MEDIA_LIFETIME = 3 * 86400.0
_FAKE_HOST = "https://mmbiz.sandbox.invalid"


@dataclass
class StoredMedia:
    appid: str
    media_type: str
    file: File
    created_at: float
    title: str = ""
    introduction: str = ""
    url: str = ""


@dataclass
class MediaState:
    temporary: dict[str, StoredMedia] = field(default_factory=dict)
    materials: dict[str, StoredMedia] = field(default_factory=dict)
    article_images: dict[str, StoredMedia] = field(default_factory=dict)


def media_state(sb: WeChatSandbox) -> MediaState:
    return sb.group("oa_media", MediaState)


def expire_media(sb: WeChatSandbox, media_id: str) -> None:
    """Age temporary media ``media_id`` past its three days (a test hook)."""
    stored = media_state(sb).temporary[media_id]
    stored.created_at = sb.clock() - TEMP_MEDIA_LIFETIME - 1


def material_ids(sb: WeChatSandbox, appid: str, media_type: str | None = None) -> set[str]:
    """The permanent materials of ``appid`` (of one kind), for the draft routes' checks."""
    return {media_id for media_id, m in media_state(sb).materials.items()
            if m.appid == appid and (media_type is None or m.media_type == media_type)}


@oa_part("media")
def state_snapshot(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """What the console shows of ``appid``'s media: live temporary media, material counts."""
    state, now = media_state(sb), sb.clock()
    temporary = [{"media_id": mid, "type": m.media_type, "bytes": len(m.file.content),
                  "expires_at": int(m.created_at + TEMP_MEDIA_LIFETIME)}
                 for mid, m in state.temporary.items()
                 if m.appid == appid and now < m.created_at + TEMP_MEDIA_LIFETIME]
    counts: dict[str, int] = {}
    for m in state.materials.values():
        if m.appid == appid:
            counts[m.media_type] = counts.get(m.media_type, 0) + 1
    if not temporary and not counts:
        return {}
    return {"temporary": temporary[-20:], "materials": counts}


def _new_id() -> str:
    return secrets.token_urlsafe(48)


def _upload(req: SandboxRequest, rule: UploadRule) -> File:
    """The ``media`` part, checked as WeChat checks it."""
    upload = mp_images.multipart_parts(req).get("media")
    if upload is None or not upload.filename:
        raise WxFail(41005, "media data missing")
    if len(upload.content) > rule.limit or (rule.strictly_below and len(upload.content) == rule.limit):
        raise WxFail(40006, "invalid meida size")  # sic: WeChat's own spelling
    found = sniff_media_format(upload.content)
    if found is None or found[0] not in rule.formats:
        raise WxFail(40005, "invalid file type")
    return upload


def _media_type(req: SandboxRequest, allowed: tuple[str, ...]) -> str:
    kind = req.query.get("type", "")
    if kind not in allowed:
        raise WxFail(40004, "invalid media type")
    return kind


def _bytes(stored: StoredMedia) -> Response:
    return Response(status=200, body=stored.file.content, headers={
        "content-type": stored.file.content_type,
        "content-disposition": f'attachment; filename="{stored.file.filename}"'})


# -- temporary media -----------------------------------------------------------------------


@route("POST", "/cgi-bin/media/upload")
def upload_media(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    kind = _media_type(req, tuple(TEMPORARY_RULES))
    upload = _upload(req, TEMPORARY_RULES[kind])
    media_id, now = _new_id(), sb.clock()
    media_state(sb).temporary[media_id] = StoredMedia(req.appid, kind, upload, now)
    id_field = "thumb_media_id" if kind == "thumb" else "media_id"
    return {"type": kind, id_field: media_id, "created_at": int(now)}


def _temporary(sb: WeChatSandbox, req: SandboxRequest) -> StoredMedia | None:
    stored = media_state(sb).temporary.get(req.query.get("media_id", ""))
    if stored is None or stored.appid != req.appid:
        return None
    if sb.clock() >= stored.created_at + TEMP_MEDIA_LIFETIME:
        raise WxFail(40007, "invalid media_id")
    return stored


@route("GET", "/cgi-bin/media/get")
def download_media(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any] | Response:
    stored = _temporary(sb, req)
    if stored is None:  # perhaps a Mini Program's media (super_resolution, ...)
        return mp_images.media_get(sb, req)
    if stored.media_type == "video":
        return {"video_url": f"{_FAKE_HOST}/video/{req.query['media_id']}.mp4"}
    return _bytes(stored)


@route("GET", "/cgi-bin/media/get/jssdk")
def get_hd_voice(sb: WeChatSandbox, req: SandboxRequest) -> Response:
    stored = _temporary(sb, req)
    if stored is None or stored.media_type != "voice":
        raise WxFail(40007, "invalid media_id")
    # WeChat answers the JS-SDK recording as speex; the sandbox hands back what it was given.
    return Response(status=200, body=stored.file.content, headers={
        "content-type": "voice/speex",
        "content-disposition": f'attachment; filename="{stored.file.filename}"'})


@route("POST", "/cgi-bin/media/uploadimg")
def upload_article_image(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    upload = _upload(req, ARTICLE_IMAGE_RULE)
    image_id = secrets.token_hex(16)
    url = f"{_FAKE_HOST}/mmbiz_{upload.filename.rsplit('.', 1)[-1]}/{image_id}/0"
    media_state(sb).article_images[image_id] = StoredMedia(req.appid, "image", upload,
                                                           sb.clock(), url=url)
    return {"url": url}


# -- permanent materials ----------------------------------------------------------------------


@route("POST", "/cgi-bin/material/add_material")
def add_material(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    kind = _media_type(req, tuple(PERMANENT_RULES))
    upload = _upload(req, PERMANENT_RULES[kind])
    stored = StoredMedia(req.appid, kind, upload, sb.clock())
    if kind == "video":
        # WeChat's errcode for a missing description is not documented; 40097 is a guess.
        description = mp_images.multipart_parts(req).get("description")
        try:
            info = msgspec.json.decode(description.content) if description else None
        except msgspec.DecodeError:
            info = None
        if not isinstance(info, dict) or not info.get("title"):
            raise WxFail(40097, "invalid args: description")
        stored.title, stored.introduction = str(info["title"]), str(info.get("introduction", ""))
    media_id = _new_id()
    answer: dict[str, Any] = {"media_id": media_id}
    if kind == "image":
        stored.url = answer["url"] = f"{_FAKE_HOST}/mmbiz_png/{media_id[:24]}/0?wx_fmt=png"
    media_state(sb).materials[media_id] = stored
    return answer


def _material(sb: WeChatSandbox, req: SandboxRequest) -> tuple[str, StoredMedia]:
    media_id = str(req.json().get("media_id", ""))
    stored = media_state(sb).materials.get(media_id)
    if stored is None or stored.appid != req.appid:
        raise WxFail(40007, "invalid media_id")
    return media_id, stored


@route("POST", "/cgi-bin/material/get_material")
def get_material(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any] | Response:
    media_id, stored = _material(sb, req)
    if stored.media_type == "video":
        return {"title": stored.title, "description": stored.introduction,
                "down_url": f"{_FAKE_HOST}/video/{media_id[:24]}.mp4"}
    return _bytes(stored)


@route("POST", "/cgi-bin/material/del_material")
def delete_material(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    media_id, _ = _material(sb, req)
    del media_state(sb).materials[media_id]
    return {"errcode": 0, "errmsg": "ok"}


@route("GET", "/cgi-bin/material/get_materialcount")
def get_material_count(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    counts = {f"{kind}_count": 0 for kind in ("voice", "video", "image", "news")}
    for stored in media_state(sb).materials.values():
        if stored.appid == req.appid and f"{stored.media_type}_count" in counts:
            counts[f"{stored.media_type}_count"] += 1
    return counts


def page_of(body: dict[str, Any]) -> tuple[int, int]:
    """``offset`` and ``count`` of a batchget body, with WeChat's 40097 when out of range."""
    offset, count = body.get("offset", 0), body.get("count", 20)
    if not isinstance(offset, int) or not isinstance(count, int) or offset < 0 \
            or not 1 <= count <= 20:
        raise WxFail(40097, "invalid args: offset or count")
    return offset, count


@route("POST", "/cgi-bin/material/batchget_material")
def batchget_material(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    kind = body.get("type")
    if kind not in ("image", "voice", "video", "news"):
        raise WxFail(40004, "invalid media type")
    offset, count = page_of(body)
    mine = sorted(((mid, m) for mid, m in media_state(sb).materials.items()
                   if m.appid == req.appid and m.media_type == kind),
                  key=lambda pair: -pair[1].created_at)
    page = mine[offset:offset + count]
    items = [{"media_id": mid, "name": m.file.filename, "update_time": int(m.created_at),
              "url": m.url} for mid, m in page]
    return {"total_count": len(mine), "item_count": len(items), "item": items}
