"""The async Official Account (公众号) facade: :class:`AsyncOfficialAccount`.

The same declarations as the sync :class:`~wxcore.adapters.officialaccount.OfficialAccount`
(:class:`wxcore.officialaccount.api.OfficialAccountAPI`) mixed into :class:`AsyncClient`, so
every declared endpoint is a coroutine function, and the uploads, downloads and JS-SDK
signatures of :class:`~wxcore.adapters.oa_methods.OfficialAccountIO` too (files read and
written in worker threads). Added here: the paged lists as async iterators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from wxcore.endpoint import Call
from wxcore.officialaccount import drafts, media, tags, users
from wxcore.officialaccount.paging import MAX_PAGE, OffsetPage, next_offset
from wxcore.officialaccount.api import OfficialAccountAPI

from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.async_message_server import AsyncMessageServer
from wxcore.adapters.oa_methods import OfficialAccountIO, PushSetup

__all__ = ["AsyncOfficialAccount"]

P = TypeVar("P", bound=OffsetPage)


class AsyncOfficialAccount(OfficialAccountAPI, OfficialAccountIO, PushSetup[AsyncMessageServer],
                           AsyncClient):
    """An Official Account back end's view of WeChat, from asyncio.

    >>> async with AsyncOfficialAccount("wx1234567890abcdef", "appsecret") as oa:  # doctest: +SKIP
    ...     async for openid in oa.iter_followers():
    ...         ...
    """

    _server_class = AsyncMessageServer

    def _openids(self, page: Callable[[str | None], Call[users.OpenidPage]],
                 start: str | None) -> AsyncIterator[str]:
        """Every openid of a paged list, one call per page (the first built at once, so bad
        arguments fail here, not at the first ``async for`` step)."""
        first = page(start)

        async def openids() -> AsyncIterator[str]:
            call, seen = first, 0
            while True:
                result = await self.call(call)
                seen += len(result.openids)
                for openid in result.openids:
                    yield openid
                cursor = users.next_cursor(result, seen)
                if cursor is None:
                    return
                call = page(cursor)

        return openids()

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
        return self._items(self._pages(lambda offset: media.batchget_material(media_type, offset)))

    def iter_drafts(self, *, no_content: bool = False) -> AsyncIterator[drafts.DraftItem]:
        """Every draft, page after page (draft/batchget)."""
        return self._items(self._pages(lambda offset: drafts.batchget_draft(
            offset, MAX_PAGE, no_content=no_content)))

    def iter_published(self, *, no_content: bool = False,
                       ) -> AsyncIterator[drafts.PublishedEntry]:
        """Every successful publication, page after page (freepublish/batchget)."""
        return self._items(self._pages(lambda offset: drafts.batchget_published(
            offset, MAX_PAGE, no_content=no_content)))

    @staticmethod
    async def _items(pages: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for page in pages:
            for item in page.item:
                yield item

    def _pages(self, page_at: Callable[[int], Call[P]]) -> AsyncIterator[P]:
        """The pages of an offset list, one call each (see :func:`paging.next_offset`); the
        first call is built at once, so bad arguments fail here."""
        first = page_at(0)

        async def pages() -> AsyncIterator[P]:
            call, offset = first, 0
            while True:
                page = await self.call(call)
                yield page
                following = next_offset(offset, page)
                if following is None:
                    return
                call, offset = page_at(following), following

        return pages()
