"""The Open Platform third-party platform (component) facade, and clients for its authorizers.

:class:`Component` is a :class:`~wxcore.adapters.client.Client` for the component itself:

* durable credentials (the component_verify_ticket, each authorizer's refresh token) in a
  :class:`~wxcore.adapters.credentials.CredentialStore` -- a file path means SQLite;
* the component_access_token cached in the ordinary token store (``token_store``: memory,
  Redis...), fetched single-flight from the stored ticket, renewed once on token-invalid;
* the authorization event URL (:meth:`Component.push_server`, a WSGI app): tickets stored,
  ``unauthorized`` forgets the authorizer, every push answered ``success``;
* :meth:`Component.official_account` / :meth:`Component.mini_program`: ordinary
  :class:`~wxcore.adapters.officialaccount.OfficialAccount` / MiniProgram clients whose
  ``access_token`` is the authorizer's, refreshed ahead of expiry from the stored refresh
  token. They share the component's transport and token store and are made lazily.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from wxcore.component import authorization
from wxcore.component.api import CodeManagementAPI, ComponentAPI
from wxcore.component.authorization import AuthorizerListItem, QueryAuthResult
from wxcore.errors import UsageError, WxError
from wxcore.messages import Router
from wxcore.messages.pipeline import SeenStore
from wxcore.messages.models import Push
from wxcore.officialaccount.oauth import OAuthTokenResult, Scope
from wxcore.policy import DEFAULT_POLICY, CallPolicy
from wxcore.tokens import Token

from wxcore.adapters.client import Client
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
from wxcore.adapters.credentials import (
    CredentialStore,
    MemoryCredentialStore,
    SQLiteCredentialStore,
)
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.paging import iter_items
from wxcore.adapters.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from wxcore.adapters.tokens import (
    CachedTokenProvider,
    MemoryTokenStore,
    SecretProvider,
    TokenProvider,
    TokenStore,
    run_steps,
)
from wxcore.adapters.transport import Transport

__all__ = ["Component", "AuthorizerOfficialAccount", "AuthorizerMiniProgram"]

R = TypeVar("R")


class _Acting:
    """What an authorizer's client changes: the transport is the component's, so closing the
    authorizer's client leaves it open."""

    component: Component

    def close(self) -> None:
        pass


class AuthorizerOfficialAccount(_Acting, OfficialAccount):
    """An authorized Official Account, every call made with its authorizer_access_token.

    Web authorization (``web_auth()``, ``authorize_userinfo``) runs through the component:
    the authorize URL carries ``component_appid`` and codes are exchanged and refreshed with
    the component_access_token (``sns/oauth2/component/*``), as WeChat requires of a
    platform -- the account's own secret is neither known nor needed.
    """

    def authorize_url(self, redirect_uri: str, scope: Scope = "snsapi_base",
                      state: str | None = None, force_popup: bool | None = None,
                      force_snap_shot: bool | None = None) -> str:
        """The web-authorization URL for this account, run by the component."""
        return authorizer_authorize_url(self.component.appid, self.appid, redirect_uri, scope,
                                        state, force_popup, force_snap_shot)

    authorize = authorize_url

    def get_user_access_token(self, code: str) -> OAuthTokenResult:
        """Exchange the callback's ``code`` (``sns/oauth2/component/access_token``)."""
        return self.component.get_oauth_access_token(self.appid, code)

    def refresh_user_access_token(self, refresh_token: str) -> OAuthTokenResult:
        """Renew a user's web token (``sns/oauth2/component/refresh_token``)."""
        return self.component.refresh_oauth_access_token(self.appid, refresh_token)

    get_web_access_token = auth_access_token = get_user_access_token
    update_web_access_token = refresh_user_access_token


class AuthorizerMiniProgram(_Acting, CodeManagementAPI, MiniProgram):
    """An authorized Mini Program, every call made with its authorizer_access_token, with
    the platform's code management (commit, audit, release, domains, testers)."""


class Component(ComponentFlows, ComponentAPI, Client):
    """A third-party platform's view of WeChat.

    >>> component = Component("wx_component_appid", "appsecret",
    ...                       credential_store="/var/lib/app/wxcore.sqlite3")  # doctest: +SKIP
    >>> oa = component.official_account("wx_authorizer_appid")               # doctest: +SKIP
    >>> oa.create_menu(menu_data)                                            # doctest: +SKIP

    ``credential_store`` keeps what must never be lost: a file path (SQLite) or any
    :class:`~wxcore.adapters.credentials.CredentialStore` (without one, a warning and memory
    only). ``token_provider`` replaces the component_access_token's own provider (a central
    token service's, or a fixed token in replays). ``token_store`` caches the
    component's and authorizers' access tokens (default: this process's memory; a
    :class:`~wxcore.adapters.stores.RedisTokenStore` shares them and their refresh lease
    between processes).
    """

    def __init__(
        self,
        component_appid: str,
        component_appsecret: str,
        *,
        credential_store: CredentialStore | str | os.PathLike[str] | None = None,
        token_store: TokenStore | None = None,
        token_provider: TokenProvider | None = None,
        transport: Transport | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY_POLICY,
        policy: CallPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not component_appsecret:
            raise UsageError("component_appsecret is required")
        if isinstance(credential_store, (str, os.PathLike)):
            credential_store = SQLiteCredentialStore(credential_store)
        elif credential_store is None:
            no_store_warning(component_appid)
            credential_store = MemoryCredentialStore()
        self.credential_store: CredentialStore = credential_store
        shared = token_store if token_store is not None else MemoryTokenStore()
        super().__init__(component_appid, None, transport=transport, retry=retry,
                         token_store=shared, policy=policy, clock=clock, sleep=sleep)
        self.token_store: TokenStore = shared
        self.add_credential("component_secret", SecretProvider(component_appsecret,
                                                               "component appsecret"))
        self.component_token_provider: TokenProvider = token_provider or CachedTokenProvider(
            lambda rejected: self._run(self._component_token_flow(rejected)),
            key=self.store_key("component_access_token"),
            store=shared, clock=clock)
        self.add_credential("component_access_token", self.component_token_provider)
        self._authorizer_tokens: dict[str, CachedTokenProvider] = {}
        self._clients: dict[tuple[type, str], Client] = {}
        self._guard = threading.Lock()

    # -- running the flows (component_flows) with this client's stores -------------------

    def _run(self, flow: Flow[R]) -> R:
        return run_steps(flow, self._answer)

    # -- the component_verify_ticket and the component_access_token ------------------------

    def save_verify_ticket(self, ticket: str) -> None:
        """Store ``ticket`` durably (what the ``component_verify_ticket`` push does)."""
        self._run(self._save_ticket_flow(ticket))

    def verify_ticket(self) -> str:
        """The latest stored component_verify_ticket (:class:`NoVerifyTicketError` if none)."""
        return self._run(self._ticket_flow()).value

    def get_component_access_token(self) -> str:
        """The component_access_token (fetched from the stored ticket when due)."""
        return self.component_token_provider.get().value

    fetch_access_token = get_component_access_token  # wechatpy's name

    # -- pushes to the authorization event URL -------------------------------------------

    def absorb_push(self, message: Push) -> None:
        """Do what a push means for the component's credentials: store a ticket, forget
        an authorizer that revoked its authorization."""
        self._run(self._absorb_flow(message))

    def push_server(self, token: str, encoding_aes_key: str, router: Router | None = None, *,
                    dedup: SeenStore | None | str = "memory") -> MessageServer:
        """The authorization event URL's endpoint (``.wsgi_app`` for WSGI servers).

        Pushes are always encrypted with the component appid; tickets are stored and
        revocations forget the authorizer before ``router`` (your handlers for
        ``authorized``, ``updateauthorized``, ...) runs; every push is answered ``success``.
        """
        return MessageServer(ComponentPushRouter(self.absorb_push, router),
                             component_push_settings(self.appid, token, encoding_aes_key),
                             dedup=dedup, clock=self._clock)

    # -- authorization --------------------------------------------------------------------

    def query_auth(self, authorization_code: str) -> QueryAuthResult:
        """Authorization code → the authorizer's tokens; the refresh token is stored durably
        and the access token cached, so its clients start without another call."""
        return self._run(self._query_auth_flow(authorization_code))

    def authorizer_refresh_token(self, authorizer_appid: str) -> str | None:
        """The stored refresh token of ``authorizer_appid`` (None if it is not authorized)."""
        return self._run(self._refresh_token_flow(authorizer_appid))

    def save_authorizer_refresh_token(self, authorizer_appid: str, refresh_token: str) -> None:
        """Store a refresh token obtained elsewhere (from a migration, or the authorizer list)."""
        self._run(self._save_refresh_token_flow(authorizer_appid, refresh_token))

    def forget_authorizer(self, authorizer_appid: str) -> None:
        """Drop the authorizer's refresh token and cached token (after ``unauthorized``)."""
        self._run(self._forget_flow(authorizer_appid))

    get_unauthorized = forget_authorizer  # wechatpy's name

    def iter_authorizers(self, page_size: int = authorization.MAX_AUTHORIZER_PAGE
                         ) -> Iterator[AuthorizerListItem]:
        """Every authorizer (``api_get_authorizer_list``, page by page)."""
        # a generator, as it always was: ``page_size`` is checked at the first next()
        yield from iter_items(self, authorizer_pages(self.appid, page_size),
                              lambda page: page.list)

    # -- acting for an authorizer -------------------------------------------------------

    def authorizer_token_provider(self, authorizer_appid: str) -> CachedTokenProvider:
        """The (one per process) provider of ``authorizer_appid``'s access token."""
        provider = self._authorizer_tokens.get(authorizer_appid)
        if provider is None:
            check_authorizer_appid(authorizer_appid)
            with self._guard:
                provider = self._authorizer_tokens.get(authorizer_appid)
                if provider is None:
                    provider = CachedTokenProvider(
                        AuthorizerFetch(self, authorizer_appid),
                        key=self.store_key("authorizer_access_token", authorizer_appid),
                        store=self.token_store, clock=self._clock)
                    self._authorizer_tokens[authorizer_appid] = provider
        return provider

    def refresh_authorizer_tokens(self, authorizer_appids: Iterable[str], *,
                                  max_workers: int = 8) -> dict[str, Token | WxError]:
        """Make each authorizer's token usable (refreshing the due ones), at most
        ``max_workers`` refreshes at once; each authorizer stays single-flight through its
        provider. Answers the token, or the error, per appid (one failure stops nothing)."""
        if max_workers < 1:
            raise UsageError("max_workers must be at least 1")
        providers = {appid: self.authorizer_token_provider(appid) for appid in authorizer_appids}

        def one(provider: CachedTokenProvider) -> Token | WxError:
            try:
                return provider.get()
            except WxError as exc:
                return exc

        with ThreadPoolExecutor(max_workers, thread_name_prefix="wxcore-authorizer") as pool:
            return dict(zip(providers, pool.map(one, providers.values())))

    def official_account(self, authorizer_appid: str) -> AuthorizerOfficialAccount:
        """A client for authorized Official Account ``authorizer_appid``."""
        return acting_client(self, AuthorizerOfficialAccount, authorizer_appid)

    def mini_program(self, authorizer_appid: str) -> AuthorizerMiniProgram:
        """A client for authorized Mini Program ``authorizer_appid``."""
        return acting_client(self, AuthorizerMiniProgram, authorizer_appid)

    def official_account_from_code(self, authorization_code: str) -> AuthorizerOfficialAccount:
        """:meth:`query_auth`, then the client of the Official Account that authorized."""
        appid = self.query_auth(authorization_code).authorization_info.authorizer_appid
        return self.official_account(appid)

    def mini_program_from_code(self, authorization_code: str) -> AuthorizerMiniProgram:
        """:meth:`query_auth`, then the client of the Mini Program that authorized."""
        appid = self.query_auth(authorization_code).authorization_info.authorizer_appid
        return self.mini_program(appid)

    get_client_by_appid = official_account  # wechatpy's names
    get_client_by_authorization_code = official_account_from_code
    get_client = official_account

