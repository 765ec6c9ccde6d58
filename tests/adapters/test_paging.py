"""Paged lists, written once in the core as the calls they take, read by two executors
(``wxcore.adapters.paging``): the sync and the async one make the same calls and yield the
same items, and both build the first call at once."""

from __future__ import annotations

import asyncio

import pytest
from support import FakeClock

from wxcore.errors import UsageError
from wxcore.officialaccount import media, users
from wxcore.officialaccount.paging import offset_pages

from wxcore.adapters.async_officialaccount import AsyncOfficialAccount
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.paging import aiter_items, iter_items
from wxcore.adapters.sandbox import AsyncSandboxTransport, SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.oa_users import SEEDED_FOLLOWERS, users_of


def test_both_executors_make_the_same_calls_and_yield_the_same_items(
        sandbox: WeChatSandbox, clock: FakeClock) -> None:
    app = sandbox.default_app
    pages = SEEDED_FOLLOWERS // users_of(sandbox).page_size
    oa = OfficialAccount(app.appid, app.secret, clock=clock,
                         transport=SandboxTransport(sandbox))
    listed = list(iter_items(oa, users.openid_pages(users.get_followers),
                             lambda page: page.openids))
    assert len(listed) == len(set(listed)) == SEEDED_FOLLOWERS
    assert sandbox.calls["/cgi-bin/user/get"] == pages  # the known total ends the list

    async def main() -> list[str]:
        async with AsyncOfficialAccount(app.appid, app.secret, clock=clock,
                                        transport=AsyncSandboxTransport(sandbox)) as aoa:
            return [openid async for openid in aiter_items(
                aoa, users.openid_pages(users.get_followers), lambda page: page.openids)]

    assert asyncio.run(main()) == listed
    assert sandbox.calls["/cgi-bin/user/get"] == 2 * pages


def test_both_executors_build_the_first_call_at_once(sandbox: WeChatSandbox,
                                                     clock: FakeClock) -> None:
    app = sandbox.default_app
    too_many = offset_pages(lambda offset: media.batchget_material("image", offset, 21))
    oa = OfficialAccount(app.appid, app.secret, clock=clock,
                         transport=SandboxTransport(sandbox))
    with pytest.raises(UsageError, match="count must be between 1 and 20"):
        iter_items(oa, too_many, lambda page: page.item)
    aoa = AsyncOfficialAccount(app.appid, app.secret, clock=clock,
                               transport=AsyncSandboxTransport(sandbox))
    again = offset_pages(lambda offset: media.batchget_material("image", offset, 21))
    with pytest.raises(UsageError, match="count must be between 1 and 20"):
        aiter_items(aoa, again, lambda page: page.item)  # before any await
    assert not sandbox.calls
