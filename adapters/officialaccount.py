"""The Official Account (公众号) facade: the sync :class:`Client` with every Official Account API.

Methods are declared once, from their builders, in
:class:`wxcore.officialaccount.api.OfficialAccountAPI`; this module adds only what needs I/O,
the clock or randomness (reading uploads, saving downloads, nonces for JS-SDK signatures, the
web-authorization flow with its user-token store).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from wxcore.endpoint import Call, Media
from wxcore.officialaccount import qrcode, tags, users
from wxcore.officialaccount.api import OfficialAccountAPI

from wxcore.adapters.client import Client

__all__ = ["OfficialAccount"]


class OfficialAccount(OfficialAccountAPI, Client):
    """An Official Account back end's view of WeChat.

    >>> oa = OfficialAccount("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> oa.create_menu(menu_data)                                # doctest: +SKIP
    """

    # -- web authorization and JS-SDK (网页授权 / JS-SDK) ---------------------------------

    # -- QR codes and users (二维码 / 用户管理): downloads and paging ------------------------

    def show_qrcode(self, ticket: str, path: str | os.PathLike[str] | None = None) -> Media:
        """Download a QR code's image from mp.weixin.qq.com; with ``path``, also save it there."""
        media = self.call(qrcode.show_qrcode(ticket))
        if path is not None:
            with open(path, "wb") as handle:
                handle.write(media.content)
        return media

    def _openids(self, page: Callable[[str | None], Call[users.OpenidPage]],
                 start: str | None) -> Iterator[str]:
        """Every openid of a paged list: one call per page, as :func:`users.next_cursor` says.

        The first call is built here, so bad arguments fail at once, not at the first next().
        """
        first = page(start)

        def openids() -> Iterator[str]:
            call, seen = first, 0
            while True:
                result = self.call(call)
                seen += len(result.openids)
                yield from result.openids
                cursor = users.next_cursor(result, seen)
                if cursor is None:
                    return
                call = page(cursor)

        return openids()

    def iter_followers(self, next_openid: str | None = None) -> Iterator[str]:
        """Every follower's openid (from the start, or after ``next_openid``), page by page."""
        return self._openids(users.get_followers, next_openid)

    def iter_blacklist(self, begin_openid: str | None = None) -> Iterator[str]:
        """Every blacklisted user's openid, page by page."""
        return self._openids(users.get_blacklist, begin_openid)

    def iter_tag_users(self, tag_id: int, next_openid: str | None = None) -> Iterator[str]:
        """Every openid carrying tag ``tag_id``, page by page."""
        return self._openids(lambda cursor: tags.get_tag_users(tag_id, cursor), next_openid)

    # -- media and materials (素材管理) ----------------------------------------------------
