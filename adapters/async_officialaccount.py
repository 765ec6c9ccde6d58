"""The async Official Account (公众号) facade: :class:`AsyncOfficialAccount`.

The same declarations as the sync :class:`~wxcore.adapters.officialaccount.OfficialAccount`
(:class:`wxcore.officialaccount.api.OfficialAccountAPI`) mixed into :class:`AsyncClient`, so
every declared endpoint is a coroutine function, and the uploads, downloads and JS-SDK
signatures of :class:`~wxcore.adapters.oa_methods.OfficialAccountIO` too (files read and
written in worker threads), and web authorization (``web_auth()`` is an
:class:`~wxcore.adapters.webauth.AsyncWebAuth` with async user-token stores;
``authorize_userinfo`` is awaited). Added here: the paged lists as async iterators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from wxcore.endpoint import Call
from wxcore.officialaccount import drafts, media, tags, users
from wxcore.officialaccount.paging import MAX_PAGE, Paged, offset_pages
from wxcore.officialaccount.api import OfficialAccountAPI

from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.async_message_server import AsyncMessageServer
from wxcore.adapters.oa_methods import OfficialAccountIO, PushSetup
from wxcore.adapters.paging import aiter_items
from wxcore.adapters.webauth import AsyncWebAuth, WebAuthSetup

__all__ = ["AsyncOfficialAccount"]

P = TypeVar("P", bound=Paged)


class AsyncOfficialAccount(OfficialAccountAPI, OfficialAccountIO, PushSetup[AsyncMessageServer],
                           WebAuthSetup[AsyncWebAuth], AsyncClient):
    """An Official Account back end's view of WeChat, from asyncio.

    >>> async with AsyncOfficialAccount("wx1234567890abcdef", "appsecret") as oa:  # doctest: +SKIP
    ...     async for openid in oa.iter_followers():
    ...         ...
    ...     result = await oa.authorize_userinfo(callback_url, code, state)
    """

    _server_class = AsyncMessageServer
    _web_auth_class = AsyncWebAuth

    def _openids(self, page: Callable[[str | None], Call[users.OpenidPage]],
                 start: str | None) -> AsyncIterator[str]:
        """Every openid of a paged list, one call per page (:func:`users.openid_pages`); the
        first call is built here, so bad arguments fail at once, not at the first step."""
        return aiter_items(self, users.openid_pages(page, start), lambda page: page.openids)

    def iter_followers(self, next_openid: str | None = None) -> AsyncIterator[str]:
        """Every follower's openid (from the start, or after ``next_openid``), page by page."""
        return self._openids(users.get_followers, next_openid)

    def iter_blacklist(self, begin_openid: str | None = None) -> AsyncIterator[str]:
        """Every blacklisted user's openid, page by page."""
        return self._openids(users.get_blacklist, begin_openid)

    def iter_tag_users(self, tag_id: int, next_openid: str | None = None) -> AsyncIterator[str]:
        """Every openid carrying tag ``tag_id``, page by page."""
        return self._openids(lambda cursor: tags.get_tag_users(tag_id, cursor), next_openid)

    def iter_materials(self, media_type: media.MaterialType) -> AsyncIterator[media.MaterialItem]:
        """Every permanent material of one kind, page after page (batchget_material)."""
        return self._offset_items(lambda offset: media.batchget_material(media_type, offset))

    def iter_drafts(self, *, no_content: bool = False) -> AsyncIterator[drafts.DraftItem]:
        """Every draft, page after page (draft/batchget)."""
        return self._offset_items(lambda offset: drafts.batchget_draft(
            offset, MAX_PAGE, no_content=no_content))

    def iter_published(self, *, no_content: bool = False,
                       ) -> AsyncIterator[drafts.PublishedEntry]:
        """Every successful publication, page after page (freepublish/batchget)."""
        return self._offset_items(lambda offset: drafts.batchget_published(
            offset, MAX_PAGE, no_content=no_content))

    def _offset_items(self, page_at: Callable[[int], Call[P]]) -> AsyncIterator[Any]:
        """The items of an offset list, one call per page (:func:`paging.offset_pages`); the
        first call is built here, so bad arguments fail at once, not at the first step."""
        return aiter_items(self, offset_pages(page_at), lambda page: page.item)
