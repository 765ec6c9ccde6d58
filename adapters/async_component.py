"""The third-party platform (component) from asyncio: :class:`AsyncComponent` and the async
clients acting for its authorizers.

The same declarations as the sync :class:`~wxcore.adapters.component.Component`
(:class:`~wxcore.component.api.ComponentAPI`) on :class:`AsyncClient`, and the same flows
(:mod:`wxcore.adapters.component_flows`: tickets, refresh tokens, pushes), answered with
``await``:

* durable credentials in an :class:`~wxcore.adapters.async_credentials.AsyncCredentialStore`
  (a path means SQLite, used in worker threads; ``AsyncRedisCredentialStore`` for
  ``redis.asyncio``) -- the same keys and records as the sync component's, so both can share
  one store;
* the component's and the authorizers' tokens in an async token store, each refreshed
  single-flight within the event loop (:class:`AsyncCachedTokenProvider`: the tasks that
  wait share the outcome, the token or the error);
* :meth:`AsyncComponent.official_account` / :meth:`AsyncComponent.mini_program`:
  :class:`AsyncOfficialAccount` / :class:`AsyncMiniProgram` clients with the authorizer's
  token, sharing the component's transport and token store;
* :meth:`AsyncComponent.asgi_app`: the authorization event URL as an ASGI application (an
  :class:`~wxcore.adapters.async_message_server.AsyncMessageServer`: async handlers welcome).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from wxcore.component import authorization
from wxcore.component.api import CodeManagementAPI, ComponentAPI
from wxcore.component.authorization import AuthorizerListItem, QueryAuthResult
from wxcore.errors import UsageError, WxError
from wxcore.messages import PushSettings, Router
from wxcore.messages.models import Push
from wxcore.messages.replies import ReplyLike
from wxcore.messages.router import Handler
from wxcore.officialaccount.oauth import OAuthTokenResult, Scope
from wxcore.policy import DEFAULT_POLICY, CallPolicy
from wxcore.tokens import Token

from wxcore.adapters.asgi import ASGIEndpoint
from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.async_credentials import (
    AsyncCredentialStore,
    ThreadedCredentialStore,
    as_async_credential_store,
)
from wxcore.adapters.async_miniprogram import AsyncMiniProgram
from wxcore.adapters.async_officialaccount import AsyncOfficialAccount
from wxcore.adapters.async_tokens import (
    AsyncCachedTokenProvider,
    AsyncMemoryTokenStore,
    AsyncTokenProvider,
    AsyncTokenStore,
    Immediate,
    arun_steps,
)
from wxcore.adapters.async_transport import AsyncTransport
from wxcore.adapters.component_flows import (
    AuthorizerFetch,
    ComponentFlows,
    ComponentPushRouter,
    Flow,
    check_authorizer_appid,
    component_push_settings,
    acting_client,
    authorizer_authorize_url,
    authorizer_pages,
    no_store_warning,
)
from wxcore.adapters.credentials import CredentialStore, MemoryCredentialStore, SQLiteCredentialStore
from wxcore.adapters.async_message_server import AsyncMessageServer, AsyncSeenStore
from wxcore.adapters.paging import aiter_items
from wxcore.adapters.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from wxcore.adapters.tokens import SecretProvider

__all__ = ["AsyncComponent", "AsyncAuthorizerOfficialAccount", "AsyncAuthorizerMiniProgram"]

R = TypeVar("R")

# The event loop serving a push, seen by the worker thread a plain handler runs in
# (asyncio.to_thread copies the context), so run_in_loop() can reach back to it.
_SERVING_LOOP: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "wxcore_component_loop", default=None)


class _AsyncActing:
    """An authorizer's client uses the component's transport: closing it leaves that open."""

    component: AsyncComponent

    async def aclose(self) -> None:
        pass


class AsyncAuthorizerOfficialAccount(_AsyncActing, AsyncOfficialAccount):
    """An authorized Official Account, from asyncio, every call with its authorizer token;
    its web authorization runs through the component (as the sync
    :class:`~wxcore.adapters.component.AuthorizerOfficialAccount`'s does)."""

    def authorize_url(self, redirect_uri: str, scope: Scope = "snsapi_base",
                      state: str | None = None, force_popup: bool | None = None,
                      force_snap_shot: bool | None = None) -> str:
        """The web-authorization URL for this account, run by the component."""
        return authorizer_authorize_url(self.component.appid, self.appid, redirect_uri, scope,
                                        state, force_popup, force_snap_shot)

    authorize = authorize_url

    async def get_user_access_token(self, code: str) -> OAuthTokenResult:
        """Exchange the callback's ``code`` (``sns/oauth2/component/access_token``)."""
        return await self.component.get_oauth_access_token(self.appid, code)

    async def refresh_user_access_token(self, refresh_token: str) -> OAuthTokenResult:
        """Renew a user's web token (``sns/oauth2/component/refresh_token``)."""
        return await self.component.refresh_oauth_access_token(self.appid, refresh_token)

    get_web_access_token = auth_access_token = get_user_access_token
    update_web_access_token = refresh_user_access_token


class AsyncAuthorizerMiniProgram(_AsyncActing, CodeManagementAPI, AsyncMiniProgram):
    """An authorized Mini Program, from asyncio, with the platform's code management."""


def _async_store(store: AsyncCredentialStore | CredentialStore | str | os.PathLike[str] | None,
                 appid: str) -> AsyncCredentialStore:
    if isinstance(store, (str, os.PathLike)):
        return ThreadedCredentialStore(SQLiteCredentialStore(store))
    if store is None:
        no_store_warning(appid)
        return ThreadedCredentialStore(MemoryCredentialStore())
    return as_async_credential_store(store)


class _EveryPush(ComponentPushRouter):
    """The user's routes, with a handler for every push (:func:`_no_route` where they have
    none), so that each push reaches :meth:`_AsyncPushServer.run_handler`, which absorbs it."""

    def resolve(self, message: Push) -> Handler:
        handler = None if self.user is None else self.user.resolve(message)
        return _no_route if handler is None else handler


async def _no_route(message: Push) -> None:
    """What a push without a route of the user's runs: nothing beyond the absorbing."""


class _AsyncPushServer(AsyncMessageServer):
    """The async component's event URL: each push is absorbed on the loop (awaited), then
    the user's route runs as any handler does (``async def`` awaited, plain ones in a
    worker thread that sees the serving loop, for :meth:`AsyncComponent.run_in_loop`)."""

    def __init__(self, component: AsyncComponent, router: Router | None,
                 settings: PushSettings, *, dedup: AsyncSeenStore | None | str) -> None:
        super().__init__(_EveryPush(component.absorb_push, router), settings, dedup=dedup,
                         clock=component._clock)
        self.component = component

    async def run_handler(self, handler: Handler, message: Push) -> ReplyLike:
        await self.component.absorb_push(message)
        if handler is _no_route:
            return None
        marker = _SERVING_LOOP.set(asyncio.get_running_loop())
        try:
            return await super().run_handler(handler, message)
        finally:
            _SERVING_LOOP.reset(marker)


class AsyncComponent(ComponentFlows, ComponentAPI, AsyncClient):
    """A third-party platform's view of WeChat, from asyncio (see :class:`Component`).

    >>> component = AsyncComponent("wx_component_appid", "appsecret",
    ...                            credential_store="/var/lib/app/wxcore.sqlite3")  # doctest: +SKIP
    >>> oa = component.official_account("wx_authorizer_appid")                    # doctest: +SKIP
    >>> await oa.create_menu(menu_data)                                           # doctest: +SKIP
    """

    def __init__(
        self,
        component_appid: str,
        component_appsecret: str,
        *,
        credential_store: AsyncCredentialStore | CredentialStore | str | os.PathLike[str] | None = None,
        token_store: AsyncTokenStore | None = None,
        token_provider: AsyncTokenProvider | None = None,
        transport: AsyncTransport | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY_POLICY,
        policy: CallPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not component_appsecret:
            raise UsageError("component_appsecret is required")
        self.credential_store: AsyncCredentialStore = _async_store(credential_store,
                                                                   component_appid)
        shared: AsyncTokenStore = token_store if token_store is not None else AsyncMemoryTokenStore()
        super().__init__(component_appid, None, transport=transport, retry=retry,
                         token_store=shared, policy=policy, clock=clock, sleep=sleep)
        self.token_store: AsyncTokenStore = shared
        self.add_credential("component_secret", Immediate(SecretProvider(
            component_appsecret, "component appsecret")))
        self.component_token_provider: AsyncTokenProvider = token_provider or AsyncCachedTokenProvider(
            lambda rejected: self._run(self._component_token_flow(rejected)),
            key=self.store_key("component_access_token"), store=shared, clock=clock)
        self.add_credential("component_access_token", self.component_token_provider)
        self._authorizer_tokens: dict[str, AsyncCachedTokenProvider] = {}
        self._clients: dict[tuple[type, str], AsyncClient] = {}

    # -- running the flows with this client's async stores ---------------------------------

    async def _run(self, flow: Flow[R]) -> R:
        return await arun_steps(flow, self._answer)

    # -- the component_verify_ticket and the component_access_token ------------------------

    async def save_verify_ticket(self, ticket: str) -> None:
        """Store ``ticket`` durably (what the ``component_verify_ticket`` push does)."""
        await self._run(self._save_ticket_flow(ticket))

    async def verify_ticket(self) -> str:
        """The latest stored component_verify_ticket (``NoVerifyTicketError`` if none)."""
        return (await self._run(self._ticket_flow())).value

    async def get_component_access_token(self) -> str:
        """The component_access_token (fetched from the stored ticket when due)."""
        return (await self.component_token_provider.get()).value

    fetch_access_token = get_component_access_token  # wechatpy's name

    # -- pushes to the authorization event URL -------------------------------------------

    async def absorb_push(self, message: Push) -> None:
        """Store a ticket push; forget an authorizer that revoked its authorization."""
        await self._run(self._absorb_flow(message))

    def run_in_loop(self, awaitable: Coroutine[Any, Any, R]) -> R:
        """From a plain push handler (run in a worker thread), run ``awaitable`` on the event
        loop serving the push and wait for its result; an ``async def`` handler awaits."""
        loop = _SERVING_LOOP.get()
        if loop is None:
            awaitable.close()
            raise UsageError("run_in_loop() works inside a plain handler of "
                             "AsyncComponent.push_server()'s routes")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run_coroutine_threadsafe(awaitable, loop).result()
        awaitable.close()
        raise UsageError("run_in_loop() was called on the event loop itself: await instead")

    def push_server(self, token: str, encoding_aes_key: str, router: Router | None = None, *,
                    dedup: AsyncSeenStore | None | str = "memory") -> AsyncMessageServer:
        """The authorization event URL's message server (``.asgi_app``, or :meth:`asgi_app`).

        Each push is absorbed on the loop first (a ticket stored, a revoked authorizer
        forgotten), then ``router``'s route runs: an ``async def`` handler on the loop (it can
        ``await component.query_auth(...)``), a plain one in a worker thread (where
        :meth:`run_in_loop` reaches this component). Every push is answered ``success``.
        """
        return _AsyncPushServer(self, router,
                                component_push_settings(self.appid, token, encoding_aes_key),
                                dedup=dedup)

    def asgi_app(self, token: str, encoding_aes_key: str, router: Router | None = None, *,
                 dedup: AsyncSeenStore | None | str = "memory") -> ASGIEndpoint:
        """The authorization event URL as an ASGI application (uvicorn, Starlette, FastAPI):
        :meth:`push_server`'s ``asgi_app``."""
        return self.push_server(token, encoding_aes_key, router, dedup=dedup).asgi_app

    # -- authorization --------------------------------------------------------------------

    async def query_auth(self, authorization_code: str) -> QueryAuthResult:
        """Authorization code → the authorizer's tokens; the refresh token is stored durably
        and the access token cached."""
        return await self._run(self._query_auth_flow(authorization_code))

    async def authorizer_refresh_token(self, authorizer_appid: str) -> str | None:
        """The stored refresh token of ``authorizer_appid`` (None if it is not authorized)."""
        return await self._run(self._refresh_token_flow(authorizer_appid))

    async def save_authorizer_refresh_token(self, authorizer_appid: str,
                                            refresh_token: str) -> None:
        """Store a refresh token obtained elsewhere (a migration, the authorizer list)."""
        await self._run(self._save_refresh_token_flow(authorizer_appid, refresh_token))

    async def forget_authorizer(self, authorizer_appid: str) -> None:
        """Drop the authorizer's refresh token and cached token (after ``unauthorized``)."""
        await self._run(self._forget_flow(authorizer_appid))

    get_unauthorized = forget_authorizer  # wechatpy's name

    def iter_authorizers(self, page_size: int = authorization.MAX_AUTHORIZER_PAGE
                         ) -> AsyncIterator[AuthorizerListItem]:
        """Every authorizer (``api_get_authorizer_list``, page by page); a bad
        ``page_size`` fails here, not at the first ``async for`` step."""
        return aiter_items(self, authorizer_pages(self.appid, page_size), lambda page: page.list)

    # -- acting for an authorizer -------------------------------------------------------

    def authorizer_token_provider(self, authorizer_appid: str) -> AsyncCachedTokenProvider:
        """The (one per component object) provider of ``authorizer_appid``'s access token."""
        provider = self._authorizer_tokens.get(authorizer_appid)
        if provider is None:
            check_authorizer_appid(authorizer_appid)
            provider = self._authorizer_tokens[authorizer_appid] = AsyncCachedTokenProvider(
                AuthorizerFetch(self, authorizer_appid),
                key=self.store_key("authorizer_access_token", authorizer_appid),
                store=self.token_store, clock=self._clock)
        return provider

    async def refresh_authorizer_tokens(self, authorizer_appids: Iterable[str], *,
                                        max_concurrency: int = 8) -> dict[str, Token | WxError]:
        """Make each authorizer's token usable, at most ``max_concurrency`` refreshes at once
        (each single-flight through its provider); the token or the error per appid."""
        if max_concurrency < 1:
            raise UsageError("max_concurrency must be at least 1")
        providers = {appid: self.authorizer_token_provider(appid) for appid in authorizer_appids}
        gate = asyncio.Semaphore(max_concurrency)

        async def one(provider: AsyncCachedTokenProvider) -> Token | WxError:
            async with gate:
                try:
                    return await provider.get()
                except WxError as exc:
                    return exc

        outcomes = await asyncio.gather(*(one(p) for p in providers.values()))
        return dict(zip(providers, outcomes))

    def official_account(self, authorizer_appid: str) -> AsyncAuthorizerOfficialAccount:
        """An async client for authorized Official Account ``authorizer_appid``."""
        return acting_client(self, AsyncAuthorizerOfficialAccount, authorizer_appid)

    def mini_program(self, authorizer_appid: str) -> AsyncAuthorizerMiniProgram:
        """An async client for authorized Mini Program ``authorizer_appid``."""
        return acting_client(self, AsyncAuthorizerMiniProgram, authorizer_appid)

    async def official_account_from_code(self, authorization_code: str
                                         ) -> AsyncAuthorizerOfficialAccount:
        """:meth:`query_auth`, then the client of the Official Account that authorized."""
        result = await self.query_auth(authorization_code)
        return self.official_account(result.authorization_info.authorizer_appid)

    async def mini_program_from_code(self, authorization_code: str) -> AsyncAuthorizerMiniProgram:
        """:meth:`query_auth`, then the client of the Mini Program that authorized."""
        result = await self.query_auth(authorization_code)
        return self.mini_program(result.authorization_info.authorizer_appid)

    get_client_by_appid = official_account  # wechatpy's names
    get_client_by_authorization_code = official_account_from_code
    get_client = official_account

