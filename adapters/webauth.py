"""The web-authorization flow with its user-token store: one call from callback to profile.

:meth:`WebAuth.authorize_userinfo` is the call py_wechat_tools' users liked: give it what the
request has (the callback's ``code`` and ``state``, or the openid your session remembers, or
nothing) and it answers either :class:`Redirect` (send the browser there) or the user's
:class:`~wxcore.officialaccount.oauth.UserInfoResult`. Users' tokens are kept in a
:class:`UserTokenStore` keyed by openid, so a returning user's refresh token is used instead
of sending them through WeChat again; states are signed and expire (CSRF).

Stores: :class:`MemoryUserTokenStore` (one process) and :class:`RedisUserTokenStore` (every
process sharing a Redis, keys ``wxcore:{appid}:user_token:{openid}``, expiring with the
refresh token). Nothing here prints; it logs on ``wxcore.oauth`` without tokens.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import msgspec

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

from wxcore.adapters.stores import token_key

if TYPE_CHECKING:
    from wxcore.adapters.officialaccount import OfficialAccount

__all__ = ["Redirect", "UserTokenStore", "MemoryUserTokenStore", "RedisUserTokenStore",
           "WebAuth"]

logger = logging.getLogger("wxcore.oauth")

_CODEC = msgspec.json.Decoder(UserToken)


class Redirect(NamedTuple):
    """Send the browser to ``url`` (WeChat's authorization page)."""

    url: str


class UserTokenStore(Protocol):
    """Where users' web tokens are kept between requests, keyed by openid."""

    def load(self, openid: str) -> UserToken | None: ...

    def save(self, token: UserToken) -> None: ...

    def delete(self, openid: str) -> None: ...


class MemoryUserTokenStore:
    """Users' tokens in this process's memory (thread-safe)."""

    def __init__(self) -> None:
        self._tokens: dict[str, UserToken] = {}
        self._lock = threading.Lock()

    def load(self, openid: str) -> UserToken | None:
        return self._tokens.get(openid)

    def save(self, token: UserToken) -> None:
        with self._lock:
            self._tokens[token.openid] = token

    def delete(self, openid: str) -> None:
        with self._lock:
            self._tokens.pop(openid, None)

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"MemoryUserTokenStore({len(self._tokens)} users)"


class RedisUserTokenStore:
    """Users' tokens in Redis, shared by every process of the app.

    ``client`` is a redis-py client; each entry expires with its refresh token (``clock``
    says when now is).
    """

    def __init__(self, client: Any, appid: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.appid = appid
        self._clock = clock
        token_key(appid, "user_token")  # checks the appid now, not at the first save

    def _key(self, openid: str) -> str:
        return token_key(self.appid, "user_token", openid)

    def load(self, openid: str) -> UserToken | None:
        raw = self.client.get(self._key(openid))
        return None if raw is None else _CODEC.decode(raw)

    def save(self, token: UserToken) -> None:
        ttl = int(token.refresh_expires_at - self._clock())
        if ttl > 0:
            self.client.set(self._key(token.openid), msgspec.json.encode(token), ex=ttl)

    def delete(self, openid: str) -> None:
        self.client.delete(self._key(openid))

    def __repr__(self) -> str:
        return f"RedisUserTokenStore(appid={self.appid!r})"


class WebAuth:
    """Web authorization for one Official Account: signed states, stored user tokens.

    ``state_key`` signs the ``state`` values (give every process the same secret of 16+
    bytes; by default a random key of this object, which only this process can verify).
    ``store`` keeps users' tokens (default: in memory). ``state_max_age`` bounds how long a
    user may take on WeChat's page.
    """

    def __init__(self, oa: OfficialAccount, *, store: UserTokenStore | None = None,
                 state_key: bytes | str | None = None,
                 state_max_age: float = STATE_MAX_AGE) -> None:
        self.oa = oa
        self.store: UserTokenStore = store if store is not None else MemoryUserTokenStore()
        self._state_key = state_key if state_key is not None else secrets.token_bytes(32)
        issue_state(self._state_key, 0, "0" * 16)  # a bad key is a UsageError now
        self.state_max_age = state_max_age

    def __repr__(self) -> str:
        return f"WebAuth(appid={self.oa.appid!r}, store={self.store!r})"

    # -- the steps ----------------------------------------------------------------------

    def start(self, redirect_uri: str, scope: Scope = "snsapi_userinfo", *, data: str = "",
              context: str = "", force_popup: bool | None = None) -> str:
        """The authorization URL with a fresh signed state (``data`` comes back on finish)."""
        state = issue_state(self._state_key, self.oa.now(), secrets.token_hex(8), data,
                            context=context)
        return self.oa.authorize_url(redirect_uri, scope, state, force_popup)

    def finish(self, code: str, state: str | None, *, context: str = "") -> UserToken:
        """Check the callback's state, exchange its code, keep the user's token."""
        verify_state(self._state_key, state, self.oa.now(), max_age=self.state_max_age,
                     context=context)
        now = self.oa.now()
        token = user_token_from_result(self.oa.get_user_access_token(code), now)
        if token.is_snapshotuser:
            # A snapshot page's virtual user: its openid is not the real user's, keep nothing.
            logger.info("web auth: snapshot-page user, token not stored")
        else:
            self.store.save(token)
        return token

    def user_token(self, openid: str, *, renew: bool = False) -> UserToken | None:
        """The stored token of ``openid``, refreshed if it expired (or if ``renew``);
        None when the user must authorize again."""
        token = self.store.load(openid)
        if token is None:
            return None
        now = self.oa.now()
        if token.is_fresh(now) and not renew:
            return token
        if not token.can_refresh(now):
            self.store.delete(openid)
            return None
        try:
            result = self.oa.refresh_user_access_token(token.refresh_token)
        except RefreshTokenError as exc:
            logger.info("web auth: refresh refused for %s (%s); re-authorization needed",
                        openid, exc.errcode)
            self.store.delete(openid)
            return None
        fresh = user_token_from_result(result, now, previous=token)
        self.store.save(fresh)
        logger.debug("web auth: refreshed the token of %s", openid)
        return fresh

    def userinfo(self, openid: str, lang: Lang = "zh_CN") -> UserInfoResult | None:
        """The profile of a user who authorized before, or None if they must do it again."""
        token = self.user_token(openid)
        if token is None or "snsapi_userinfo" not in token.scopes:
            return None
        try:
            return self.oa.get_userinfo(openid, token.access_token, lang)
        except UserTokenInvalidError:
            token = self.user_token(openid, renew=True)  # revoked early: refresh once
            if token is None:
                return None
            return self.oa.get_userinfo(openid, token.access_token, lang)

    def authorize_userinfo(
        self,
        redirect_uri: str,
        code: str | None = None,
        state: str | None = None,
        *,
        openid: str | None = None,
        lang: Lang = "zh_CN",
        context: str = "",
        data: str = "",
    ) -> Redirect | UserInfoResult:
        """From the callback's ``code``/``state``, a known ``openid``, or nothing: the user's
        profile, or a :class:`Redirect` to WeChat's consent page (back to ``redirect_uri``).

        A callback whose code was already used or expired (the user reloaded the page) falls
        back to the stored token of ``openid``, else to a fresh redirect.
        """
        if code:
            try:
                token = self.finish(code, state, context=context)
            except InvalidOAuthCodeError as exc:
                logger.info("web auth: callback code refused (%s); starting over", exc.errcode)
            else:
                return self.oa.get_userinfo(token.openid, token.access_token, lang)
        elif state:  # WeChat comes back with the state alone when the user declines
            raise AuthorizationRefusedError("the user declined web authorization")
        if openid:
            info = self.userinfo(openid, lang)
            if info is not None:
                return info
        return Redirect(self.start(redirect_uri, "snsapi_userinfo", data=data, context=context))
