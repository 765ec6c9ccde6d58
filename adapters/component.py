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

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TypeVar

from wxcore.component import authorization, tokens
from wxcore.component.api import CodeManagementAPI, ComponentAPI
from wxcore.component.authorization import AuthorizerListItem, QueryAuthResult
from wxcore.component.errors import (
    AuthorizationRevokedError,
    NotAuthorizedError,
    NoVerifyTicketError,
    VerifyTicketError,
)
from wxcore.errors import UsageError, WxError
from wxcore.messages import PushSettings, Router
from wxcore.messages.pipeline import SeenStore
from wxcore.messages.models import (
    AuthorizedPush,
    ComponentVerifyTicketPush,
    Push,
    UnauthorizedPush,
)
from wxcore.messages.replies import ReplyLike
from wxcore.policy import DEFAULT_POLICY, CallPolicy
from wxcore.tokens import Token

from wxcore.adapters.client import Client
from wxcore.adapters.credentials import (
    CredentialStore,
    MemoryCredentialStore,
    SQLiteCredentialStore,
    credential_key,
)
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from wxcore.adapters.tokens import (
    CachedTokenProvider,
    MemoryTokenStore,
    SecretProvider,
    TokenProvider,
    TokenStore,
)
from wxcore.adapters.transport import Transport

__all__ = ["Component", "AuthorizerOfficialAccount", "AuthorizerMiniProgram"]

logger = logging.getLogger("wxcore.component")
C = TypeVar("C", bound=Client)


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class _Acting:
    """What an authorizer's client changes: the transport is the component's, so closing the
    authorizer's client leaves it open."""

    component: Component

    def close(self) -> None:
        pass


class AuthorizerOfficialAccount(_Acting, OfficialAccount):
    """An authorized Official Account, every call made with its authorizer_access_token."""


class AuthorizerMiniProgram(_Acting, CodeManagementAPI, MiniProgram):
    """An authorized Mini Program, every call made with its authorizer_access_token, with
    the platform's code management (commit, audit, release, domains, testers)."""


class _PushRouter(Router):
    """Absorbs the component's own pushes (tickets, revocations), then the user's routes."""

    def __init__(self, component: Component, user: Router | None) -> None:
        super().__init__()
        self.component = component
        self.user = user

    def dispatch(self, message: Push) -> ReplyLike:
        self.component.absorb_push(message)
        return None if self.user is None else self.user.dispatch(message)


class Component(ComponentAPI, Client):
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
            logger.warning("%s: no credential_store given: the verify ticket and authorizers' "
                           "refresh tokens are kept in memory and lost when this process ends "
                           "(pass a file path for SQLite)", component_appid)
            credential_store = MemoryCredentialStore()
        self.credential_store: CredentialStore = credential_store
        shared = token_store if token_store is not None else MemoryTokenStore()
        super().__init__(component_appid, None, transport=transport, retry=retry,
                         token_store=shared, policy=policy, clock=clock, sleep=sleep)
        self.token_store: TokenStore = shared
        self.add_credential("component_secret", SecretProvider(component_appsecret,
                                                               "component appsecret"))
        self.component_token_provider: TokenProvider = token_provider or CachedTokenProvider(
            self._fetch_component_token, key=self.store_key("component_access_token"),
            store=shared, clock=clock)
        self.add_credential("component_access_token", self.component_token_provider)
        self._authorizer_tokens: dict[str, CachedTokenProvider] = {}
        self._clients: dict[tuple[type, str], Client] = {}
        self._guard = threading.Lock()

    # -- the component_verify_ticket and the component_access_token ------------------------

    @property
    def _ticket_key(self) -> str:
        return credential_key(self.appid, "verify_ticket")

    def save_verify_ticket(self, ticket: str) -> None:
        """Store ``ticket`` durably (what the ``component_verify_ticket`` push does)."""
        if not ticket or not isinstance(ticket, str):
            raise UsageError("ticket must be a non-empty string")
        self.credential_store.put(self._ticket_key, ticket, self._clock())

    def verify_ticket(self) -> str:
        """The latest stored component_verify_ticket (:class:`NoVerifyTicketError` if none)."""
        stored = self.credential_store.get(self._ticket_key)
        if stored is None:
            raise NoVerifyTicketError(
                f"{self.appid}: no component_verify_ticket has arrived yet: WeChat pushes one "
                f"every 10 minutes to the authorization event URL (is push_server() serving "
                f"it?); start_push_ticket() asks for one now")
        return stored.value

    def _fetch_component_token(self, rejected: Token | None) -> Token:
        ticket = self.verify_ticket()
        stored = self.credential_store.get(self._ticket_key)
        now = self._clock()
        try:
            result = self.call(tokens.fetch_component_access_token(self.appid, ticket))
        except VerifyTicketError as exc:
            came = _when(stored.updated_at) if stored is not None else "never"
            raise NoVerifyTicketError(
                f"{self.appid}: WeChat refused the stored component_verify_ticket "
                f"(errcode {exc.errcode}: expired or invalid); the last one came at {came}: "
                f"check that pushes reach the authorization event URL") from exc
        return tokens.component_token_from_result(result, now)

    def get_component_access_token(self) -> str:
        """The component_access_token (fetched from the stored ticket when due)."""
        return self.component_token_provider.get().value

    fetch_access_token = get_component_access_token  # wechatpy's name

    # -- pushes to the authorization event URL -------------------------------------------

    def absorb_push(self, message: Push) -> None:
        """Do what a push means for the component's credentials: store a ticket, forget
        an authorizer that revoked its authorization."""
        if isinstance(message, ComponentVerifyTicketPush):
            if message.ComponentVerifyTicket:
                self.save_verify_ticket(message.ComponentVerifyTicket)
                logger.info("%s: component_verify_ticket stored", self.appid)
        elif isinstance(message, UnauthorizedPush) and message.AuthorizerAppid:
            self.forget_authorizer(message.AuthorizerAppid)
            logger.info("%s: %s revoked its authorization", self.appid, message.AuthorizerAppid)
        elif isinstance(message, AuthorizedPush):
            logger.info("%s: %s %s", self.appid, message.AuthorizerAppid, message.InfoType)

    def push_server(self, token: str, encoding_aes_key: str, router: Router | None = None, *,
                    dedup: SeenStore | None | str = "memory") -> MessageServer:
        """The authorization event URL's endpoint (``.wsgi_app`` for WSGI servers).

        Pushes are always encrypted with the component appid; tickets are stored and
        revocations forget the authorizer before ``router`` (your handlers for
        ``authorized``, ``updateauthorized``, ...) runs; every push is answered ``success``.
        """
        settings = PushSettings(token=token, encoding_aes_key=encoding_aes_key,
                                appid=self.appid, require_encryption=True)
        return MessageServer(_PushRouter(self, router), settings, dedup=dedup, clock=self._clock)

    # -- authorization --------------------------------------------------------------------

    def _refresh_key(self, authorizer_appid: str) -> str:
        return credential_key(self.appid, "refresh_token", authorizer_appid)

    def query_auth(self, authorization_code: str) -> QueryAuthResult:
        """Authorization code → the authorizer's tokens; the refresh token is stored durably
        and the access token cached, so its clients start without another call."""
        now = self._clock()
        result = self.call(authorization.query_auth(self.appid, authorization_code))
        info = result.authorization_info
        if info.authorizer_refresh_token:
            self.credential_store.put(self._refresh_key(info.authorizer_appid),
                                      info.authorizer_refresh_token, now)
        if info.authorizer_access_token:
            self.authorizer_token_provider(info.authorizer_appid).set(Token(
                value=info.authorizer_access_token, expires_at=now + info.expires_in,
                issued_at=now))
        return result

    def authorizer_refresh_token(self, authorizer_appid: str) -> str | None:
        """The stored refresh token of ``authorizer_appid`` (None if it is not authorized)."""
        stored = self.credential_store.get(self._refresh_key(authorizer_appid))
        return None if stored is None else stored.value

    def save_authorizer_refresh_token(self, authorizer_appid: str, refresh_token: str) -> None:
        """Store a refresh token obtained elsewhere (from a migration, or the authorizer list)."""
        if not refresh_token:
            raise UsageError("refresh_token must be a non-empty string")
        self.credential_store.put(self._refresh_key(authorizer_appid), refresh_token,
                                  self._clock())

    def forget_authorizer(self, authorizer_appid: str) -> None:
        """Drop the authorizer's refresh token and cached token (after ``unauthorized``)."""
        self.credential_store.delete(self._refresh_key(authorizer_appid))
        provider = self.authorizer_token_provider(authorizer_appid)
        cached = self.token_store.load(provider.key)
        if cached is not None:
            self.token_store.delete_if(provider.key, cached)

    get_unauthorized = forget_authorizer  # wechatpy's name

    def iter_authorizers(self, page_size: int = authorization.MAX_AUTHORIZER_PAGE
                         ) -> Iterator[AuthorizerListItem]:
        """Every authorizer (``api_get_authorizer_list``, page by page)."""
        offset = 0
        while True:
            page = self.call(authorization.get_authorizer_list(self.appid, offset, page_size))
            yield from page.list
            offset += len(page.list)
            if not page.list or offset >= page.total_count:
                return

    # -- acting for an authorizer -------------------------------------------------------

    def authorizer_token_provider(self, authorizer_appid: str) -> CachedTokenProvider:
        """The (one per process) provider of ``authorizer_appid``'s access token."""
        provider = self._authorizer_tokens.get(authorizer_appid)
        if provider is None:
            if not authorizer_appid or not isinstance(authorizer_appid, str):
                raise UsageError("authorizer appid must be a non-empty string")
            with self._guard:
                provider = self._authorizer_tokens.get(authorizer_appid)
                if provider is None:
                    provider = CachedTokenProvider(
                        _AuthorizerFetch(self, authorizer_appid),
                        key=self.store_key("authorizer_access_token", authorizer_appid),
                        store=self.token_store, clock=self._clock)
                    self._authorizer_tokens[authorizer_appid] = provider
        return provider

    def _fetch_authorizer_token(self, authorizer_appid: str) -> Token:
        key = self._refresh_key(authorizer_appid)
        stored = self.credential_store.get(key)
        if stored is None:
            raise NotAuthorizedError(
                f"{authorizer_appid} has not authorized component {self.appid} (no refresh "
                f"token stored: never authorized, or revoked with the unauthorized push)")
        now = self._clock()
        try:
            result = self.call(tokens.fetch_authorizer_access_token(
                self.appid, authorizer_appid, stored.value))
        except AuthorizationRevokedError:
            current = self.credential_store.get(key)
            if current is not None and current.value == stored.value:
                self.credential_store.delete(key)  # WeChat says it is dead; not a newer one
            raise
        fresh = result.authorizer_refresh_token
        if fresh and fresh != stored.value:
            self.credential_store.put(key, fresh, now)
        return tokens.authorizer_token_from_result(result, now)

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

    def _acting(self, cls: type[C], authorizer_appid: str) -> C:
        client = self._clients.get((cls, authorizer_appid))
        if client is None:
            client = cls(authorizer_appid, None, transport=self.transport, retry=None,
                         token_provider=self.authorizer_token_provider(authorizer_appid),
                         token_store=self.token_store, policy=self.policy,
                         clock=self._clock, sleep=self._sleep)
            client._deadline = self._deadline
            setattr(client, "component", self)
            self._clients[(cls, authorizer_appid)] = client
        return client  # type: ignore[return-value]

    def official_account(self, authorizer_appid: str) -> AuthorizerOfficialAccount:
        """A client for authorized Official Account ``authorizer_appid``."""
        return self._acting(AuthorizerOfficialAccount, authorizer_appid)

    def mini_program(self, authorizer_appid: str) -> AuthorizerMiniProgram:
        """A client for authorized Mini Program ``authorizer_appid``."""
        return self._acting(AuthorizerMiniProgram, authorizer_appid)

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

    def __repr__(self) -> str:
        return f"Component(appid={self.appid!r}, credential_store={self.credential_store!r})"


class _AuthorizerFetch:
    """The fetch of one authorizer's token (a small object, not a closure per authorizer)."""

    __slots__ = ("component", "authorizer_appid")

    def __init__(self, component: Component, authorizer_appid: str) -> None:
        self.component = component
        self.authorizer_appid = authorizer_appid

    def __call__(self, rejected: Token | None) -> Token:
        return self.component._fetch_authorizer_token(self.authorizer_appid)


