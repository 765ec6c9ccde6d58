"""The Official Account (公众号) facade: the sync :class:`Client` with every Official Account API.

Methods are declared once, from their builders, in
:class:`wxcore.officialaccount.api.OfficialAccountAPI`, and those reading uploads, saving
downloads or signing JS-SDK configs in :class:`~wxcore.adapters.oa_methods.OfficialAccountIO`
and the web-authorization flow in :class:`~wxcore.adapters.webauth.WebAuthSetup` (all
shared with the async facade); this module adds sync paging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from wxcore.endpoint import Call
from wxcore.officialaccount import drafts, media, tags, users
from wxcore.officialaccount.api import OfficialAccountAPI
from wxcore.officialaccount.paging import MAX_PAGE, Paged, offset_pages

from wxcore.adapters.client import Client
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.oa_methods import OfficialAccountIO, PushSetup
from wxcore.adapters.paging import iter_items
from wxcore.adapters.webauth import WebAuth, WebAuthSetup

__all__ = ["OfficialAccount"]

P = TypeVar("P", bound=Paged)


class OfficialAccount(OfficialAccountAPI, OfficialAccountIO, PushSetup[MessageServer],
                      WebAuthSetup[WebAuth], Client):
    """An Official Account back end's view of WeChat.

    >>> oa = OfficialAccount("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> oa.create_menu(menu_data)                                # doctest: +SKIP

    Uploads, downloads, JS-SDK signatures and image processing (``ai_crop``,
    ``scan_qr_code``, the Mini Program's ``/cv/img/`` endpoints) come from
    :class:`~wxcore.adapters.oa_methods.OfficialAccountIO`, shared with the async facade;
    web authorization (``web_auth()``, ``authorize_userinfo``) from
    :class:`~wxcore.adapters.webauth.WebAuthSetup`.
    """

    _server_class = MessageServer
    _web_auth_class = WebAuth

    # -- QR codes and users (二维码 / 用户管理): downloads and paging ------------------------

    def _openids(self, page: Callable[[str | None], Call[users.OpenidPage]],
                 start: str | None) -> Iterator[str]:
        """Every openid of a paged list, one call per page (:func:`users.openid_pages`); the
        first call is built here, so bad arguments fail at once, not at the first next()."""
        return iter_items(self, users.openid_pages(page, start), lambda page: page.openids)

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

    def iter_materials(self, media_type: media.MaterialType) -> Iterator[media.MaterialItem]:
        """Every permanent material of one kind, page after page (batchget_material)."""
        return self._offset_items(lambda offset: media.batchget_material(media_type, offset))

    # -- drafts and publishing (草稿箱 / 发布能力) ------------------------------------------

    def iter_drafts(self, *, no_content: bool = False) -> Iterator[drafts.DraftItem]:
        """Every draft, page after page (draft/batchget)."""
        return self._offset_items(lambda offset: drafts.batchget_draft(
            offset, MAX_PAGE, no_content=no_content))

    def iter_published(self, *, no_content: bool = False) -> Iterator[drafts.PublishedEntry]:
        """Every successful publication, page after page (freepublish/batchget)."""
        return self._offset_items(lambda offset: drafts.batchget_published(
            offset, MAX_PAGE, no_content=no_content))

    def _offset_items(self, page_at: Callable[[int], Call[P]]) -> Iterator[Any]:
        """The items of an offset list, one call per page (:func:`paging.offset_pages`); the
        first call is built here, so bad arguments fail at once, not at the first next()."""
        return iter_items(self, offset_pages(page_at), lambda page: page.item)
