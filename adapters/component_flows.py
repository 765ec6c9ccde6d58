"""What a component does with its credentials, written once for :class:`Component` and
:class:`AsyncComponent`: steps that yield the I/O they need.

Each flow is a generator (like the token fetchers' :meth:`steps
<wxcore.adapters.tokens.AccessTokenFetcher.steps>`) that yields an effect and is sent its
outcome; an executor's driver answers the effects, the sync component with its sync stores
and calls, the async one with ``await``. A failed call is thrown back into the flow, so a
flow can react to WeChat's answer (a refused ticket, a revoked refresh token). The effects:

* a :class:`~wxcore.endpoint.Call` -- its result;
* :class:`ReadCredential` / :class:`WriteCredential` / :class:`DropCredential` -- the
  durable :class:`~wxcore.adapters.credentials.CredentialStore` (ticket, refresh tokens);
* :class:`CacheAuthorizerToken` / :class:`ReadAuthorizerToken` / :class:`DropAuthorizerToken`
  -- an authorizer's access token in the token cache.

So the rules (when a ticket is missing or refused, when a refresh token is replaced or
dropped, what a push means) and their messages exist once, and so does what answers each
effect (:meth:`ComponentFlows._answer`: one call of the component's client or stores, whose
result is the answer for the sync component and an awaitable of it for the async one).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator, Iterator
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar, cast

from wxcore.component import authorization, oauth, tokens
from wxcore.component.authorization import AuthorizerListResult, QueryAuthResult
from wxcore.component.errors import (
    AuthorizationRevokedError,
    NotAuthorizedError,
    NoVerifyTicketError,
    VerifyTicketError,
)
from wxcore.endpoint import Call
from wxcore.errors import UsageError
from wxcore.messages import PushSettings, Router
from wxcore.messages.models import (
    AuthorizedPush,
    ComponentVerifyTicketPush,
    Push,
    UnauthorizedPush,
)
from wxcore.messages.replies import ReplyLike
from wxcore.messages.router import Handler
from wxcore.officialaccount.oauth import Scope
from wxcore.tokens import Token

from wxcore.adapters.credentials import Stored, credential_key

__all__ = ["ComponentFlows", "Flow", "ReadCredential", "WriteCredential", "DropCredential",
           "CacheAuthorizerToken", "ReadAuthorizerToken", "DropAuthorizerToken", "no_store_warning", "next_offset", "authorizer_pages",
           "check_authorizer_appid", "acting_client", "authorizer_authorize_url", "AuthorizerFetch", "component_push_settings", "ComponentPushRouter"]

logger = logging.getLogger("wxcore.component")
R = TypeVar("R")
T = TypeVar("T")
K = TypeVar("K")

#: A flow: yields effects, is sent their outcomes, returns ``R``.
Flow = Generator[object, Any, R]


class ReadCredential(NamedTuple):
    """Read ``key`` from the credential store (answer: :class:`Stored` or None)."""

    key: str


class WriteCredential(NamedTuple):
    """Store ``value`` under ``key`` durably (answer: None)."""

    key: str
    value: str
    updated_at: float


class DropCredential(NamedTuple):
    """Delete ``key`` from the credential store (answer: None)."""

    key: str


class CacheAuthorizerToken(NamedTuple):
    """Put ``token`` in the cache as ``authorizer_appid``'s access token (answer: None)."""

    authorizer_appid: str
    token: Token


class ReadAuthorizerToken(NamedTuple):
    """Read ``authorizer_appid``'s cached access token (answer: the :class:`Token` or None)."""

    authorizer_appid: str


class DropAuthorizerToken(NamedTuple):
    """Forget ``authorizer_appid``'s cached access token if it is still ``stale`` (answer:
    whether it was dropped)."""

    authorizer_appid: str
    stale: Token


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _read(key: str) -> Flow[Stored | None]:
    return cast("Stored | None", (yield ReadCredential(key)))


def _call(call: Call[T]) -> Flow[T]:
    return cast(T, (yield call))


def no_store_warning(component_appid: str) -> None:
    """Say that a component without a credential store loses what it must keep."""
    logger.warning("%s: no credential_store given: the verify ticket and authorizers' "
                   "refresh tokens are kept in memory and lost when this process ends "
                   "(pass a file path for SQLite)", component_appid)


def next_offset(page: AuthorizerListResult, offset: int) -> int | None:
    """Where the authorizer list continues after ``page`` read at ``offset`` (None: done)."""
    offset += len(page.list)
    if not page.list or offset >= page.total_count:
        return None
    return offset


def authorizer_pages(component_appid: str, page_size: int,
                     ) -> Generator[Call[AuthorizerListResult], AuthorizerListResult, None]:
    """The authorizer list (``api_get_authorizer_list``) as calls, ``page_size`` a page: each
    call yielded is sent its page, and the list ends where :func:`next_offset` says."""
    offset: int | None = 0
    while offset is not None:
        page = yield authorization.get_authorizer_list(component_appid, offset, page_size)
        offset = next_offset(page, offset)


def acting_client(component: Any, cls: type[K], authorizer_appid: str) -> K:
    """``component``'s (one per class and appid) client ``cls`` for ``authorizer_appid``:
    the authorizer's token provider, the component's transport (no second retry wrapper),
    token store, policy, clock and deadline."""
    clients: dict[tuple[type, str], Any] = component._clients
    client = clients.get((cls, authorizer_appid))
    if client is None:
        client = cast(Any, cls)(
            authorizer_appid, None, transport=component.transport, retry=None,
            token_provider=component.authorizer_token_provider(authorizer_appid),
            token_store=component.token_store, policy=component.policy,
            clock=component._clock, sleep=component._sleep)
        client._deadline = component._deadline
        client.component = component
        clients[(cls, authorizer_appid)] = client
    return cast(K, client)


def authorizer_authorize_url(component_appid: str, appid: str, redirect_uri: str,
                             scope: Scope, state: str | None, force_popup: bool | None,
                             force_snap_shot: bool | None) -> str:
    """An authorizer Official Account's web-authorization URL, run by its component.

    ``forcePopup`` / ``forceSnapShot`` are not documented for a component's URL: they are
    refused rather than dropped silently."""
    if force_popup is not None or force_snap_shot is not None:
        raise UsageError("force_popup and force_snap_shot are not documented for web "
                         "authorization run by a component; leave them out")
    return oauth.component_authorize_url(component_appid, appid, redirect_uri, scope, state)


def check_authorizer_appid(authorizer_appid: str) -> None:
    if not authorizer_appid or not isinstance(authorizer_appid, str):
        raise UsageError("authorizer appid must be a non-empty string")


def component_push_settings(component_appid: str, token: str,
                            encoding_aes_key: str) -> PushSettings:
    """The authorization event URL's settings: pushes always encrypted with the component
    appid."""
    return PushSettings(token=token, encoding_aes_key=encoding_aes_key, appid=component_appid,
                        require_encryption=True)


class ComponentPushRouter(Router):
    """Absorbs the component's own pushes (tickets, revocations) with ``absorb``, then runs
    the user's routes."""

    def __init__(self, absorb: Callable[[Push], object], user: Router | None) -> None:
        super().__init__()
        self.absorb = absorb
        self.user = user

    def resolve(self, message: Push) -> Handler:
        """Every push has a handler: absorb it, then run the user's route (if any)."""
        handler = None if self.user is None else self.user.resolve(message)
        absorb = self.absorb

        def absorb_then_route(message: Push) -> ReplyLike | Awaitable[ReplyLike]:
            absorb(message)
            return None if handler is None else handler(message)

        return absorb_then_route

    def handlers(self) -> Iterator[Handler]:
        return iter(()) if self.user is None else self.user.handlers()


class AuthorizerFetch:
    """The fetch of one authorizer's token for either component: what its driver ``_run``
    answers (the token, or for the async component a coroutine of it). A small object, not
    a closure per authorizer."""

    __slots__ = ("component", "authorizer_appid")

    def __init__(self, component: Any, authorizer_appid: str) -> None:
        self.component = component
        self.authorizer_appid = authorizer_appid

    def __call__(self, rejected: Token | None) -> Any:
        component = self.component
        return component._run(component._authorizer_token_flow(self.authorizer_appid))


class ComponentFlows:
    """The flows of one component (``appid``, times from ``_clock``); mixed into both."""

    appid: str
    credential_store: object
    _clock: Callable[[], float]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(appid={self.appid!r}, "
                f"credential_store={self.credential_store!r})")

    # -- answering the flows' effects ---------------------------------------------------------

    def _answer(self, effect: object) -> Any:
        """What ``effect`` asks for: one call of this component's client or stores. Its
        result is the answer (sync component), or an awaitable of it that the async
        component's driver awaits -- so both answer every effect the same way."""
        component: Any = self  # a Component or an AsyncComponent: their stores and call
        if isinstance(effect, Call):
            return component.call(effect)
        store = component.credential_store
        if type(effect) is ReadCredential:
            return store.get(effect.key)
        if type(effect) is WriteCredential:
            return store.put(effect.key, effect.value, effect.updated_at)
        if type(effect) is DropCredential:
            return store.delete(effect.key)
        tokens = component.token_store
        if type(effect) is CacheAuthorizerToken:
            return tokens.save(self._authorizer_token_key(effect.authorizer_appid), effect.token)
        if type(effect) is ReadAuthorizerToken:
            return tokens.load(self._authorizer_token_key(effect.authorizer_appid))
        if type(effect) is DropAuthorizerToken:
            return tokens.delete_if(self._authorizer_token_key(effect.authorizer_appid),
                                    effect.stale)
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover - the flows yield no other

    # -- keys -------------------------------------------------------------------------------

    @property
    def _ticket_key(self) -> str:
        return credential_key(self.appid, "verify_ticket")

    def _refresh_key(self, authorizer_appid: str) -> str:
        return credential_key(self.appid, "refresh_token", authorizer_appid)

    def _authorizer_token_key(self, authorizer_appid: str) -> str:
        """Where the token cache keeps ``authorizer_appid``'s access token (its provider's key)."""
        return str(cast(Any, self).authorizer_token_provider(authorizer_appid).key)

    # -- the component_verify_ticket and the component_access_token ------------------------

    def _save_ticket_flow(self, ticket: str) -> Flow[None]:
        if not ticket or not isinstance(ticket, str):
            raise UsageError("ticket must be a non-empty string")
        yield WriteCredential(self._ticket_key, ticket, self._clock())

    def _ticket_flow(self) -> Flow[Stored]:
        stored = yield from _read(self._ticket_key)
        if stored is None:
            raise NoVerifyTicketError(
                f"{self.appid}: no component_verify_ticket has arrived yet: WeChat pushes one "
                f"every 10 minutes to the authorization event URL (is push_server() serving "
                f"it?); start_push_ticket() asks for one now")
        return stored

    def _component_token_flow(self, rejected: Token | None) -> Flow[Token]:
        stored = yield from self._ticket_flow()
        now = self._clock()
        try:
            result = yield from _call(tokens.fetch_component_access_token(self.appid,
                                                                         stored.value))
        except VerifyTicketError as exc:
            raise NoVerifyTicketError(
                f"{self.appid}: WeChat refused the stored component_verify_ticket "
                f"(errcode {exc.errcode}: expired or invalid); the last one came at "
                f"{_when(stored.updated_at)}: check that pushes reach the authorization "
                f"event URL") from exc
        return tokens.component_token_from_result(result, now)

    # -- pushes to the authorization event URL -------------------------------------------

    def _absorb_flow(self, message: Push) -> Flow[None]:
        """What a push means for the credentials: store a ticket, forget an authorizer that
        revoked its authorization."""
        if isinstance(message, ComponentVerifyTicketPush):
            if message.ComponentVerifyTicket:
                yield from self._save_ticket_flow(message.ComponentVerifyTicket)
                logger.info("%s: component_verify_ticket stored", self.appid)
        elif isinstance(message, UnauthorizedPush) and message.AuthorizerAppid:
            yield from self._forget_flow(message.AuthorizerAppid)
            logger.info("%s: %s revoked its authorization", self.appid, message.AuthorizerAppid)
        elif isinstance(message, AuthorizedPush):
            logger.info("%s: %s %s", self.appid, message.AuthorizerAppid, message.InfoType)

    # -- authorization --------------------------------------------------------------------

    def _query_auth_flow(self, authorization_code: str) -> Flow[QueryAuthResult]:
        now = self._clock()
        result = yield from _call(authorization.query_auth(self.appid, authorization_code))
        info = result.authorization_info
        if info.authorizer_refresh_token:
            yield WriteCredential(self._refresh_key(info.authorizer_appid),
                                  info.authorizer_refresh_token, now)
        if info.authorizer_access_token:
            yield CacheAuthorizerToken(info.authorizer_appid, Token(
                value=info.authorizer_access_token, expires_at=now + info.expires_in,
                issued_at=now))
        return result

    def _refresh_token_flow(self, authorizer_appid: str) -> Flow[str | None]:
        stored = yield from _read(self._refresh_key(authorizer_appid))
        return None if stored is None else stored.value

    def _save_refresh_token_flow(self, authorizer_appid: str, refresh_token: str) -> Flow[None]:
        if not refresh_token:
            raise UsageError("refresh_token must be a non-empty string")
        yield WriteCredential(self._refresh_key(authorizer_appid), refresh_token, self._clock())

    def _forget_flow(self, authorizer_appid: str) -> Flow[None]:
        yield DropCredential(self._refresh_key(authorizer_appid))
        cached = yield ReadAuthorizerToken(authorizer_appid)
        if cached is not None:
            yield DropAuthorizerToken(authorizer_appid, cached)

    # -- an authorizer's access token --------------------------------------------------------

    def _authorizer_token_flow(self, authorizer_appid: str) -> Flow[Token]:
        """Renew from the stored refresh token; a new refresh token WeChat answers replaces
        the stored one, a refused one is dropped (unless a newer one was stored meanwhile)."""
        key = self._refresh_key(authorizer_appid)
        stored = yield from _read(key)
        if stored is None:
            raise NotAuthorizedError(
                f"{authorizer_appid} has not authorized component {self.appid} (no refresh "
                f"token stored: never authorized, or revoked with the unauthorized push)")
        now = self._clock()
        try:
            result = yield from _call(tokens.fetch_authorizer_access_token(
                self.appid, authorizer_appid, stored.value))
        except AuthorizationRevokedError:
            current = yield from _read(key)
            if current is not None and current.value == stored.value:
                yield DropCredential(key)  # WeChat says it is dead; not a newer one
            raise
        fresh = result.authorizer_refresh_token
        if fresh and fresh != stored.value:
            yield WriteCredential(key, fresh, now)
        return tokens.authorizer_token_from_result(result, now)
