"""The Mini Program (小程序) facade: the sync :class:`Client` with every Mini Program endpoint.

Method names follow the ones Mini Program developers know (``code2session``,
``get_phone_number``, ...). The methods are declared once, from their builders, in
:class:`wxcore.miniprogram.api.MiniProgramAPI`; those that read an image or save a download
in :class:`~wxcore.adapters.image_methods.MiniProgramImages`, shared with the async facade.
"""

from __future__ import annotations

from wxcore.facade import CHINA_TZ
from wxcore.miniprogram.api import MiniProgramAPI

from wxcore.adapters.client import Client
from wxcore.adapters.image_methods import ImageProcessing, MiniProgramImages
from wxcore.adapters.uploads import ImageInput, read_image

__all__ = ["MiniProgram", "ImageProcessing", "ImageInput", "CHINA_TZ", "read_image"]


class MiniProgram(MiniProgramAPI, MiniProgramImages, Client):
    """A Mini Program back end's view of WeChat.

    >>> mp = MiniProgram("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> session = mp.code2session(js_code)                     # doctest: +SKIP
    """
