"""Sandbox routes for Mini Program images: OCR and image processing, media, wxacode.

The sandbox cannot see pictures, so recognition answers WeChat's documented example shapes
with made-up values. One thing it can read: the codes it drew itself. Every wxacode it
returns is a real PNG (drawn in code, a pattern derived from the content) carrying the
code's content in an ``iTXt`` chunk, and ``cv/img/qrcode`` reads that back from an upload --
so ``get_wxacode_unlimited`` then ``scan_qr_code`` round-trips offline.

Images come as ``img_url`` in the query or a multipart ``img`` field, exactly as WeChat
takes them; neither answers 101000 "invalid image url" (WeChat's answer to a bad
``img_url``, e.g. https://developers.weixin.qq.com/community/develop/doc/000ae8f2f24bc89e9b6b96fa55b800).
Unverified (no WeChat page gives them): 101002 for a non-image upload (WeChat's community
sees 101002 when a picture is not recognised) and 101000 for one of 2 MB or more.

wxacode errcodes: 40159 for a bad ``path`` is documented
(https://developers.weixin.qq.com/miniprogram/dev/server/API/qrcode-link/qr-code/api_createqrcode);
40169 for a bad ``scene`` is WeChat's answer as its community quotes it
(https://developers.weixin.qq.com/community/develop/doc/34c805bcb1db880d33e78246b8ec2211),
not in the API page's table.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import zlib
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from wxcore.http import Response
from wxcore.multipart import File

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route

#: Codes of kinds A and C an app may create in its lifetime.
WXACODE_LIFETIME_CAP = 100_000
_TEXT_KEY = b"wxcore-code"


# -- PNG drawing ----------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def draw_png(content: str, size: int = 430) -> bytes:
    """A grayscale ``size`` x ``size`` PNG whose 21x21 pattern comes from ``content``.

    ``content`` is also stored in an ``iTXt`` chunk, which :func:`read_png_text` reads back.
    """
    cells = 21
    bits = int.from_bytes(hashlib.sha512(content.encode()).digest(), "big")
    cell = max(1, size // cells)
    margin = size - cell * cells

    def dark(cx: int, cy: int) -> bool:
        for fx, fy in ((0, 0), (cells - 7, 0), (0, cells - 7)):  # the three finder squares
            if fx <= cx < fx + 7 and fy <= cy < fy + 7:
                return max(abs(cx - fx - 3), abs(cy - fy - 3)) != 2
        return bool(bits >> ((cy * cells + cx) % 512) & 1)

    rows = []
    for cy in range(cells):
        pixels = b"".join((b"\x00" if dark(cx, cy) else b"\xff") * cell for cx in range(cells))
        rows.append((b"\x00" + pixels + b"\xff" * margin) * cell)
    rows.append((b"\x00" + b"\xff" * size) * margin)
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    text = _TEXT_KEY + b"\x00\x00\x00\x00\x00" + content.encode()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"iTXt", text)
            + _chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + _chunk(b"IEND", b""))


def read_png_text(png: bytes) -> str | None:
    """The content :func:`draw_png` stored in ``png``, or None for any other image."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    prefix = _TEXT_KEY + b"\x00\x00\x00\x00\x00"
    offset = 8
    while offset + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        data = png[offset + 8:offset + 8 + length]
        if kind == b"iTXt" and data.startswith(prefix):
            return data[len(prefix):].decode("utf-8", "replace")
        if kind == b"IEND":
            break
        offset += 12 + length
    return None


def png_response(png: bytes, **headers: str) -> Response:
    return Response(status=200, body=png, headers={"content-type": "image/png", **headers})


# -- state ----------------------------------------------------------------------------------


@dataclass
class ImageState:
    #: media_id -> (bytes, content type, file name)
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    #: codes of kinds A and C created, per app
    codes_created: dict[str, int] = field(default_factory=dict)
    #: pages of the published version; None: every page exists
    pages: set[str] | None = None


def image_state(sb: WeChatSandbox) -> ImageState:
    return sb.group("mp_images", ImageState)


def upload_media(sb: WeChatSandbox, content: bytes, content_type: str = "image/png",
                 filename: str = "media.png") -> str:
    """Store ``content`` as temporary media; its media_id serves cgi-bin/media/get."""
    media_id = secrets.token_urlsafe(24)
    image_state(sb).media[media_id] = (content, content_type, filename)
    return media_id


# -- image input ------------------------------------------------------------------------------


def _header(req: SandboxRequest, name: str) -> str:
    for key, value in req.headers.items():
        if key.lower() == name:
            return value
    return ""


def multipart_parts(req: SandboxRequest) -> dict[str, File]:
    """Every part of a multipart/form-data body by field name, with its file name (empty
    for a plain form field) and media type."""
    content_type = _header(req, "content-type")
    if not content_type.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + req.body)
    parts: dict[str, File] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = File(part.get_filename() or "", payload, part.get_content_type())
    return parts


def multipart_files(req: SandboxRequest) -> dict[str, bytes]:
    """The file parts of a multipart/form-data body, by field name."""
    return {name: part.content for name, part in multipart_parts(req).items()}


def _image(req: SandboxRequest) -> tuple[str, bytes | None]:
    """``("url", None)`` or ``("upload", bytes)``; WeChat's errors when neither works."""
    url = req.query.get("img_url")
    upload = multipart_files(req).get("img")
    if url and upload is None:
        if not url.startswith(("http://", "https://")):
            raise WxFail(101000, "invalid image url or image data")
        return "url", None
    if upload is None or url:
        raise WxFail(101000, "invalid image url or image data")
    if not upload.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM", b"RIFF")):
        raise WxFail(101002, "invalid image data")
    if len(upload) >= 2 * 1024 * 1024:
        raise WxFail(101000, "image is too large")
    return "upload", upload


def _ok(**fields: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **fields}


def _pos(left: int, top: int, right: int, bottom: int) -> dict[str, Any]:
    return {"left_top": {"x": left, "y": top}, "right_top": {"x": right, "y": top},
            "right_bottom": {"x": right, "y": bottom}, "left_bottom": {"x": left, "y": bottom}}


# -- image processing -----------------------------------------------------------------------


@route("POST", "/cv/img/aicrop")
def aicrop(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _image(req)
    form = multipart_parts(req).get("ratios")
    text = form.content.decode() if form is not None else "1"
    ratios = [r for r in text.split(",") if r] or ["1"]
    if len(ratios) > 5:
        raise WxFail(47001, "data format error: at most 5 ratios")
    width, height = 900, 700
    results = []
    for ratio in ratios:
        try:
            value = float(ratio)
        except ValueError:
            raise WxFail(47001, "data format error") from None
        crop_w = min(width, int(height * value))
        crop_h = min(height, int(crop_w / value))
        left, top = (width - crop_w) // 2, (height - crop_h) // 2
        results.append({"crop_left": left, "crop_top": top, "crop_right": left + crop_w,
                        "crop_bottom": top + crop_h})
    return _ok(results=results, img_size={"w": width, "h": height})


@route("POST", "/cv/img/qrcode")
def qrcode(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _, upload = _image(req)
    data = read_png_text(upload) if upload else None
    if upload is not None and data is None:
        return _ok(code_results=[], img_size={"w": 1000, "h": 900})
    size = 430
    return _ok(code_results=[{"type_name": "QR_CODE", "data": data or "https://example.com/p/1",
                              "pos": _pos(0, 0, size, size)}],
               img_size={"w": size, "h": size})


@route("POST", "/cv/img/superresolution")
def superresolution(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _, upload = _image(req)
    content = upload if upload is not None else draw_png(req.query["img_url"], 120)
    return _ok(media_id=upload_media(sb, content, "image/png" if content[:4] == b"\x89PNG"
                                     else "image/jpeg", "superresolution.png"))


# -- OCR --------------------------------------------------------------------------------------


@route("POST", "/cv/ocr/bankcard")
def ocr_bankcard(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _image(req)
    return _ok(number="6222021234567890123")


@route("POST", "/cv/ocr/bizlicense")
def ocr_bizlicense(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _image(req)
    return _ok(reg_num="91440300MA5XXXXX0X", serial="", legal_representative="李四",
               enterprise_name="深圳示例科技有限公司", type_of_organization="",
               address="深圳市南山区某路1号", type_of_enterprise="有限责任公司",
               business_scope="软件开发", registered_capital="100万元", paid_in_capital="",
               valid_period="长期", registered_date="2019年01月01日",
               cert_position={"pos": _pos(155, 157, 743, 525)}, img_size={"w": 966, "h": 728})


@route("POST", "/cv/ocr/drivinglicense")
def ocr_drivinglicense(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _image(req)
    return _ok(id_num="110101199001011234", name="张三", sex="男", nationality="中国",
               address="北京市东城区某街1号", birth_date="1990-01-01", issue_date="2015-06-01",
               car_class="C1", valid_from="2015-06-01", valid_to="2025-06-01",
               official_seal="北京市公安局公安交通管理局")


@route("POST", "/cv/ocr/driving")
def ocr_driving(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _image(req)
    return _ok(plate_num="京A12345", vehicle_type="小型普通客车", owner="张三",
               addr="北京市东城区某街1号", use_character="非营运", model="示例牌SL7000",
               vin="LSVAA4180E2000000", engine_num="123456", register_date="2018-03-01",
               issue_date="2018-03-01", plate_num_b="", record="", passengers_num="5人",
               total_quality="1800kg", prepare_quality="1400kg", overall_size="",
               card_position_front={"pos": _pos(10, 10, 600, 400)},
               card_position_back={"pos": _pos(0, 0, 0, 0)}, img_size={"w": 640, "h": 480})


@route("POST", "/cv/ocr/idcard")
def ocr_idcard(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _image(req)
    if req.query.get("type", "photo") not in ("photo", "scan"):
        raise WxFail(47001, "data format error: type must be photo or scan")
    return _ok(type="Front", name="张三", id="110101199001011234", addr="北京市东城区某街1号",
               gender="男", nationality="汉")


@route("POST", "/cv/ocr/comm")
def ocr_comm(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    _image(req)
    return _ok(items=[{"text": "wxcore sandbox", "pos": _pos(20, 20, 300, 60)},
                      {"text": "示例文字", "pos": _pos(20, 80, 200, 120)}],
               img_size={"w": 640, "h": 480})


# -- temporary media ------------------------------------------------------------------------


@route("GET", "/cgi-bin/media/get")
def media_get(sb: WeChatSandbox, req: SandboxRequest) -> Response:
    found = image_state(sb).media.get(req.query.get("media_id", ""))
    if found is None:
        raise WxFail(40007, "invalid media_id")
    content, content_type, filename = found
    return Response(status=200, body=content,
                    headers={"content-type": content_type,
                             "content-disposition": f'attachment; filename="{filename}"'})


# -- wxacode --------------------------------------------------------------------------------


def _code_body(req: SandboxRequest) -> dict[str, Any]:
    if _header(req, "content-type").startswith("application/x-www-form-urlencoded"):
        raise WxFail(47001, "data format error")
    body = req.json()
    width = body.get("width", 430)
    if not isinstance(width, int) or isinstance(width, bool):
        raise WxFail(47001, "data format error: width")
    body["width"] = min(max(width, 280), 1280)
    return body


def _check_page(sb: WeChatSandbox, page: str | None) -> None:
    pages = image_state(sb).pages
    bare = (page or "").partition("?")[0]
    if pages is not None and bare and bare not in pages:
        raise WxFail(41030, "invalid page")


def _count_code(sb: WeChatSandbox, appid: str) -> int:
    """Count one more code against the A/C cap; how many the app has made now."""
    with sb.lock:
        created = image_state(sb).codes_created.get(appid, 0)
        if created >= WXACODE_LIFETIME_CAP:
            raise WxFail(45029, "qrcode count out of limit")
        image_state(sb).codes_created[appid] = created + 1
        return created + 1


@route("POST", "/wxa/getwxacode")
def getwxacode(sb: WeChatSandbox, req: SandboxRequest) -> Response:
    body = _code_body(req)
    path = body.get("path")
    if not path or not isinstance(path, str) or len(path) > 1024:
        raise WxFail(40159, "invalid length for path, or the data is not json string")
    _check_page(sb, path)
    # WeChat reports the codes made so far in a Num-Used header on this endpoint only
    # (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getQRCode.html).
    used = _count_code(sb, req.appid)
    return png_response(draw_png(path, body["width"]), **{"num-used": str(used)})


@route("POST", "/wxa/getwxacodeunlimit")
def getwxacodeunlimit(sb: WeChatSandbox, req: SandboxRequest) -> Response:
    body = _code_body(req)
    scene = body.get("scene")
    if not scene or not isinstance(scene, str) or len(scene) > 32:
        raise WxFail(40169, "invalid length for scene, or the data is not json string")
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or page.startswith("/") or "?" in page):
        raise WxFail(41030, "invalid page")
    if body.get("check_path", True):
        _check_page(sb, page)
    return png_response(draw_png(scene, body["width"]))


@route("POST", "/cgi-bin/wxaapp/createwxaqrcode")
def createwxaqrcode(sb: WeChatSandbox, req: SandboxRequest) -> Response:
    body = _code_body(req)
    path = body.get("path")
    if not path or not isinstance(path, str) or len(path) > 128:
        raise WxFail(40159, "invalid length for path, or the data is not json string")
    _check_page(sb, path)
    _count_code(sb, req.appid)
    return png_response(draw_png(path, body["width"]))


__all__ = ["draw_png", "read_png_text", "upload_media", "image_state", "ImageState",
           "multipart_files", "WXACODE_LIFETIME_CAP"]
