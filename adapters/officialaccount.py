"""The Official Account (公众号) facade: the sync :class:`Client` with every Official Account API.

Methods are declared once, from their builders, in
:class:`wxcore.officialaccount.api.OfficialAccountAPI`; this module adds only what needs I/O,
the clock or randomness (reading uploads, saving downloads, nonces for JS-SDK signatures, the
web-authorization flow with its user-token store).
"""

from __future__ import annotations

from wxcore.officialaccount.api import OfficialAccountAPI

from wxcore.adapters.client import Client

__all__ = ["OfficialAccount"]


class OfficialAccount(OfficialAccountAPI, Client):
    """An Official Account back end's view of WeChat.

    >>> oa = OfficialAccount("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> oa.create_menu(menu_data)                                # doctest: +SKIP
    """

    # -- web authorization and JS-SDK (网页授权 / JS-SDK) ---------------------------------

    # -- media and materials (素材管理) ----------------------------------------------------
