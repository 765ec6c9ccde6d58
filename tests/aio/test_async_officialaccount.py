"""AsyncOfficialAccount: the Official Account declarations as coroutines, async paging and
the JS-SDK config, against the in-process sandbox."""

from __future__ import annotations

import asyncio
import inspect

from support import FakeClock

from wxcore.officialaccount import jssdk

from wxcore.adapters.async_officialaccount import AsyncOfficialAccount
from wxcore.adapters.sandbox import AsyncSandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.oa_users import SEEDED_FOLLOWERS, follow, users_of


def test_declarations_are_coroutines_and_paging_is_an_async_iterator(
        sandbox: WeChatSandbox, clock: FakeClock) -> None:
    app = sandbox.default_app
    assert inspect.iscoroutinefunction(AsyncOfficialAccount.create_menu)

    async def main() -> None:
        oa = AsyncOfficialAccount(app.appid, app.secret, clock=clock,
                                  transport=AsyncSandboxTransport(sandbox))
        first = await oa.get_followers()
        assert first.total == SEEDED_FOLLOWERS and first.count == users_of(sandbox).page_size
        everyone = [openid async for openid in oa.iter_followers()]
        assert len(everyone) == len(set(everyone)) == SEEDED_FOLLOWERS
        assert everyone[:first.count] == first.openids
        assert sandbox.calls["/cgi-bin/user/get"] == 1 + 3  # 300 followers, 100 a page
        newcomer = follow(sandbox, "dora")
        assert [o async for o in oa.iter_followers(everyone[-2])] == [everyone[-1], newcomer]

    asyncio.run(main())


def test_jsapi_config_is_signed_with_the_fetched_ticket(sandbox: WeChatSandbox,
                                                        clock: FakeClock) -> None:
    app = sandbox.default_app

    async def main() -> tuple[dict[str, object], str]:
        oa = AsyncOfficialAccount(app.appid, app.secret, clock=clock,
                                  transport=AsyncSandboxTransport(sandbox))
        config = await oa.jsapi_config("https://example.com/page#top", ["chooseImage"])
        return config, await oa.get_jsapi_ticket()

    config, ticket = asyncio.run(main())
    assert config["timestamp"] == int(clock())
    assert config["signature"] == jssdk.jsapi_signature(
        ticket, str(config["nonceStr"]), int(clock()), "https://example.com/page")
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 1
