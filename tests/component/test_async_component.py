"""AsyncComponent against the sandbox: its ASGI event URL receives the sandbox's encrypted
pushes (through httpx's ASGITransport), the ticket and refresh token land in the SQLite file a
sync Component reads too, an authorizer's calls go through AsyncComponent's client, and its
token is refreshed single-flight within the loop -- the waiters sharing success or failure."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from component_support import AES_KEY, AUTHORIZER, COMPONENT_APPID, COMPONENT_SECRET, PUSH_TOKEN
from support import FakeClock

from wxcore import AsyncComponent, Component
from wxcore.adapters.asgi import ASGIEndpoint
from wxcore.adapters.credentials import MemoryCredentialStore
from wxcore.adapters.sandbox import AsyncSandboxTransport, SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.component_platform import Platform, add_component, authorize, unauthorize
from wxcore.component.errors import AuthorizationRevokedError, NotAuthorizedError, NoVerifyTicketError
from wxcore.errors import UsageError
from wxcore.messages import Router
from wxcore.adapters.sandbox.pushes import PushSender, event_push
from wxcore.messages.models import AuthorizedPush, UpdateAuthorizedPush, WeappAuditFailEvent

T = TypeVar("T")
MENU = {"button": [{"type": "click", "name": "Today", "key": "V1001_TODAY"}]}
EVENT_URL = "https://platform.example.com/wechat/component"


class Outbox:
    """The sandbox's pushes, queued as WeChat sent them, then posted to the ASGI app."""

    def __init__(self) -> None:
        self.pushes: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, query: dict[str, str], body: bytes) -> bytes:
        self.pushes.append((query, body))
        return b"(queued)"

    async def deliver(self, app: ASGIEndpoint) -> list[httpx.Response]:
        pending, self.pushes = self.pushes, []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            return [await client.post(f"{EVENT_URL}?{urlencode(query)}", content=body)
                    for query, body in pending]


def run(coroutine: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coroutine()
    return asyncio.run(main())


def _platform(sandbox: WeChatSandbox, outbox: Outbox) -> Platform:
    return add_component(sandbox, COMPONENT_APPID, COMPONENT_SECRET, token=PUSH_TOKEN,
                         encoding_aes_key=AES_KEY, target=outbox)


def test_async_component_lifecycle_through_its_asgi_event_url(tmp_path: pathlib.Path) -> None:
    clock = FakeClock()
    sandbox = WeChatSandbox(clock=clock)
    outbox = Outbox()
    platform = _platform(sandbox, outbox)
    db = tmp_path / "platform.sqlite3"
    component = AsyncComponent(COMPONENT_APPID, COMPONENT_SECRET, credential_store=str(db),
                               transport=AsyncSandboxTransport(sandbox), retry=None, clock=clock)
    router = Router()
    authorized: list[str] = []

    @router.info("authorized")
    async def on_authorized(push: AuthorizedPush) -> None:  # awaited on the serving loop
        result = await component.query_auth(push.AuthorizationCode)
        authorized.append(result.authorization_info.authorizer_appid)

    app = component.asgi_app(PUSH_TOKEN, AES_KEY, router)
    token_calls = "/cgi-bin/component/api_authorizer_token"

    async def scenario() -> None:
        with pytest.raises(NoVerifyTicketError, match="no component_verify_ticket"):
            await component.get_component_access_token()

        # WeChat pushes an encrypted ticket to the ASGI event URL, which stores it
        await component.start_push_ticket()
        (answer,) = await outbox.deliver(app)
        assert (answer.status_code, answer.content) == (200, b"success")
        # 30 tasks find the component token cold: one api_component_token for all of them
        tokens = await asyncio.gather(*(component.get_component_access_token()
                                        for _ in range(30)))
        assert len(set(tokens)) == 1 and tokens[0] in platform.tokens
        assert sandbox.calls["/cgi-bin/component/api_component_token"] == 1

        # the merchant authorizes: the authorized push's async handler awaits query_auth
        pre = (await component.create_preauthcode()).pre_auth_code
        authorize(sandbox, component.login_page_url(pre, "https://platform.example.com/ok"),
                  AUTHORIZER)
        (answer,) = await outbox.deliver(app)
        assert answer.content == b"success" and authorized == [AUTHORIZER]

        # an authorizer call through AsyncComponent's client, with the token query_auth cached
        oa = component.official_account(AUTHORIZER)
        assert oa is component.official_account(AUTHORIZER) and oa.component is component
        await oa.create_menu(MENU)
        assert (await oa.get_menu()).menu.button[0].name == "Today"
        assert sandbox.calls[token_calls] == 0

        # the token expires: 50 tasks at once make one refresh from the stored refresh token
        clock.advance(7201)
        menus = await asyncio.gather(*(oa.get_menu() for _ in range(50)))
        assert {m.menu.button[0].name for m in menus} == {"Today"}
        assert sandbox.calls[token_calls] == 1

        # revoked: WeChat refuses the token (40001), the one refresh fails (61003), and
        # every task waiting for it gets that failure
        unauthorize(sandbox, COMPONENT_APPID, AUTHORIZER)
        outcomes = await asyncio.gather(*(oa.get_menu() for _ in range(20)),
                                        return_exceptions=True)
        assert {type(o) for o in outcomes} == {AuthorizationRevokedError}
        assert sandbox.calls[token_calls] == 2
        assert await component.authorizer_refresh_token(AUTHORIZER) is None  # dropped

        # the unauthorized push reaches the event URL too; then calls are refused up front
        (answer,) = await outbox.deliver(app)
        assert answer.content == b"success"
        with pytest.raises(NotAuthorizedError, match=AUTHORIZER):
            await oa.get_menu()
        assert sandbox.calls[token_calls] == 2

    run(scenario)
    # the sync Component reads the same durable file: the ticket the ASGI app stored
    sync = Component(COMPONENT_APPID, COMPONENT_SECRET, credential_store=str(db),
                     transport=SandboxTransport(sandbox), retry=None, clock=clock)
    assert sync.verify_ticket() == platform.tickets[-1][0]
    assert sync.get_component_access_token() in platform.tokens


def test_sync_and_async_components_share_refresh_tokens_in_one_store() -> None:
    clock = FakeClock()
    sandbox = WeChatSandbox(clock=clock)
    outbox = Outbox()
    _platform(sandbox, outbox)
    store = MemoryCredentialStore()
    sync = Component(COMPONENT_APPID, COMPONENT_SECRET, credential_store=store,
                     transport=SandboxTransport(sandbox), retry=None, clock=clock)
    server = sync.push_server(PUSH_TOKEN, AES_KEY)
    sync.start_push_ticket()
    for query, body in outbox.pushes:
        assert server.respond("POST", query, body)[2] == b"success"
    pre = sync.create_preauthcode().pre_auth_code
    redirect = authorize(sandbox, sync.login_page_url(pre, "https://p.example.com/cb"),
                         AUTHORIZER, kind="miniprogram")
    sync.query_auth(dict(parse_qsl(urlsplit(redirect).query))["auth_code"])

    component = AsyncComponent(COMPONENT_APPID, COMPONENT_SECRET, credential_store=store,
                               transport=AsyncSandboxTransport(sandbox), retry=None, clock=clock)

    async def scenario() -> tuple[str, object, list[str]]:
        # a fresh async process: its token comes from the refresh token the sync one stored
        mp = component.mini_program(AUTHORIZER)
        token = await mp.get_access_token()
        refreshed = await component.refresh_authorizer_tokens([AUTHORIZER, "wx0000000000000000"])
        listed = [item.authorizer_appid async for item in component.iter_authorizers()]
        return token, refreshed["wx0000000000000000"], listed

    token, missing, listed = run(scenario)
    issued = sandbox.current_token(AUTHORIZER, "token")
    assert issued is not None and token == issued.value  # the one api_authorizer_token issued
    assert sandbox.calls["/cgi-bin/component/api_authorizer_token"] == 1
    assert isinstance(missing, NotAuthorizedError)
    assert listed == [AUTHORIZER]


def test_updateauthorized_and_code_audit_pushes_reach_the_routes() -> None:
    clock = FakeClock()
    sandbox = WeChatSandbox(clock=clock)
    outbox = Outbox()
    platform = _platform(sandbox, outbox)
    component = AsyncComponent(COMPONENT_APPID, COMPONENT_SECRET,
                               credential_store=MemoryCredentialStore(),
                               transport=AsyncSandboxTransport(sandbox), retry=None, clock=clock)
    router = Router()
    seen: list[tuple[str, str]] = []

    @router.info("updateauthorized")
    def on_update(push: UpdateAuthorizedPush) -> None:  # a plain handler: a worker thread
        component.run_in_loop(component.query_auth(push.AuthorizationCode))
        seen.append(("updateauthorized", push.AuthorizerAppid))

    @router.event("weapp_audit_fail")
    def on_audit(event: WeappAuditFailEvent) -> None:
        seen.append(("weapp_audit_fail", event.Reason))

    app = component.asgi_app(PUSH_TOKEN, AES_KEY, router)

    async def authorize_twice() -> list[httpx.Response]:
        await component.start_push_ticket()
        answers = await outbox.deliver(app)
        for _ in range(2):  # the second authorization of the same account is an update
            pre = (await component.create_preauthcode()).pre_auth_code
            authorize(sandbox, component.login_page_url(pre, "https://p.example.com/ok"),
                      AUTHORIZER, kind="miniprogram")
        answers += await outbox.deliver(app)
        # WeChat's audit result for the authorizer's Mini Program, encrypted for the platform
        audit = event_push("gh_fb9688c2a4b2", "od1P50M-fNQI5Gcq-trm4a7apsU8", "weapp_audit_fail",
                           create_time=int(clock()), Reason="1:the page is empty",
                           FailTime=int(clock()), ScreenShot="")
        signed = PushSender(EVENT_URL, platform.settings, clock=clock).sign(audit)
        outbox(signed.query, signed.body)
        return answers + await outbox.deliver(app)

    answers = run(authorize_twice)
    assert [a.content for a in answers] == [b"success"] * 4
    assert seen == [("updateauthorized", AUTHORIZER), ("weapp_audit_fail", "1:the page is empty")]
    assert run(lambda: component.authorizer_refresh_token(AUTHORIZER)) == (
        platform.authorizers[AUTHORIZER].refresh_token)  # the update's new refresh token


def test_run_in_loop_is_refused_outside_a_push_handler() -> None:
    component = AsyncComponent(COMPONENT_APPID, COMPONENT_SECRET,
                               credential_store=MemoryCredentialStore(),
                               transport=AsyncSandboxTransport(WeChatSandbox()), retry=None)
    with pytest.raises(UsageError, match="inside a plain handler"):
        component.run_in_loop(component.verify_ticket())

    async def on_the_loop() -> None:
        with pytest.raises(UsageError, match="max_concurrency"):
            await component.refresh_authorizer_tokens([], max_concurrency=0)

    run(on_the_loop)
    with pytest.raises(UsageError, match="component_appsecret"):
        AsyncComponent(COMPONENT_APPID, "")
