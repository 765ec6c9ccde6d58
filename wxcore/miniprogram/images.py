"""Image processing and OCR (图像处理 / OCR, ``/cv/...``) and temporary media download.

Every ``/cv/`` endpoint takes its image in exactly one of two ways: ``img_url`` -- an image
URL sent URL-encoded in the query string with an empty body -- or an upload: a
multipart/form-data file field named ``img``, smaller than 2 MB. Builders take
``img_url=...`` or ``img=File(...)``; the upload is checked here (size, and that the bytes
are an image: JPEG, PNG, GIF, BMP or WebP by their magic numbers). Reading a file from a path
or an open file is I/O, done by the facade, which then calls :func:`image_file`.

One table declares the endpoints and one helper builds every call, so the ten builders
below are one line each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec

from wxcore.endpoint import Call, Endpoint, Media, TableBuilder, WxResult
from wxcore.errors import UsageError
from wxcore.checks import checked, exactly_one, max_length, one_of
from wxcore.miniprogram.errors import InvalidMediaError, errors_of
from wxcore.multipart import File

__all__ = [
    "MAX_IMAGE_BYTES",
    "sniff_image_type",
    "image_file",
    "Point",
    "Position",
    "PositionBox",
    "ImgSize",
    "CropResult",
    "AiCropResult",
    "CodeResult",
    "ScanQRCodeResult",
    "SuperResolutionResult",
    "BankCardResult",
    "BusinessLicenseResult",
    "DriverLicenseResult",
    "VehicleLicenseResult",
    "IdCardResult",
    "TextItem",
    "PrintedTextResult",
    "ai_crop",
    "scan_qr_code",
    "super_resolution",
    "ocr_bank_card",
    "ocr_business_license",
    "ocr_driver_license",
    "ocr_vehicle_license",
    "ocr_id_card",
    "ocr_printed_text",
    "get_temp_media",
    "ImageQuery",
    "IMAGE_QUERIES",
]

R = TypeVar("R")

#: WeChat's limit for an uploaded ``img``.
MAX_IMAGE_BYTES = 2 * 1024 * 1024

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"BM", "image/bmp", "bmp"),
)


def sniff_image_type(content: bytes) -> tuple[str, str] | None:
    """``(media type, file extension)`` of an image recognised by its first bytes, else None."""
    for magic, media_type, extension in _MAGIC:
        if content.startswith(magic):
            return media_type, extension
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def image_file(content: bytes, filename: str = "", *, name: str = "img") -> File:
    """An image upload, checked: not empty, under 2 MB, and really an image.

    The media type comes from the bytes, not from the file name; a missing name becomes
    ``image.<ext>``. ``name`` is the argument named in errors.
    """
    if not content:
        raise UsageError(f"{name} is empty")
    if len(content) >= MAX_IMAGE_BYTES:
        raise UsageError(f"{name} must be smaller than 2 MB (got {len(content)} bytes)")
    kind = sniff_image_type(content)
    if kind is None:
        raise UsageError(f"{name} is not a JPEG, PNG, GIF, BMP or WebP image")
    media_type, extension = kind
    return File(filename or f"image.{extension}", content, media_type)


# -- result types -------------------------------------------------------------------------


class Point(msgspec.Struct, kw_only=True):
    x: int = 0
    y: int = 0


class Position(msgspec.Struct, kw_only=True):
    """Four corners of a detected region, in pixels."""

    left_top: Point = msgspec.field(default_factory=Point)
    right_top: Point = msgspec.field(default_factory=Point)
    right_bottom: Point = msgspec.field(default_factory=Point)
    left_bottom: Point = msgspec.field(default_factory=Point)


class PositionBox(msgspec.Struct, kw_only=True):
    """WeChat wraps some positions once more: ``{"pos": {...}}``."""

    pos: Position = msgspec.field(default_factory=Position)


class ImgSize(msgspec.Struct, kw_only=True):
    w: int = 0
    h: int = 0


class CropResult(msgspec.Struct, kw_only=True):
    crop_left: int = 0
    crop_top: int = 0
    crop_right: int = 0
    crop_bottom: int = 0


class AiCropResult(WxResult, kw_only=True):
    """``cv/img/aicrop``: suggested crops, one per requested ratio."""

    results: list[CropResult] = []
    img_size: ImgSize = msgspec.field(default_factory=ImgSize)


class CodeResult(msgspec.Struct, kw_only=True):
    """One code found: ``type_name`` (QR_CODE, EAN_13, ...), its ``data``, and ``pos``
    (only for QR and DataMatrix codes)."""

    type_name: str = ""
    data: str = ""
    pos: Position | None = None


class ScanQRCodeResult(WxResult, kw_only=True):
    """``cv/img/qrcode``: every barcode, QR, DataMatrix and PDF417 code in the image."""

    code_results: list[CodeResult] = []
    img_size: ImgSize = msgspec.field(default_factory=ImgSize)


class SuperResolutionResult(WxResult, kw_only=True):
    """``cv/img/superresolution``: fetch the enlarged image with get_temp_media(media_id)."""

    media_id: str = ""


class BankCardResult(WxResult, kw_only=True):
    """``cv/ocr/bankcard``: the card number."""

    number: str = ""


class BusinessLicenseResult(WxResult, kw_only=True):
    """``cv/ocr/bizlicense`` (营业执照)."""

    reg_num: str = ""
    serial: str = ""
    legal_representative: str = ""
    enterprise_name: str = ""
    type_of_organization: str = ""
    address: str = ""
    type_of_enterprise: str = ""
    business_scope: str = ""
    registered_capital: str = ""
    paid_in_capital: str = ""
    valid_period: str = ""
    registered_date: str = ""
    cert_position: PositionBox | None = None
    img_size: ImgSize = msgspec.field(default_factory=ImgSize)


class DriverLicenseResult(WxResult, kw_only=True):
    """``cv/ocr/drivinglicense`` (驾驶证, the driver's licence)."""

    id_num: str = ""
    name: str = ""
    sex: str = ""
    nationality: str = ""
    address: str = ""
    birth_date: str = ""
    issue_date: str = ""
    car_class: str = ""
    valid_from: str = ""
    valid_to: str = ""
    official_seal: str = ""


class VehicleLicenseResult(WxResult, kw_only=True):
    """``cv/ocr/driving`` (行驶证, the vehicle's licence)."""

    plate_num: str = ""
    vehicle_type: str = ""
    owner: str = ""
    addr: str = ""
    use_character: str = ""
    model: str = ""
    vin: str = ""
    engine_num: str = ""
    register_date: str = ""
    issue_date: str = ""
    plate_num_b: str = ""
    record: str = ""
    passengers_num: str = ""
    total_quality: str = ""
    prepare_quality: str = ""
    overall_size: str = ""
    card_position_front: PositionBox | None = None
    card_position_back: PositionBox | None = None
    img_size: ImgSize = msgspec.field(default_factory=ImgSize)


class IdCardResult(WxResult, kw_only=True):
    """``cv/ocr/idcard``: ``type`` is ``Front`` (name, id, addr, gender, nationality) or
    ``Back`` (valid_date, e.g. ``20070105-20270105``)."""

    type: str = ""
    name: str = ""
    id: str = ""
    addr: str = ""
    gender: str = ""
    nationality: str = ""
    valid_date: str = ""


class TextItem(msgspec.Struct, kw_only=True):
    text: str = ""
    pos: Position = msgspec.field(default_factory=Position)


class PrintedTextResult(WxResult, kw_only=True):
    """``cv/ocr/comm``: lines of printed text with their positions."""

    items: list[TextItem] = []
    img_size: ImgSize = msgspec.field(default_factory=ImgSize)


# -- endpoints ----------------------------------------------------------------------------


def _cv(name: str, path: str, result: type[R]) -> Endpoint[R]:
    # Recognition only reads the image: resending after a lost answer is harmless.
    return Endpoint(f"miniprogram.{name}", "POST", f"/cv/{path}", result, idempotent=True)


AI_CROP = _cv("ai_crop", "img/aicrop", AiCropResult)
OCR_ID_CARD = _cv("ocr_id_card", "ocr/idcard", IdCardResult)

GET_TEMP_MEDIA = Endpoint(
    "miniprogram.get_temp_media",
    "GET",
    "/cgi-bin/media/get",
    Media,
    response="binary",
    errors=errors_of(InvalidMediaError),
)


def _image_call(endpoint: Endpoint[R], img_url: str | None, img: File | None,
                form: dict[str, str] | None = None, **extra: str | None) -> Call[R]:
    """The call with the image as ``img_url`` in the query, or as the multipart field ``img``;
    ``form`` fields go in a multipart body either way, ``extra`` in the query."""
    if exactly_one(img_url=img_url, img=img) == "img_url":
        assert img_url is not None
        if not img_url.startswith(("http://", "https://")):
            raise UsageError(f"img_url must be an http(s) URL (got {img_url[:40]!r})")
        max_length("img_url", img_url, 2048)
        if form:
            return endpoint.call(query={"img_url": img_url, **extra}, files={}, form=form)
        return endpoint.call(query={"img_url": img_url, **extra})
    if not isinstance(img, File):
        raise UsageError("img must be a wxcore.multipart.File (see image_file)")
    checked = image_file(img.content, img.filename)
    return endpoint.call(query=extra, files={"img": checked}, form=form)


@checked
def ai_crop(img_url: str | None = None, img: File | None = None, *,
            ratios: str | Sequence[str | float] | None = None) -> Call[AiCropResult]:
    """Smart crop (图片智能裁剪); ``ratios``: up to five width/height ratios, e.g. ``["1", "2.35"]``."""
    text: str | None = None
    if ratios is not None:
        items = ratios.split(",") if isinstance(ratios, str) else [str(r) for r in ratios]
        items = [item.strip() for item in items if item.strip()]
        if not 1 <= len(items) <= 5:
            raise UsageError(f"ratios must list 1 to 5 width/height ratios (got {len(items)})")
        for item in items:
            try:
                if float(item) <= 0:
                    raise ValueError
            except ValueError:
                raise UsageError(f"ratios must be positive numbers (got {item!r})") from None
        text = ",".join(items)
    # ratios is a form field, with an upload and with img_url alike (the doc's curl examples:
    # https://developers.weixin.qq.com/doc/service/api/openpoc/image/api_imgaicrop.html).
    return _image_call(AI_CROP, img_url, img, form={"ratios": text} if text else None)


@checked
def ocr_id_card(img_url: str | None = None, img: File | None = None, *,
                type: str = "photo") -> Call[IdCardResult]:
    """Read either side of a Chinese ID card (身份证 OCR); ``type``: ``photo`` or ``scan``."""
    one_of("type", type, ("photo", "scan"))
    return _image_call(OCR_ID_CARD, img_url, img, type=type)


class ImageQuery(TableBuilder[R]):
    """A ``/cv/`` endpoint that takes only the image: one row of the table below."""

    def __init__(self, name: str, path: str, result: type[R], doc: str) -> None:
        super().__init__(_cv(name, path, result), name, doc)

    @checked
    def __call__(self, img_url: str | None = None, img: File | None = None) -> Call[R]:
        return _image_call(self.endpoint, img_url, img)


scan_qr_code = ImageQuery("scan_qr_code", "img/qrcode", ScanQRCodeResult,
                          "Read the barcodes and QR codes in an image (条码/二维码识别).")
super_resolution = ImageQuery("super_resolution", "img/superresolution", SuperResolutionResult,
                              "Enlarge an image (图片高清化); the result is a temporary media_id.")
ocr_bank_card = ImageQuery("ocr_bank_card", "ocr/bankcard", BankCardResult,
                           "Read a bank card's number (银行卡 OCR).")
ocr_business_license = ImageQuery("ocr_business_license", "ocr/bizlicense",
                                  BusinessLicenseResult, "Read a business licence (营业执照 OCR).")
ocr_driver_license = ImageQuery("ocr_driver_license", "ocr/drivinglicense", DriverLicenseResult,
                                "Read a driver's licence (驾驶证 OCR).")
ocr_vehicle_license = ImageQuery("ocr_vehicle_license", "ocr/driving", VehicleLicenseResult,
                                 "Read a vehicle licence (行驶证 OCR).")
ocr_printed_text = ImageQuery("ocr_printed_text", "ocr/comm", PrintedTextResult,
                              "Read printed text (通用印刷体 OCR).")

#: The image-only endpoints, for tests, the sandbox and docs.
IMAGE_QUERIES: tuple[ImageQuery[Any], ...] = (
    scan_qr_code, super_resolution, ocr_bank_card, ocr_business_license, ocr_driver_license,
    ocr_vehicle_license, ocr_printed_text,
)


@checked
def get_temp_media(media_id: str) -> Call[Media]:
    """Download a temporary media file (an image, a voice clip) as bytes."""
    return GET_TEMP_MEDIA.call(query={"media_id": media_id})
