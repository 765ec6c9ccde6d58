"""Image processing and OCR (图像处理 / OCR) methods, declared once for sync and async facades.

The image is ``img_url=`` or ``img=``: a path, the bytes, or a binary file, read here (in a
worker thread for an async client, see :mod:`wxcore.adapters.io_methods`). Downloaded
temporary media is written to ``path`` the same way.
"""

from __future__ import annotations

import inspect
import os
import typing
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from wxcore.endpoint import Call, Media
from wxcore.facade import deferred_module
from wxcore.multipart import File

from wxcore.adapters.io_methods import Offload, Plan, io_method, send
from wxcore.adapters.uploads import DownloadTarget, ImageInput, in_memory, read_image, save_download

if TYPE_CHECKING:
    from wxcore.miniprogram import images
else:  # imported on first use, as the facades' other builder modules
    images = deferred_module("wxcore.miniprogram.images")

__all__ = ["ImageProcessing", "MiniProgramImages", "ImagePlan", "download"]

R = TypeVar("R")


def _image(img: ImageInput | None) -> Plan[File | None]:
    """Read the image: at once when it is in memory, else as a blocking step."""
    if in_memory(img):
        return read_image(img)
    file: File | None = yield Offload(read_image, img)
    return file


class ImagePlan(Generic[R]):
    """The plan of an image-only endpoint (one row of ``images.IMAGE_QUERIES``), the row
    looked up on first use: a callable stating the row's docs and concrete signature."""

    def __init__(self, name: str, find_query: Callable[[], images.ImageQuery[R]]) -> None:
        self.__name__ = self.__qualname__ = name
        self._find_query = find_query

    @property
    def query(self) -> images.ImageQuery[R]:
        return self._find_query()

    @property
    def __doc__(self) -> str:  # type: ignore[override]  # a property where object has a field
        return (f"{self.query.__doc__}\n\nPass the image as ``img_url=`` or ``img=`` "
                "(a path, the bytes or a binary file), exactly one.")

    @property
    def __signature__(self) -> inspect.Signature:
        returns = inspect.signature(self.query).return_annotation  # Call[Result], from the row
        result = typing.get_args(returns)[0] if typing.get_origin(returns) is Call else Any
        keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
        return inspect.Signature([
            inspect.Parameter("client", keyword, annotation=Any),
            inspect.Parameter("img_url", keyword, default=None, annotation=str | None),
            inspect.Parameter("img", keyword, default=None, annotation=ImageInput | None),
        ], return_annotation=Plan[result])  # type: ignore[valid-type]  # a run-time type

    def __call__(self, client: Any, img_url: str | None = None,
                 img: ImageInput | None = None) -> Plan[R]:
        return (yield from send(client, self.query(img_url, (yield from _image(img)))))


def _ai_crop(client: Any, img_url: str | None = None, img: ImageInput | None = None, *,
             ratios: str | Sequence[str | float] | None = None) -> Plan[images.AiCropResult]:
    """Smart crop (图片智能裁剪); ``img`` may be a path, bytes or a binary file."""
    file = yield from _image(img)
    return (yield from send(client, images.ai_crop(img_url, file, ratios=ratios)))


def _ocr_id_card(client: Any, img_url: str | None = None, img: ImageInput | None = None, *,
                 type: Literal["photo", "scan"] = "photo") -> Plan[images.IdCardResult]:
    """Read a Chinese ID card (身份证 OCR); ``img`` may be a path, bytes or a binary file."""
    file = yield from _image(img)
    return (yield from send(client, images.ocr_id_card(img_url, file, type=type)))


def download(client: Any, call: Call[Media], to: DownloadTarget | None) -> Plan[Media]:
    """Send a download ``call``; with ``to`` (a path or a binary stream), write the bytes there."""
    media = yield from send(client, call)
    if to is not None:
        yield Offload(save_download, media.content, to)
    return media


def _get_temp_media(client: Any, media_id: str,
                    path: str | os.PathLike[str] | None = None) -> Plan[Media]:
    """Download temporary media; with ``path``, also write the bytes there."""
    return (yield from download(client, images.get_temp_media(media_id), path))


class ImageProcessing:
    """Image processing (图像处理): the same ``/cv/img/`` endpoints for a Mini Program and an
    Official Account, sync and async (every such facade inherits these)."""

    scan_qr_code = io_method(ImagePlan("scan_qr_code", lambda: images.scan_qr_code))
    ai_crop = io_method(_ai_crop)


class MiniProgramImages(ImageProcessing):
    """The Mini Program's image and OCR methods, and its temporary-media download."""

    super_resolution = io_method(ImagePlan("super_resolution", lambda: images.super_resolution))
    ocr_bank_card = io_method(ImagePlan("ocr_bank_card", lambda: images.ocr_bank_card))
    ocr_business_license = io_method(ImagePlan("ocr_business_license",
                                                lambda: images.ocr_business_license))
    ocr_driver_license = io_method(ImagePlan("ocr_driver_license",
                                              lambda: images.ocr_driver_license))
    ocr_vehicle_license = io_method(ImagePlan("ocr_vehicle_license",
                                               lambda: images.ocr_vehicle_license))
    ocr_printed_text = io_method(ImagePlan("ocr_printed_text", lambda: images.ocr_printed_text))
    ocr_id_card = io_method(_ocr_id_card)
    get_temp_media = io_method(_get_temp_media)
