"""Media and materials (素材管理): temporary media, permanent materials, article images.

Uploads are multipart/form-data with the file in the field ``media``. Each kind has WeChat's
size and format limits, checked here before anything is sent (the format from the bytes'
magic numbers, not from the file name):

==============================  ===========  ===========================================
upload                          at most      formats
==============================  ===========  ===========================================
temporary image                 10 MB        JPEG, PNG, GIF
temporary voice                 2 MB         AMR, MP3 (and at most 60 s: not checked here)
temporary / permanent video     10 MB        MP4
temporary / permanent thumb     64 KB        JPEG
permanent image                 10 MB        BMP, PNG, JPEG, GIF
permanent voice                 2 MB         MP3, WMA, WAV, AMR (60 s: not checked)
image inside an article         under 1 MB   JPEG, PNG (``media/uploadimg``)
==============================  ===========  ===========================================

Sources: https://developers.weixin.qq.com/doc/service/api/material/temporary/api_uploadtempmedia
(whose notes also say "image 2 MB"; its list and the admin console say 10 MB) and
https://developers.weixin.qq.com/doc/service/api/material/permanent/api_addmaterial.

Reading a file from a path or an open file is I/O, done by the facade
(:mod:`wxcore.adapters.officialaccount`), which then calls these builders with a ``File``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple, cast

import msgspec

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, Media, WxResult, json_body, require
from wxcore.errors import UsageError
from wxcore.miniprogram.images import sniff_image_type
from wxcore.multipart import File
from wxcore.officialaccount.errors import InvalidMediaError, MediaFormatError, errors_of
from wxcore.officialaccount.paging import MAX_PAGE, page_request

__all__ = [
    "MediaType",
    "MaterialType",
    "UploadRule",
    "TEMPORARY_RULES",
    "PERMANENT_RULES",
    "ARTICLE_IMAGE_RULE",
    "sniff_media_format",
    "media_file",
    "UploadMediaResult",
    "TempVideoResult",
    "UploadImageResult",
    "AddMaterialResult",
    "NewsItem",
    "MaterialResult",
    "MaterialCountResult",
    "NewsContent",
    "MaterialItem",
    "MaterialListResult",
    "upload_media",
    "download_media",
    "get_hd_voice",
    "upload_article_image",
    "add_material",
    "get_material",
    "delete_material",
    "get_material_count",
    "batchget_material",
]

MediaType = Literal["image", "voice", "video", "thumb"]
MaterialType = Literal["image", "voice", "video", "news"]

_KB = 1024
_MB = 1024 * 1024


class UploadRule(NamedTuple):
    """What an upload of one kind may be: its size limit and formats (by file extension)."""

    limit: int
    formats: tuple[str, ...]
    strictly_below: bool = False  # "under 1 MB" rather than "at most 10 MB"


TEMPORARY_RULES: Mapping[str, UploadRule] = {
    "image": UploadRule(10 * _MB, ("jpg", "png", "gif")),
    "voice": UploadRule(2 * _MB, ("amr", "mp3")),
    "video": UploadRule(10 * _MB, ("mp4",)),
    "thumb": UploadRule(64 * _KB, ("jpg",)),
}
PERMANENT_RULES: Mapping[str, UploadRule] = {
    "image": UploadRule(10 * _MB, ("bmp", "png", "jpg", "gif")),
    "voice": UploadRule(2 * _MB, ("mp3", "wma", "wav", "amr")),
    "video": UploadRule(10 * _MB, ("mp4",)),
    "thumb": UploadRule(64 * _KB, ("jpg",)),
}
ARTICLE_IMAGE_RULE = UploadRule(_MB, ("jpg", "png"), strictly_below=True)

_AUDIO_VIDEO: tuple[tuple[int, bytes, str, str], ...] = (
    # (offset, magic, extension, media type)
    (0, b"#!AMR", "amr", "audio/amr"),
    (0, b"ID3", "mp3", "audio/mpeg"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "wma", "audio/x-ms-wma"),
    (4, b"ftyp", "mp4", "video/mp4"),
)


def sniff_media_format(content: bytes) -> tuple[str, str] | None:
    """``(extension, media type)`` of an upload recognised by its first bytes, else None."""
    image = sniff_image_type(content)
    if image is not None:
        media_type, extension = image
        return extension, media_type
    for offset, magic, extension, media_type in _AUDIO_VIDEO:
        if content[offset:offset + len(magic)] == magic:
            return extension, media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WAVE":
        return "wav", "audio/wav"
    if len(content) > 1 and content[0] == 0xFF and content[1] & 0xE0 == 0xE0:
        return "mp3", "audio/mpeg"  # an MPEG audio frame without an ID3 tag
    return None


def _size(limit: int) -> str:
    return f"{limit // _MB} MB" if limit >= _MB else f"{limit // _KB} KB"


def media_file(rule: UploadRule, content: bytes, filename: str = "", *,
               name: str = "media") -> File:
    """``content`` as an upload, checked against ``rule``: not empty, within the size limit,
    of an accepted format. The media type comes from the bytes; a missing file name becomes
    ``media.<ext>``. ``name`` is the argument named in errors."""
    if not content:
        raise UsageError(f"{name} is empty")
    too_big = len(content) >= rule.limit if rule.strictly_below else len(content) > rule.limit
    if too_big:
        bound = "smaller than" if rule.strictly_below else "at most"
        raise UsageError(f"{name} must be {bound} {_size(rule.limit)} (got {len(content)} bytes)")
    found = sniff_media_format(content)
    accepted = ", ".join(f.upper() for f in rule.formats)
    if found is None or found[0] not in rule.formats:
        what = f"a {found[0].upper()} file" if found else "not a format WeChat takes here"
        raise UsageError(f"{name} must be {accepted} ({what})")
    extension, media_type = found
    return File(filename or f"media.{extension}", content, media_type)


def _upload(rule: UploadRule, media: File) -> File:
    if not isinstance(media, File):
        raise UsageError("media must be a wxcore.multipart.File (the facade reads paths)")
    return media_file(rule, media.content, media.filename)


# -- result types -------------------------------------------------------------------------


class UploadMediaResult(WxResult, kw_only=True):
    """``media/upload``: the temporary media's id (valid three days). For ``thumb`` WeChat
    may name the id ``thumb_media_id``; :attr:`id` reads either."""

    type: str = ""
    media_id: str = ""
    thumb_media_id: str = ""
    created_at: int = 0

    @property
    def id(self) -> str:
        return self.media_id or self.thumb_media_id


class TempVideoResult(WxResult, kw_only=True):
    """``media/get`` of a video: no bytes, a URL to download it from."""

    video_url: str = ""


class UploadImageResult(WxResult, kw_only=True):
    """``media/uploadimg``: the image's URL, for ``<img src>`` inside an article."""

    url: str = ""


class AddMaterialResult(WxResult, kw_only=True):
    """``material/add_material``: the permanent material's id (``url`` for images only)."""

    media_id: str = ""
    url: str = ""


class NewsItem(msgspec.Struct, kw_only=True):
    """One article of a news material, a draft or a publication (WeChat's field names)."""

    title: str = ""
    author: str = ""
    digest: str = ""
    content: str = ""
    content_source_url: str = ""
    thumb_media_id: str = ""
    show_cover_pic: int = 0
    need_open_comment: int = 0
    only_fans_can_comment: int = 0
    url: str = ""
    thumb_url: str = ""
    article_type: str = ""
    is_deleted: bool = False


class MaterialResult(WxResult, kw_only=True):
    """``material/get_material`` of a video (``title``, ``description``, ``down_url``) or of
    a news material (``news_item``); other kinds answer bytes (:class:`Media`)."""

    title: str = ""
    description: str = ""
    down_url: str = ""
    news_item: list[NewsItem] = []


class MaterialCountResult(WxResult, kw_only=True):
    """``material/get_materialcount``: how many permanent materials of each kind."""

    voice_count: int = 0
    video_count: int = 0
    image_count: int = 0
    news_count: int = 0


class NewsContent(msgspec.Struct, kw_only=True):
    """The articles of a news material, a draft or a publication, with their times."""

    news_item: list[NewsItem] = []
    create_time: int = 0
    update_time: int = 0


class MaterialItem(msgspec.Struct, kw_only=True):
    """One entry of a material list: a file (``name``, ``url``) or news (``content``)."""

    media_id: str = ""
    name: str = ""
    update_time: int = 0
    url: str = ""
    content: NewsContent | None = None


class MaterialListResult(WxResult, kw_only=True):
    """``material/batchget_material``: one page of permanent materials of one kind."""

    total_count: int = 0
    item_count: int = 0
    item: list[MaterialItem] = []


# -- endpoints ----------------------------------------------------------------------------


_MEDIA_ERRORS = errors_of(InvalidMediaError, MediaFormatError)
_OA = "officialaccount."

UPLOAD_MEDIA = Endpoint(_OA + "upload_media", "POST", "/cgi-bin/media/upload", UploadMediaResult,
                        errors=_MEDIA_ERRORS)
DOWNLOAD_MEDIA = Endpoint(_OA + "download_media", "GET", "/cgi-bin/media/get", TempVideoResult,
                          response="binary", errors=_MEDIA_ERRORS)
GET_HD_VOICE = Endpoint(_OA + "get_hd_voice", "GET", "/cgi-bin/media/get/jssdk", Media,
                        response="binary", errors=_MEDIA_ERRORS)
UPLOAD_ARTICLE_IMAGE = Endpoint(_OA + "upload_article_image", "POST", "/cgi-bin/media/uploadimg",
                                UploadImageResult, errors=_MEDIA_ERRORS)
ADD_MATERIAL = Endpoint(_OA + "add_material", "POST", "/cgi-bin/material/add_material",
                        AddMaterialResult, errors=_MEDIA_ERRORS)
GET_MATERIAL = Endpoint(_OA + "get_material", "POST", "/cgi-bin/material/get_material",
                        MaterialResult, response="binary", idempotent=True,  # a read
                        errors=_MEDIA_ERRORS)
DELETE_MATERIAL = Endpoint(_OA + "delete_material", "POST", "/cgi-bin/material/del_material",
                           WxResult, errors=_MEDIA_ERRORS)
GET_MATERIAL_COUNT = Endpoint(_OA + "get_material_count", "GET",
                              "/cgi-bin/material/get_materialcount", MaterialCountResult)
BATCHGET_MATERIAL = Endpoint(_OA + "batchget_material", "POST",
                             "/cgi-bin/material/batchget_material", MaterialListResult,
                             idempotent=True)


# -- builders -----------------------------------------------------------------------------


@checked
def upload_media(media_type: MediaType, media: File) -> Call[UploadMediaResult]:
    """Upload temporary media (新增临时素材), kept by WeChat for three days."""
    upload = _upload(TEMPORARY_RULES[media_type], media)
    return UPLOAD_MEDIA.call(query={"type": media_type}, files={"media": upload})


@checked
def download_media(media_id: str) -> Call[Media | TempVideoResult]:
    """Download temporary media (获取临时素材): the bytes (:class:`Media`, with WeChat's
    headers), or for a video a :class:`TempVideoResult` with its ``video_url``."""
    require(media_id=media_id)
    call = DOWNLOAD_MEDIA.call(query={"media_id": media_id})
    # The binary endpoint answers Media for bytes and the result type for JSON.
    return cast("Call[Media | TempVideoResult]", call)


@checked
def get_hd_voice(media_id: str) -> Call[Media]:
    """Download a voice clip recorded with the JS-SDK's uploadVoice in high definition
    (高清语音素材: speex, 16 kHz), better for speech recognition than ``download_media``."""
    require(media_id=media_id)
    return GET_HD_VOICE.call(query={"media_id": media_id})


@checked
def upload_article_image(media: File) -> Call[UploadImageResult]:
    """Upload an image for use inside an article's content (上传图文消息内的图片获取URL);
    JPEG or PNG under 1 MB. It does not count against the material library's limit."""
    return UPLOAD_ARTICLE_IMAGE.call(files={"media": _upload(ARTICLE_IMAGE_RULE, media)})


@checked
def add_material(media_type: MediaType, media: File, *, title: str | None = None,
                 introduction: str | None = None) -> Call[AddMaterialResult]:
    """Add a permanent material (新增永久素材). A video needs ``title`` and ``introduction``
    (sent as the form field ``description``); other kinds take neither."""
    upload = _upload(PERMANENT_RULES[media_type], media)
    form: dict[str, str] = {}
    if media_type == "video":
        require(title=title, introduction=introduction)
        form["description"] = json_body({"title": title, "introduction": introduction}).decode()
    elif title is not None or introduction is not None:
        raise UsageError(f"title and introduction describe a video; not a {media_type}")
    return ADD_MATERIAL.call(query={"type": media_type}, files={"media": upload}, form=form)


@checked
def get_material(media_id: str) -> Call[Media | MaterialResult]:
    """Get a permanent material (获取永久素材): bytes (:class:`Media`) for an image, voice or
    thumb; a :class:`MaterialResult` for a video (``down_url``) or news (``news_item``)."""
    require(media_id=media_id)
    call = GET_MATERIAL.call(json={"media_id": media_id})
    return cast("Call[Media | MaterialResult]", call)


@checked
def delete_material(media_id: str) -> Call[WxResult]:
    """Delete a permanent material (删除永久素材); it cannot be undone."""
    require(media_id=media_id)
    return DELETE_MATERIAL.call(json={"media_id": media_id})


def get_material_count() -> Call[MaterialCountResult]:
    """How many permanent materials of each kind the account holds (获取素材总数)."""
    return GET_MATERIAL_COUNT.call()


@checked
def batchget_material(media_type: MaterialType, offset: int = 0,
                      count: int = MAX_PAGE) -> Call[MaterialListResult]:
    """One page of permanent materials of one kind (获取素材列表); ``count``: 1 to 20.
    The facade's ``iter_materials`` reads every page."""
    return BATCHGET_MATERIAL.call(json={"type": media_type, **page_request(offset, count)})
