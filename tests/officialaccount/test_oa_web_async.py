"""Web authorization from asyncio: AsyncOfficialAccount.authorize_userinfo against the
sandbox (in-process on a fake clock, and over loopback HTTP on aiohttp), its async user-token
stores, and users shared with a sync process through one real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import pytest
import redis
from support import FakeClock

from wxcore import AsyncOfficialAccount
from wxcore.errors import UsageError
from wxcore.officialaccount import oauth

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import (
    AsyncSandboxTransport,
    SandboxServer,
    SandboxTransport,
    WeChatSandbox,
    oa_oauth,
)
from wxcore.adapters.webauth import (
    AsyncMemoryUserTokenStore,
    AsyncRedisUserTokenStore,
    AsyncWebAuth,
    MemoryUserTokenStore,
    Redirect,
    RedisUserTokenStore,
)

CALLBACK = "https://shop.example.com/wechat/callback"
EXCHANGE, REFRESH = "/sns/oauth2/access_token", "/sns/oauth2/refresh_token"
T = TypeVar("T")


def run(step: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(step())


@pytest.fixture
def aoa(sandbox: WeChatSandbox, clock: FakeClock) -> AsyncOfficialAccount:
    async def sleep(seconds: float) -> None:
        clock.sleep(seconds)

    app = sandbox.default_app
    return AsyncOfficialAccount(app.appid, app.secret, clock=clock, sleep=sleep,
                                transport=AsyncSandboxTransport(sandbox, sleep=sleep))


def callback(sandbox: WeChatSandbox, redirect: object, user: str) -> dict[str, str]:
    """What WeChat's page sends back to CALLBACK once ``user`` agreed."""
    assert isinstance(redirect, Redirect)
    return dict(parse_qsl(urlsplit(oa_oauth.authorize(sandbox, redirect.url, user)).query))


def test_the_async_flow_from_nothing_to_the_profile_refresh_and_back(
        aoa: AsyncOfficialAccount, sandbox: WeChatSandbox, clock: FakeClock) -> None:
    async def flow() -> list[Any]:
        seen: list[Any] = []
        args = callback(sandbox, await aoa.authorize_userinfo(CALLBACK), "alice")
        info = await aoa.authorize_userinfo(CALLBACK, args["code"], args["state"])
        assert isinstance(info, oauth.UserInfoResult)
        seen.append(info)
        again = await aoa.authorize_userinfo(CALLBACK, openid=info.openid)  # a returning user
        assert isinstance(again, oauth.UserInfoResult)
        seen.append((again.nickname, sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]))
        # the same callback reloaded: its code is spent, the kept token answers instead
        reloaded = await aoa.authorize_userinfo(CALLBACK, args["code"], args["state"],
                                                openid=info.openid)
        assert isinstance(reloaded, oauth.UserInfoResult)
        seen.append(reloaded.nickname)
        clock.advance(7200)  # the web token expired: the refresh token renews it, once
        await aoa.authorize_userinfo(CALLBACK, openid=info.openid)
        latest = await aoa.authorize_userinfo(CALLBACK, openid=info.openid)
        assert isinstance(latest, oauth.UserInfoResult)
        seen.append(latest.nickname)
        seen.append((sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]))
        clock.advance(30 * 86400)  # the refresh token died too: back through WeChat
        seen.append(await aoa.authorize_userinfo(CALLBACK, openid=info.openid))
        seen.append(await aoa.web_auth().store.load(info.openid))
        return seen

    info, returning, reloaded, refreshed, calls, gone, dropped = run(flow)
    assert isinstance(info, oauth.UserInfoResult) and info.nickname == "alice"
    assert info.openid == sandbox.openid_for(aoa.appid, "alice")
    assert returning == ("alice", 1, 0) and reloaded == "alice"
    assert refreshed == "alice"
    assert calls == (2, 1)  # the reloaded code was sent once more (refused: 40163)
    assert isinstance(gone, Redirect) and dropped is None
    store = aoa.web_auth().store
    assert isinstance(store, AsyncMemoryUserTokenStore) and len(store) == 0


def test_wechats_refusals_are_caught_inside_the_awaited_flow(
        aoa: AsyncOfficialAccount, sandbox: WeChatSandbox) -> None:
    """The errors the flow handles arrive at an ``await``: an access token revoked early is
    refreshed once, a refused refresh sends the user back, a decline raises."""

    async def flow() -> list[Any]:
        args = callback(sandbox, await aoa.authorize_userinfo(CALLBACK), "bob")
        info = await aoa.authorize_userinfo(CALLBACK, args["code"], args["state"])
        assert isinstance(info, oauth.UserInfoResult)
        kept = await aoa.web_auth().store.load(info.openid)
        assert kept is not None
        del oa_oauth.oauth_state(sandbox).by_access[kept.access_token]  # 40001 from now on
        early = await aoa.authorize_userinfo(CALLBACK, openid=info.openid)
        renewed = await aoa.web_auth().store.load(info.openid)
        oa_oauth.revoke_user_tokens(sandbox, "bob")  # a password change: 42007 everywhere
        revoked = await aoa.authorize_userinfo(CALLBACK, openid=info.openid)
        with pytest.raises(oauth.AuthorizationRefusedError):
            await aoa.authorize_userinfo(CALLBACK, None, args["state"])
        return [kept, early, renewed, revoked, await aoa.web_auth().store.load(info.openid)]

    kept, early, renewed, revoked, after = run(flow)
    assert early.nickname == "bob" and renewed.access_token != kept.access_token
    assert isinstance(revoked, Redirect) and after is None
    assert sandbox.calls[REFRESH] == 2  # once for the early revocation, once refused


def test_a_state_from_another_session_is_refused_before_the_code_is_spent(
        aoa: AsyncOfficialAccount, sandbox: WeChatSandbox) -> None:
    async def flow() -> None:
        args = callback(sandbox, await aoa.authorize_userinfo(CALLBACK, context="A"), "eve")
        with pytest.raises(oauth.OAuthStateError):
            await aoa.authorize_userinfo(CALLBACK, args["code"], args["state"], context="B")

    run(flow)
    assert sandbox.calls[EXCHANGE] == 0


def test_each_flow_takes_only_stores_of_its_kind(aoa: AsyncOfficialAccount,
                                                 oa: OfficialAccount) -> None:
    with pytest.raises(UsageError, match="AsyncWebAuth needs an async user-token store"):
        aoa.web_auth(store=MemoryUserTokenStore())
    with pytest.raises(UsageError, match="WebAuth needs a sync user-token store"):
        oa.web_auth(store=AsyncMemoryUserTokenStore())
    flow = aoa.web_auth(state_key=b"shared-secret-of-32-bytes-000000")
    assert isinstance(flow, AsyncWebAuth) and aoa.web_auth() is flow


def test_sync_and_async_processes_share_users_through_redis(
        sandbox: WeChatSandbox, clock: FakeClock, redis_url: str) -> None:
    admin = redis.Redis.from_url(redis_url)
    admin.flushdb()
    app, key = sandbox.default_app, b"one-key-for-every-process-0000000"
    sync_oa = OfficialAccount(app.appid, app.secret, clock=clock,
                              transport=SandboxTransport(sandbox, sleep=clock.sleep))
    sync_store = RedisUserTokenStore(redis_url, app.appid, clock=clock)  # a URL: its own pool
    sync_oa.web_auth(store=sync_store, state_key=key)

    async def async_worker() -> tuple[Any, Any, int]:
        async with AsyncRedisUserTokenStore(redis_url, app.appid, clock=clock) as store:
            async with AsyncOfficialAccount(app.appid, app.secret, clock=clock,
                                            transport=AsyncSandboxTransport(sandbox)) as aoa:
                aoa.web_auth(store=store, state_key=key)
                redirect = await aoa.authorize_userinfo(CALLBACK)  # the async worker starts
                args = callback(sandbox, redirect, "hana")
                # ...the callback lands on the sync worker, which keeps the token in Redis
                info = await asyncio.to_thread(sync_oa.authorize_userinfo, CALLBACK,
                                               args["code"], args["state"])
                assert isinstance(info, oauth.UserInfoResult)
                clock.advance(7200)  # expired: the async worker refreshes what sync stored
                again = await aoa.authorize_userinfo(CALLBACK, openid=info.openid)
                ttl = await store.client.ttl(f"wxcore:{app.appid}:user_token:{info.openid}")
        return info, again, ttl

    try:
        info, again, ttl = run(async_worker)
        assert isinstance(info, oauth.UserInfoResult) and again.nickname == "hana"
        assert (sandbox.calls[EXCHANGE], sandbox.calls[REFRESH]) == (1, 1)
        assert 29 * 86400 < ttl <= 30 * 86400
        # the token the async worker refreshed is the one the sync worker now reads
        renewed = sync_store.load(info.openid)
        assert renewed is not None and renewed.expires_at == clock() + 7200
        assert sync_oa.authorize_userinfo(CALLBACK, openid=info.openid).nickname == "hana"  # type: ignore[union-attr]
        assert sandbox.calls[REFRESH] == 1
    finally:
        sync_store.close()
        admin.flushdb()
        admin.close()


def test_over_loopback_http_on_aiohttp(sandbox_server: SandboxServer) -> None:
    app = sandbox_server.sandbox.default_app

    async def flow() -> Any:
        transport = AiohttpTransport.for_base_url(sandbox_server.base_url)
        async with AsyncOfficialAccount(app.appid, app.secret, transport=transport) as aoa:
            args = callback(sandbox_server.sandbox, await aoa.authorize_userinfo(CALLBACK),
                            "ivan")
            return await aoa.authorize_userinfo(CALLBACK, args["code"], args["state"])

    info = run(flow)
    assert isinstance(info, oauth.UserInfoResult) and info.nickname == "ivan"
