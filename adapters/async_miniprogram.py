"""The async Mini Program (小程序) facade: :class:`AsyncMiniProgram`.

The same declarations as the sync :class:`~wxcore.adapters.miniprogram.MiniProgram`
(:class:`wxcore.miniprogram.api.MiniProgramAPI`) mixed into :class:`AsyncClient`, so every
endpoint method is a coroutine function. What needs I/O is written here without blocking the
event loop: an image given as a path or an open file is read in a worker thread
(``asyncio.to_thread``), and a downloaded media file is written in one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

from wxcore.endpoint import Media
from wxcore.miniprogram import images
from wxcore.miniprogram.api import MiniProgramAPI
from wxcore.multipart import File

from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.miniprogram import ImageInput, read_image

__all__ = ["AsyncMiniProgram", "aread_image"]

R = TypeVar("R")


async def aread_image(img: ImageInput | None) -> File | None:
    """:func:`~wxcore.adapters.miniprogram.read_image`, reading paths and files off the loop."""
    if img is None or isinstance(img, (File, bytes, bytearray, memoryview)):
        return read_image(img)  # already in memory: checking it is quick
    return await asyncio.to_thread(read_image, img)


def _image_method(query: images.ImageQuery[R]) -> Callable[..., Coroutine[Any, Any, R]]:
    async def function(self: AsyncMiniProgram, img_url: str | None = None,
                       img: ImageInput | None = None) -> R:
        return await self.call(query(img_url, await aread_image(img)))

    function.__name__ = function.__qualname__ = query.__name__
    function.__doc__ = (f"{query.__doc__}\n\nPass the image as ``img_url=`` or ``img=`` "
                        "(a path, the bytes or a binary file, read off the event loop).")
    return function


def _write(path: str | os.PathLike[str], content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)


class AsyncMiniProgram(MiniProgramAPI, AsyncClient):
    """A Mini Program back end's view of WeChat, from asyncio.

    >>> async with AsyncMiniProgram("wx1234567890abcdef", "appsecret") as mp:  # doctest: +SKIP
    ...     session = await mp.code2session(js_code)
    """

    # -- images and OCR (图像处理 / OCR): a path or file is read in a worker thread ------
    scan_qr_code = _image_method(images.scan_qr_code)
    super_resolution = _image_method(images.super_resolution)
    ocr_bank_card = _image_method(images.ocr_bank_card)
    ocr_business_license = _image_method(images.ocr_business_license)
    ocr_driver_license = _image_method(images.ocr_driver_license)
    ocr_vehicle_license = _image_method(images.ocr_vehicle_license)
    ocr_printed_text = _image_method(images.ocr_printed_text)

    async def ai_crop(self, img_url: str | None = None, img: ImageInput | None = None, *,
                      ratios: str | list[str] | list[float] | None = None) -> images.AiCropResult:
        """Smart crop (图片智能裁剪); ``img`` may be a path, bytes or a binary file."""
        return await self.call(images.ai_crop(img_url, await aread_image(img), ratios=ratios))

    async def ocr_id_card(self, img_url: str | None = None, img: ImageInput | None = None, *,
                          type: Literal["photo", "scan"] = "photo") -> images.IdCardResult:
        """Read a Chinese ID card (身份证 OCR); ``img`` may be a path, bytes or a binary file."""
        return await self.call(images.ocr_id_card(img_url, await aread_image(img), type=type))

    async def get_temp_media(self, media_id: str,
                             path: str | os.PathLike[str] | None = None) -> Media:
        """Download temporary media; with ``path``, also write the bytes there (off the loop)."""
        media = await self.call(images.get_temp_media(media_id))
        if path is not None:
            await asyncio.to_thread(_write, path, media.content)
        return media
