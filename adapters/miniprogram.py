"""The Mini Program (小程序) facade: the sync :class:`Client` with every Mini Program endpoint.

Method names follow the ones Mini Program developers know (``code2session``,
``get_phone_number``, ...). The methods are declared once, from their builders, in
:class:`wxcore.miniprogram.api.MiniProgramAPI`; this module adds only what needs I/O:
reading an image upload from a path or a file, and saving downloaded media.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, BinaryIO, Literal, TypeVar, Union

from wxcore.endpoint import Call, Media, TableBuilder
from wxcore.errors import UsageError
from wxcore.facade import CHINA_TZ, deferred_module, lazy_method
from wxcore.miniprogram.api import MiniProgramAPI
from wxcore.multipart import File

from wxcore.adapters.client import Client

if TYPE_CHECKING:
    from wxcore.miniprogram import images
else:  # imported on first use, as the other builder modules (wxcore.miniprogram.api)
    images = deferred_module("wxcore.miniprogram.images")

__all__ = ["MiniProgram", "ImageProcessing", "ImageInput", "CHINA_TZ", "read_image"]

R = TypeVar("R")

#: An image to upload: a path, the bytes, an open binary file, or a ready File.
ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, File]


def read_image(img: ImageInput | None) -> File | None:
    """Read ``img`` (path, bytes or binary file) into a checked image :class:`File`."""
    if img is None:
        return None
    if isinstance(img, File):
        return images.image_file(img.content, img.filename)
    if isinstance(img, (bytes, bytearray, memoryview)):
        return images.image_file(bytes(img))
    if isinstance(img, (str, os.PathLike)):
        path = os.fspath(img)
        if not os.path.isfile(path):
            raise UsageError(f"img: no such file {path!r} (pass img_url= for a URL)")
        size = os.path.getsize(path)
        if size >= images.MAX_IMAGE_BYTES:
            raise UsageError(f"img must be smaller than 2 MB (got {size} bytes)")
        with open(path, "rb") as handle:
            return images.image_file(handle.read(), os.path.basename(path))
    read = getattr(img, "read", None)
    if read is None:
        raise UsageError(f"img must be a path, bytes or a binary file (got {type(img).__name__})")
    content = read(images.MAX_IMAGE_BYTES)
    if not isinstance(content, bytes):
        raise UsageError("img file must be opened in binary mode ('rb')")
    name = os.path.basename(str(getattr(img, "name", "") or ""))
    return images.image_file(content, name)


class ReadImage(TableBuilder[R]):
    """An image query whose ``img`` may also be a path or an open binary file (read here)."""

    def __init__(self, query: images.ImageQuery[R]) -> None:
        super().__init__(query.endpoint, query.__name__,
                         f"{query.__doc__}\n\nPass the image as ``img_url=`` or ``img=`` "
                         "(a path, the bytes or a binary file), exactly one.")
        self.query = query

    def __call__(self, img_url: str | None = None, img: ImageInput | None = None) -> Call[R]:
        return self.query(img_url, read_image(img))


class ImageProcessing(Client):
    """Image processing (图像处理), the same ``/cv/img/`` endpoints for a Mini Program and an
    Official Account (both facades inherit these): smart crop and code scanning, the image
    as ``img_url`` or read here from a path, bytes or a binary file."""

    scan_qr_code = lazy_method(lambda: ReadImage(images.scan_qr_code))

    def ai_crop(self, img_url: str | None = None, img: ImageInput | None = None, *,
                ratios: str | list[str] | list[float] | None = None) -> images.AiCropResult:
        """Smart crop (图片智能裁剪); ``img`` may be a path, bytes or a binary file."""
        return self.call(images.ai_crop(img_url, read_image(img), ratios=ratios))


class MiniProgram(MiniProgramAPI, ImageProcessing):
    """A Mini Program back end's view of WeChat.

    >>> mp = MiniProgram("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> session = mp.code2session(js_code)                     # doctest: +SKIP
    """

    # -- images and OCR (图像处理 / OCR): the image is read from a path or file here ------
    # (scan_qr_code and ai_crop: from ImageProcessing above)
    super_resolution = lazy_method(lambda: ReadImage(images.super_resolution))
    ocr_bank_card = lazy_method(lambda: ReadImage(images.ocr_bank_card))
    ocr_business_license = lazy_method(lambda: ReadImage(images.ocr_business_license))
    ocr_driver_license = lazy_method(lambda: ReadImage(images.ocr_driver_license))
    ocr_vehicle_license = lazy_method(lambda: ReadImage(images.ocr_vehicle_license))
    ocr_printed_text = lazy_method(lambda: ReadImage(images.ocr_printed_text))

    def ocr_id_card(self, img_url: str | None = None, img: ImageInput | None = None, *,
                    type: Literal["photo", "scan"] = "photo") -> images.IdCardResult:
        """Read a Chinese ID card (身份证 OCR); ``img`` may be a path, bytes or a binary file."""
        return self.call(images.ocr_id_card(img_url, read_image(img), type=type))

    def get_temp_media(self, media_id: str,
                       path: str | os.PathLike[str] | None = None) -> Media:
        """Download temporary media; with ``path``, also write the bytes there."""
        media = self.call(images.get_temp_media(media_id))
        if path is not None:
            with open(path, "wb") as handle:
                handle.write(media.content)
        return media
