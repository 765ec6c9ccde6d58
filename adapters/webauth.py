"""The web-authorization flow with its user-token store: one call from callback to profile.

:meth:`WebAuth.authorize_userinfo` is the call py_wechat_tools' users liked: give it what the
request has (the callback's ``code`` and ``state``, or the openid your session remembers, or
nothing) and it answers either :class:`Redirect` (send the browser there) or the user's
:class:`~wxcore.officialaccount.oauth.UserInfoResult`. Users' tokens are kept in a
:class:`UserTokenStore` keyed by openid, so a returning user's refresh token is used instead
of sending them through WeChat again; states are signed and expire (CSRF).

The flow is written once, as plans (:mod:`wxcore.adapters.io_methods`): :class:`WebAuth`
runs them for a sync :class:`~wxcore.adapters.officialaccount.OfficialAccount`,
:class:`AsyncWebAuth` awaits them for an
:class:`~wxcore.adapters.async_officialaccount.AsyncOfficialAccount` (async stores). Stores:
:class:`MemoryUserTokenStore` / :class:`AsyncMemoryUserTokenStore` (one process) and
:class:`RedisUserTokenStore` / :class:`AsyncRedisUserTokenStore` (every process sharing a
Redis, sync or async alike), all in :mod:`wxcore.adapters.stores.user_tokens` and importable
from here. Nothing here prints; it logs on ``wxcore.oauth`` without tokens.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, cast

from wxcore.endpoint import Call
from wxcore.errors import UsageError
from wxcore.officialaccount.oauth import (
    STATE_MAX_AGE,
    AuthorizationRefusedError,
    InvalidOAuthCodeError,
    Lang,
    Scope,
    RefreshTokenError,
    UserInfoResult,
    UserToken,
    UserTokenInvalidError,
    issue_state,
    user_token_from_result,
    verify_state,
)

from wxcore.adapters.io_methods import Plan, Resolve, io_method
from wxcore.adapters.stores.user_tokens import (
    AsyncMemoryUserTokenStore,
    AsyncRedisUserTokenStore,
    AsyncUserTokenStore,
    MemoryUserTokenStore,
    RedisUserTokenStore,
    UserTokenStore,
)

if TYPE_CHECKING:
    from wxcore.adapters.async_officialaccount import AsyncOfficialAccount
    from wxcore.adapters.officialaccount import OfficialAccount

__all__ = ["Redirect", "UserTokenStore", "AsyncUserTokenStore", "MemoryUserTokenStore",
           "AsyncMemoryUserTokenStore", "RedisUserTokenStore", "AsyncRedisUserTokenStore",
           "WebAuth", "AsyncWebAuth", "WebAuthSetup"]

logger = logging.getLogger("wxcore.oauth")

T = TypeVar("T")


class Redirect(NamedTuple):
    """Send the browser to ``url`` (WeChat's authorization page)."""

    url: str


# -- the flow, written once as plans ------------------------------------------------------------


def _finish(flow: Any, code: str, state: str | None, *, context: str = "") -> Plan[UserToken]:
    """Check the callback's state, exchange its code, keep the user's token."""
    verify_state(flow._state_key, state, flow.now(), max_age=flow.state_max_age,
                 context=context)
    now = flow.now()
    result = yield Resolve(flow.oa.get_user_access_token(code))
    token = user_token_from_result(result, now)
    if token.is_snapshotuser:
        # A snapshot page's virtual user: its openid is not the real user's, keep nothing.
        logger.info("web auth: snapshot-page user, token not stored")
    else:
        yield Resolve(flow.store.save(token))
    return token


def _user_token(flow: Any, openid: str, *, renew: bool = False) -> Plan[UserToken | None]:
    """The stored token of ``openid``, refreshed if it expired (or if ``renew``);
    None when the user must authorize again."""
    token: UserToken | None = yield Resolve(flow.store.load(openid))
    if token is None:
        return None
    now = flow.now()
    if token.is_fresh(now) and not renew:
        return token
    if not token.can_refresh(now):
        yield Resolve(flow.store.delete(openid))
        return None
    try:
        result = yield Resolve(flow.oa.refresh_user_access_token(token.refresh_token))
    except RefreshTokenError as exc:
        logger.info("web auth: refresh refused for %s (%s); re-authorization needed",
                    openid, exc.errcode)
        yield Resolve(flow.store.delete(openid))
        return None
    fresh = user_token_from_result(result, now, previous=token)
    yield Resolve(flow.store.save(fresh))
    logger.debug("web auth: refreshed the token of %s", openid)
    return fresh


def _userinfo(flow: Any, openid: str, lang: Lang = "zh_CN") -> Plan[UserInfoResult | None]:
    """The profile of a user who authorized before, or None if they must do it again."""
    token = yield from _user_token(flow, openid)
    if token is None or "snsapi_userinfo" not in token.scopes:
        return None
    info: UserInfoResult
    try:
        info = yield Resolve(flow.oa.get_userinfo(openid, token.access_token, lang))
    except UserTokenInvalidError:
        token = yield from _user_token(flow, openid, renew=True)  # revoked early: refresh once
        if token is None:
            return None
        info = yield Resolve(flow.oa.get_userinfo(openid, token.access_token, lang))
    return info


def _authorize_userinfo(
    flow: Any,
    redirect_uri: str,
    code: str | None = None,
    state: str | None = None,
    *,
    openid: str | None = None,
    lang: Lang = "zh_CN",
    context: str = "",
    data: str = "",
) -> Plan[Redirect | UserInfoResult]:
    """From the callback's ``code``/``state``, a known ``openid``, or nothing: the user's
    profile, or a :class:`Redirect` to WeChat's consent page (back to ``redirect_uri``).

    A callback whose code was already used or expired (the user reloaded the page) falls
    back to the stored token of ``openid``, else to a fresh redirect.
    """
    if code:
        try:
            token = yield from _finish(flow, code, state, context=context)
        except InvalidOAuthCodeError as exc:
            logger.info("web auth: callback code refused (%s); starting over", exc.errcode)
        else:
            profile: UserInfoResult = yield Resolve(flow.oa.get_userinfo(
                token.openid, token.access_token, lang))
            return profile
    elif state:  # WeChat comes back with the state alone when the user declines
        raise AuthorizationRefusedError("the user declined web authorization")
    if openid:
        info = yield from _userinfo(flow, openid, lang)
        if info is not None:
            return info
    return Redirect(flow.start(redirect_uri, "snsapi_userinfo", data=data, context=context))


def _store_is_async(store: object) -> bool:
    return all(inspect.iscoroutinefunction(getattr(store, name, None))
               for name in ("load", "save", "delete"))


class _WebAuthFlow:
    """What :class:`WebAuth` and :class:`AsyncWebAuth` share: the options, the state
    signing, and the steps as plans (methods, sync or coroutine functions by the class's
    ``call``)."""

    _asynchronous = False
    oa: Any
    store: Any

    def __init__(self, oa: Any, *, store: Any = None, state_key: bytes | str | None = None,
                 state_max_age: float = STATE_MAX_AGE) -> None:
        if store is None:
            store = AsyncMemoryUserTokenStore() if self._asynchronous else MemoryUserTokenStore()
        elif _store_is_async(store) is not self._asynchronous:
            wanted = "an async" if self._asynchronous else "a sync"
            raise UsageError(f"{type(self).__name__} needs {wanted} user-token store, not "
                             f"{type(store).__name__} (Async... stores are for async clients)")
        self.oa = oa
        self.store = store
        self._state_key = state_key if state_key is not None else secrets.token_bytes(32)
        issue_state(self._state_key, 0, "0" * 16)  # a bad key is a UsageError now
        self.state_max_age = state_max_age

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.oa.appid!r}, store={self.store!r})"

    @property
    def appid(self) -> str:
        return cast(str, self.oa.appid)

    def now(self) -> float:
        return cast(float, self.oa.now())

    def start(self, redirect_uri: str, scope: Scope = "snsapi_userinfo", *, data: str = "",
              context: str = "", force_popup: bool | None = None) -> str:
        """The authorization URL with a fresh signed state (``data`` comes back on finish)."""
        state = issue_state(self._state_key, self.now(), secrets.token_hex(8), data,
                            context=context)
        return cast(str, self.oa.authorize_url(redirect_uri, scope, state, force_popup))

    finish = io_method(_finish)
    user_token = io_method(_user_token)
    userinfo = io_method(_userinfo)
    authorize_userinfo = io_method(_authorize_userinfo)


class WebAuth(_WebAuthFlow):
    """Web authorization for one Official Account: signed states, stored user tokens.

    ``state_key`` signs the ``state`` values (give every process the same secret of 16+
    bytes; by default a random key of this object, which only this process can verify).
    ``store`` keeps users' tokens (default: in memory). ``state_max_age`` bounds how long a
    user may take on WeChat's page.
    """

    oa: OfficialAccount
    store: UserTokenStore

    def call(self, call: Call[T]) -> T:
        """Send ``call`` through the account (what makes this flow's methods sync)."""
        return self.oa.call(call)


class AsyncWebAuth(_WebAuthFlow):
    """:class:`WebAuth` for an :class:`AsyncOfficialAccount`: the same steps and options,
    awaited, with an :class:`AsyncUserTokenStore` (default: in memory; a sync store is
    refused, as it would block the loop)."""

    _asynchronous = True
    oa: AsyncOfficialAccount
    store: AsyncUserTokenStore

    async def call(self, call: Call[T]) -> T:
        """Send ``call`` through the account (what makes this flow's methods coroutines)."""
        return await self.oa.call(call)


W = TypeVar("W", WebAuth, AsyncWebAuth)


def _account_authorize_userinfo(
    client: Any, redirect_uri: str, code: str | None = None, state: str | None = None, *,
    openid: str | None = None, lang: Lang = "zh_CN", context: str = "", data: str = "",
) -> Plan[Redirect | UserInfoResult]:
    """The user's profile, or a :class:`Redirect` to WeChat's consent page: see
    :meth:`WebAuth.authorize_userinfo <wxcore.adapters.webauth.WebAuth.authorize_userinfo>`
    (this account's :meth:`web_auth` flow)."""
    return (yield from _authorize_userinfo(client.web_auth(), redirect_uri, code, state,
                                           openid=openid, lang=lang, context=context,
                                           data=data))


class WebAuthSetup(Generic[W]):
    """``web_auth()`` and ``authorize_userinfo`` of an Official Account facade (the flow
    class is the facade's: :class:`WebAuth`, or :class:`AsyncWebAuth` for an async one)."""

    _web_auth_class: type[W]
    _web_auth: W | None = None

    def web_auth(self, *, store: UserTokenStore | AsyncUserTokenStore | None = None,
                 state_key: bytes | str | None = None,
                 state_max_age: float | None = None) -> W:
        """This account's web-authorization flow; with arguments, set it up anew.

        ``store`` keeps users' tokens by openid (default in memory; a
        :class:`~wxcore.adapters.webauth.RedisUserTokenStore`, or for an async client an
        :class:`~wxcore.adapters.webauth.AsyncRedisUserTokenStore`, for several processes),
        ``state_key`` signs ``state`` values (share it between processes).
        """
        if self._web_auth is None or store is not None or state_key is not None \
                or state_max_age is not None:
            self._web_auth = self._web_auth_class(
                self, store=store, state_key=state_key,
                state_max_age=STATE_MAX_AGE if state_max_age is None else state_max_age)
        return self._web_auth

    authorize_userinfo = io_method(_account_authorize_userinfo)
