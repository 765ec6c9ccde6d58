"""The async Mini Program (小程序) facade: :class:`AsyncMiniProgram`.

The same declarations as the sync :class:`~wxcore.adapters.miniprogram.MiniProgram`
(:class:`wxcore.miniprogram.api.MiniProgramAPI` and
:class:`~wxcore.adapters.image_methods.MiniProgramImages`) mixed into :class:`AsyncClient`,
so every endpoint method is a coroutine function. An image given as a path or an open file
is read in a worker thread, and a downloaded media file is written in one
(:mod:`wxcore.adapters.io_methods`), so the event loop never waits on the disk.
"""

from __future__ import annotations

from wxcore.miniprogram.api import MiniProgramAPI

from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.image_methods import MiniProgramImages

__all__ = ["AsyncMiniProgram"]


class AsyncMiniProgram(MiniProgramAPI, MiniProgramImages, AsyncClient):
    """A Mini Program back end's view of WeChat, from asyncio.

    >>> async with AsyncMiniProgram("wx1234567890abcdef", "appsecret") as mp:  # doctest: +SKIP
    ...     session = await mp.code2session(js_code)
    """
