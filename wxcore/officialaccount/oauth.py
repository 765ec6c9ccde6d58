"""Web authorization (网页授权): authorize URLs, the user-token endpoints, signed state values.

The flow, as WeChat documents it
(https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html):

1. send the browser to :func:`authorize_url` (inside WeChat) or :func:`qrconnect_url` (a
   website's QR login, https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html);
2. WeChat redirects back to ``redirect_uri?code=CODE&state=STATE`` (a code works once, for
   five minutes);
3. :func:`get_user_access_token` exchanges the code for the *user's* web access token (not the
   app's), valid two hours; :func:`refresh_user_access_token` renews it with the refresh
   token (valid 30 days); :func:`get_userinfo` and :func:`check_user_access_token` use it.

A user's web token is a credential of its own kind (``Auth("user_token", ...)``): the builder
hands it to the :class:`~wxcore.endpoint.Call` (``credential=``), and the executor binds it as
the last step, so it never appears in a request's repr, a log line or a recorded fixture.

:func:`issue_state` / :func:`verify_state` make the ``state`` parameter a signed, expiring
value (HMAC-SHA256 under a key the caller keeps), so a callback that did not start from this
server is refused (CSRF). Everything here is pure: the time and the nonce are arguments.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from typing import Literal, NamedTuple
from urllib.parse import quote

import msgspec

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import APIError, TokenInvalidError, UsageError, WxError
from wxcore.http import APP_SECRET_IN_QUERY, Auth
from wxcore.officialaccount.errors import InvalidOpenidError, errors_of
from wxcore.redact import mask

__all__ = [
    "AUTHORIZE_URL",
    "QRCONNECT_URL",
    "USER_TOKEN",
    "USER_REFRESH_TOKEN",
    "USER_TOKEN_LIFETIME",
    "REFRESH_TOKEN_LIFETIME",
    "STATE_MAX_AGE",
    "Scope",
    "Lang",
    "OAuthTokenResult",
    "UserInfoResult",
    "UserToken",
    "OAuthState",
    "InvalidOAuthCodeError",
    "RefreshTokenError",
    "UserTokenInvalidError",
    "OAuthStateError",
    "AuthorizationRefusedError",
    "authorize_url",
    "qrconnect_url",
    "get_user_access_token",
    "refresh_user_access_token",
    "get_userinfo",
    "check_user_access_token",
    "user_token_from_result",
    "issue_state",
    "verify_state",
]

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
QRCONNECT_URL = "https://open.weixin.qq.com/connect/qrconnect"

#: A user's web access token, sent as ``access_token`` in the query (sns/userinfo, sns/auth).
USER_TOKEN = Auth("user_token", "access_token")
#: The same user's refresh token, sent as ``refresh_token`` (sns/oauth2/refresh_token).
USER_REFRESH_TOKEN = Auth("user_token", "refresh_token")

#: WeChat's lifetimes: the user's web access token, and its refresh token.
USER_TOKEN_LIFETIME = 7200
REFRESH_TOKEN_LIFETIME = 30 * 86400
#: Seconds a signed state value stays acceptable by default (a code itself lives 5 minutes).
STATE_MAX_AGE = 600

Scope = Literal["snsapi_base", "snsapi_userinfo"]
Lang = Literal["zh_CN", "zh_TW", "en"]

_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


# -- errors WeChat documents for these endpoints ---------------------------------------------


class InvalidOAuthCodeError(APIError):
    """The callback's code is wrong (40029), already used (40163) or expired (42003)."""

    errcodes = (40029, 40163, 42003)


class RefreshTokenError(APIError):
    """The refresh token is wrong (40030) or expired (42002), or the user changed their
    password (42007): only sending the user through authorization again helps."""

    errcodes = (40030, 42002, 42007)


class UserTokenInvalidError(TokenInvalidError):
    """The user's web token is invalid or expired (40001, 40014, 42001) or was revoked by a
    password change (42007): refresh it with the refresh token, or re-authorize."""

    errcodes = (40001, 40014, 42001, 42007)


class OAuthStateError(WxError):
    """A callback's ``state`` is missing, forged, for another context, or too old."""


class AuthorizationRefusedError(WxError):
    """The callback came back without a code: the user declined to authorize."""


# -- results ----------------------------------------------------------------------------------


class OAuthTokenResult(WxResult, kw_only=True):
    """``sns/oauth2/access_token`` and ``sns/oauth2/refresh_token``: the user's web token.

    ``scope`` is comma-separated; ``is_snapshotuser`` is 1 for the virtual user of a
    "snapshot page" (快照页), whose openid is not the real user's; ``unionid`` only when
    the app is bound to an Open Platform account.
    """

    access_token: str
    expires_in: int
    refresh_token: str
    openid: str
    scope: str = ""
    unionid: str = ""
    is_snapshotuser: int = 0


class UserInfoResult(WxResult, kw_only=True):
    """``sns/userinfo``: the profile a user agreed to share (scope snsapi_userinfo).

    Since 2021 WeChat answers ``sex`` 0 and empty province/city/country.
    """

    openid: str
    nickname: str = ""
    sex: int = 0
    province: str = ""
    city: str = ""
    country: str = ""
    headimgurl: str = ""
    privilege: list[str] = msgspec.field(default_factory=list)
    unionid: str = ""


class UserToken(msgspec.Struct, frozen=True, kw_only=True):
    """What an app keeps of one user's authorization: both tokens and their expiry.

    ``expires_at`` and ``refresh_expires_at`` are Unix times. The repr never shows a token.
    """

    openid: str
    access_token: str
    expires_at: float
    refresh_token: str
    refresh_expires_at: float
    scope: str = ""
    unionid: str = ""
    is_snapshotuser: int = 0

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(s for s in self.scope.split(",") if s)

    def is_fresh(self, now: float, margin: float = 60.0) -> bool:
        """True while the access token has more than ``margin`` seconds left."""
        return now < self.expires_at - margin

    def can_refresh(self, now: float) -> bool:
        """True while the refresh token is still valid."""
        return now < self.refresh_expires_at

    def __repr__(self) -> str:
        return (f"UserToken(openid={self.openid!r}, access_token={mask(self.access_token)}, "
                f"expires_at={self.expires_at}, refresh_token={mask(self.refresh_token)}, "
                f"scope={self.scope!r})")


def user_token_from_result(result: OAuthTokenResult, now: float,
                           previous: UserToken | None = None) -> UserToken:
    """The :class:`UserToken` an exchange or a refresh at time ``now`` stands for.

    A refresh that hands back the same refresh token keeps its original expiry (30 days
    from the authorization, as WeChat documents); a new refresh token starts a new period.
    """
    refresh_expires_at = now + REFRESH_TOKEN_LIFETIME
    if previous is not None and previous.refresh_token == result.refresh_token:
        refresh_expires_at = previous.refresh_expires_at
    return UserToken(
        openid=result.openid, access_token=result.access_token,
        expires_at=now + result.expires_in, refresh_token=result.refresh_token,
        refresh_expires_at=refresh_expires_at,
        scope=result.scope or (previous.scope if previous else ""),
        unionid=result.unionid or (previous.unionid if previous else ""),
        is_snapshotuser=result.is_snapshotuser,
    )


# -- endpoints --------------------------------------------------------------------------------

OAUTH_ACCESS_TOKEN = Endpoint(
    "officialaccount.get_user_access_token", "GET", "/sns/oauth2/access_token", OAuthTokenResult,
    auth=APP_SECRET_IN_QUERY,
    idempotent=False,  # a code works once: a resend after a lost answer gets 40163
    errors=errors_of(InvalidOAuthCodeError),
)
OAUTH_REFRESH_TOKEN = Endpoint(
    "officialaccount.refresh_user_access_token", "GET", "/sns/oauth2/refresh_token",
    OAuthTokenResult, auth=USER_REFRESH_TOKEN, errors=errors_of(RefreshTokenError),
)
USERINFO = Endpoint(
    "officialaccount.get_userinfo", "GET", "/sns/userinfo", UserInfoResult, auth=USER_TOKEN,
    errors=errors_of(UserTokenInvalidError, InvalidOpenidError, only=(
        40001, 40014, 42001, 42007, 40003)),
)
SNS_AUTH = Endpoint(
    "officialaccount.check_user_access_token", "GET", "/sns/auth", WxResult, auth=USER_TOKEN,
    errors=errors_of(UserTokenInvalidError, InvalidOpenidError, only=(
        40001, 40014, 42001, 42007, 40003)),
)


# -- URLs the browser is sent to ---------------------------------------------------------------


def _quote_all(value: str) -> str:
    return quote(value, safe="")


def _check_redirect_uri(redirect_uri: str) -> None:
    if not redirect_uri.startswith(("http://", "https://")):
        raise UsageError(f"redirect_uri must be an absolute http(s) URL (got {redirect_uri!r})")
    if "#" in redirect_uri:
        raise UsageError("redirect_uri may not contain a fragment ('#'); WeChat appends the "
                         "code and state to its query")


def _check_state(state: str | None) -> None:
    if state is None:
        return
    if not state or len(state) > 128 or not _ALNUM.issuperset(state):
        raise UsageError("state must be 1-128 letters and digits (WeChat allows [a-zA-Z0-9] "
                         f"only; got {state!r:.60})")


def _connect_url(base: str, appid: str, redirect_uri: str, scope: str, state: str | None,
                 extra: dict[str, str]) -> str:
    """``base?appid&redirect_uri&response_type&scope[&state][&extra]#wechat_redirect``."""
    _check_redirect_uri(redirect_uri)
    _check_state(state)
    url = (f"{base}?appid={_quote_all(appid)}&redirect_uri={_quote_all(redirect_uri)}"
           f"&response_type=code&scope={scope}")
    if state is not None:
        url += f"&state={state}"
    return url + "".join(f"&{k}={v}" for k, v in extra.items()) + "#wechat_redirect"


@checked
def authorize_url(
    appid: str,
    redirect_uri: str,
    scope: Scope = "snsapi_base",
    state: str | None = None,
    force_popup: bool | None = None,
    force_snap_shot: bool | None = None,
) -> str:
    """The URL that starts web authorization inside WeChat.

    ``snsapi_base`` is silent and yields the openid; ``snsapi_userinfo`` asks the user's
    consent and allows :func:`get_userinfo`. ``force_popup`` forces the consent prompt;
    ``force_snap_shot`` forces the snapshot-page logic. Parameters keep WeChat's order
    (appid, redirect_uri, response_type, scope, state), which WeChat checks strictly.
    """
    flags = {"forcePopup": force_popup, "forceSnapShot": force_snap_shot}
    return _connect_url(AUTHORIZE_URL, appid, redirect_uri, scope, state,
                        {k: ("true" if v else "false") for k, v in flags.items() if v is not None})


@checked
def qrconnect_url(
    appid: str,
    redirect_uri: str,
    state: str | None = None,
    lang: Literal["cn", "en"] | None = None,
) -> str:
    """The website-login URL (scope ``snsapi_login``): a QR code the user scans with WeChat.

    ``appid`` is the website application's (Open Platform), not the Official Account's; its
    code is exchanged with the same :func:`get_user_access_token`, under that app's secret.
    """
    return _connect_url(QRCONNECT_URL, appid, redirect_uri, "snsapi_login", state,
                        {"lang": lang} if lang is not None else {})


# -- builders -------------------------------------------------------------------------------


@checked
def get_user_access_token(appid: str, code: str) -> Call[OAuthTokenResult]:
    """Exchange the callback's ``code`` for the user's web access token (needs the secret)."""
    return OAUTH_ACCESS_TOKEN.call(
        query={"appid": appid, "code": code, "grant_type": "authorization_code"})


@checked
def refresh_user_access_token(appid: str, refresh_token: str) -> Call[OAuthTokenResult]:
    """Renew a user's web access token with their refresh token (valid 30 days)."""
    return OAUTH_REFRESH_TOKEN.call(query={"appid": appid, "grant_type": "refresh_token"},
                                    credential=refresh_token)


@checked
def get_userinfo(openid: str, access_token: str, lang: Lang = "zh_CN") -> Call[UserInfoResult]:
    """The profile of ``openid``, with that user's web ``access_token`` (scope
    snsapi_userinfo). The openid comes first, as in py_wechat_tools and wechatpy."""
    return USERINFO.call(query={"openid": openid, "lang": lang}, credential=access_token)


@checked
def check_user_access_token(openid: str, access_token: str) -> Call[WxResult]:
    """Ask WeChat whether a user's web ``access_token`` is still valid (raises if not)."""
    return SNS_AUTH.call(query={"openid": openid}, credential=access_token)


# -- signed state (CSRF) ----------------------------------------------------------------------


class OAuthState(NamedTuple):
    """What a verified state value carried."""

    issued_at: int
    nonce: str
    data: str


_NONCE_LENGTH = 16
_MAC_LENGTH = 32  # hex digits: 128 bits of HMAC-SHA256
_HEAD = 8 + _NONCE_LENGTH + _MAC_LENGTH
#: Room left for ``data`` within WeChat's 128-character state.
MAX_STATE_DATA = 128 - _HEAD


def _key_bytes(key: bytes | str) -> bytes:
    raw = key.encode() if isinstance(key, str) else key
    if not isinstance(raw, bytes) or len(raw) < 16:
        raise UsageError("the state key must be at least 16 bytes (keep it secret, share it "
                         "between the processes that issue and verify states)")
    return raw


def _mac(key: bytes, context: str, body: str) -> str:
    message = f"wxcore-oauth-state\x00{context}\x00{body}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_MAC_LENGTH]


def issue_state(key: bytes | str, now: float, nonce: str, data: str = "", *,
                context: str = "") -> str:
    """A state value signed with ``key``: issue time, ``nonce``, optional ``data``.

    ``nonce`` is 16 letters or digits (random, from the caller). ``data`` (letters and
    digits, at most :data:`MAX_STATE_DATA`) comes back from :func:`verify_state`.
    ``context`` (say the browser session's id) is signed but not sent: a state verifies
    only in the same context, which is what stops a forged callback from another browser.
    """
    raw = _key_bytes(key)
    if len(nonce) != _NONCE_LENGTH or not _ALNUM.issuperset(nonce):
        raise UsageError(f"nonce must be {_NONCE_LENGTH} letters or digits")
    if len(data) > MAX_STATE_DATA or not _ALNUM.issuperset(data):
        raise UsageError(f"data must be at most {MAX_STATE_DATA} letters or digits")
    if not math.isfinite(now) or not 0 <= now < 16**8:
        raise UsageError(f"now must be a Unix time in seconds (got {now!r})")
    body = f"{int(now):08x}{nonce}"
    return body + _mac(raw, context, body + data) + data


def verify_state(key: bytes | str, state: str | None, now: float, *,
                 max_age: float = STATE_MAX_AGE, context: str = "") -> OAuthState:
    """Check a callback's ``state`` against ``key`` and ``context``; raise OAuthStateError.

    The signature is compared in constant time; a state older than ``max_age`` seconds
    (or issued in the future, beyond a minute of clock skew) is refused.
    """
    raw = _key_bytes(key)
    if not state or len(state) < _HEAD or len(state) > 128 or not _ALNUM.issuperset(state):
        raise OAuthStateError("state missing or not one this server issued")
    body, mac, data = state[:8 + _NONCE_LENGTH], state[8 + _NONCE_LENGTH:_HEAD], state[_HEAD:]
    expected = _mac(raw, context, body + data)
    if not hmac.compare_digest(expected.encode(), mac.encode()):
        raise OAuthStateError("state signature mismatch: the callback did not start here")
    try:
        issued_at = int(body[:8], 16)
    except ValueError:
        raise OAuthStateError("state has no valid issue time") from None
    age = now - issued_at
    if age > max_age or age < -60:
        raise OAuthStateError(f"state is {int(age)}s old (at most {max_age:g}s allowed)")
    return OAuthState(issued_at, body[8:], data)
