"""The async Official Account (公众号) facade: :class:`AsyncOfficialAccount`.

The same declarations as the sync :class:`~wxcore.adapters.officialaccount.OfficialAccount`
(:class:`wxcore.officialaccount.api.OfficialAccountAPI`) mixed into :class:`AsyncClient`, so
every declared endpoint is a coroutine function. Added here: the paged openid lists as async
iterators and the JS-SDK ``wx.config``. The sync facade's upload, download and web-auth
helpers have no async version yet (docs/async.md lists them).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from wxcore.endpoint import Call
from wxcore.officialaccount import jssdk, tags, users
from wxcore.officialaccount.api import OfficialAccountAPI

from wxcore.adapters.async_client import AsyncClient

__all__ = ["AsyncOfficialAccount"]


class AsyncOfficialAccount(OfficialAccountAPI, AsyncClient):
    """An Official Account back end's view of WeChat, from asyncio.

    >>> async with AsyncOfficialAccount("wx1234567890abcdef", "appsecret") as oa:  # doctest: +SKIP
    ...     async for openid in oa.iter_followers():
    ...         ...
    """

    async def jsapi_config(self, url: str, js_api_list: Sequence[str] = (), *,
                           open_tag_list: Sequence[str] = (),
                           debug: bool = False) -> dict[str, Any]:
        """The ``wx.config`` object for page ``url``, signed with the cached jsapi_ticket."""
        ticket = await self.get_jsapi_ticket()
        return jssdk.jsapi_config(self.appid, ticket, url, secrets.token_hex(8), int(self.now()),
                                  js_api_list, open_tag_list, debug)

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
