"""Tokens as values, and the token endpoints as ordinary endpoints.

A :class:`Token` is a secret plus its absolute expiry; whether it is fresh is a function of
``now`` and a margin, so this module never reads a clock. The endpoints that mint tokens
(``cgi-bin/token``, ``cgi-bin/stable_token``, ``cgi-bin/ticket/getticket``) are declared like
any other; the adapters' token providers decide when to call them and where to keep the result.
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

from wxcore.endpoint import Call, Endpoint, WxResult, require
from wxcore.errors import CredentialError, UsageError
from wxcore.http import APP_SECRET_IN_BODY, APP_SECRET_IN_QUERY
from wxcore.redact import mask

__all__ = [
    "Token",
    "AccessTokenResult",
    "TicketResult",
    "fetch_access_token",
    "fetch_stable_access_token",
    "fetch_ticket",
    "token_from_result",
    "DEFAULT_REFRESH_MARGIN",
    "MARGIN_FRACTION",
    "refresh_margin",
]

#: Refresh this many seconds before expiry. WeChat's stable_token starts handing out the next
#: token five minutes before the current one expires, and both stay valid meanwhile.
DEFAULT_REFRESH_MARGIN = 300.0

#: The margin is at most this fraction of a token's lifetime. WeChat may hand out a token
#: with less time left than the margin (stable_token answers the current token's remaining
#: lifetime); an absolute margin would then call it due at once and refetch it on every call.
MARGIN_FRACTION = 0.5


def refresh_margin(margin: float, lifetime: float | None) -> float:
    """The margin to use for a token that lived ``lifetime`` seconds when it was obtained.

    ``min(margin, MARGIN_FRACTION * lifetime)``: a token is used for at least half the life
    it had when fetched, so a short-lived answer is refetched a few times, not every call.
    """
    if lifetime is None:
        return margin
    return min(margin, MARGIN_FRACTION * max(0.0, lifetime))


class Token(msgspec.Struct, frozen=True, kw_only=True):
    """A credential and the absolute time (seconds since the epoch) it stops working.

    ``expires_at`` is ``math.inf`` for credentials that do not expire (an app secret, a token
    the user manages without an expiry). ``issued_at``, when known, is when it was obtained:
    it bounds the refresh margin by the token's lifetime (:func:`refresh_margin`). Two tokens
    are equal when all three are.
    """

    value: str
    expires_at: float = math.inf
    issued_at: float | None = None

    @property
    def lifetime(self) -> float | None:
        """Seconds between ``issued_at`` and expiry, if both are known."""
        if self.issued_at is None or math.isinf(self.expires_at):
            return None
        return self.expires_at - self.issued_at

    def is_fresh(self, now: float, margin: float = DEFAULT_REFRESH_MARGIN) -> bool:
        """True while ``now`` is more than the (lifetime-bounded) margin before expiry."""
        return now < self.expires_at - refresh_margin(margin, self.lifetime)

    def remaining(self, now: float) -> float:
        """Seconds left before expiry (negative once expired)."""
        return self.expires_at - now

    def __repr__(self) -> str:
        return f"Token({mask(self.value)}, expires_at={self.expires_at})"


class AccessTokenResult(WxResult, kw_only=True):
    """``cgi-bin/token`` and ``cgi-bin/stable_token``: the token and its lifetime in seconds."""

    access_token: str
    expires_in: int


class TicketResult(WxResult, kw_only=True):
    """``cgi-bin/ticket/getticket``: a JS-SDK (``jsapi``) or card (``wx_card``) ticket."""

    ticket: str
    expires_in: int


# At the token endpoints 40001 ("invalid credential") means the secret is wrong, not that a
# token went stale: raise CredentialError, so no one tries to "refresh" their way out of it.
_SECRET_ERRORS = {40001: CredentialError}

TOKEN = Endpoint(
    "token.access_token",
    "GET",
    "/cgi-bin/token",
    AccessTokenResult,
    auth=APP_SECRET_IN_QUERY,
    # Each call mints a new token, but resending after a lost answer only replaces a token
    # nobody saw, so it is safe to retry.
    idempotent=True,
    errors=_SECRET_ERRORS,
)
STABLE_TOKEN = Endpoint(
    "token.stable_access_token",
    "POST",
    "/cgi-bin/stable_token",
    AccessTokenResult,
    auth=APP_SECRET_IN_BODY,
    idempotent=True,  # without force_refresh every call returns the same token
    errors=_SECRET_ERRORS,
)
GET_TICKET = Endpoint("token.ticket", "GET", "/cgi-bin/ticket/getticket", TicketResult)


def fetch_access_token(appid: str) -> Call[AccessTokenResult]:
    """``GET cgi-bin/token``: mint a new token (it cuts the previous one short)."""
    require(appid=appid)
    return TOKEN.call(query={"grant_type": "client_credential", "appid": appid})


def fetch_stable_access_token(appid: str, force_refresh: bool = False) -> Call[AccessTokenResult]:
    """``POST cgi-bin/stable_token``: the token every caller shares.

    With ``force_refresh`` WeChat revokes the current token and issues a new one; it allows
    that 20 times a day, at least 30 seconds apart. A forced call is not idempotent.
    """
    require(appid=appid)
    body = {"grant_type": "client_credential", "appid": appid, "force_refresh": force_refresh}
    return STABLE_TOKEN.call(json=body, idempotent=not force_refresh)


def fetch_ticket(ticket_type: Literal["jsapi", "wx_card"] = "jsapi") -> Call[TicketResult]:
    """``GET cgi-bin/ticket/getticket``: the JS-SDK or card ticket (needs an access token)."""
    if ticket_type not in ("jsapi", "wx_card"):
        raise UsageError(f"ticket_type must be 'jsapi' or 'wx_card', not {ticket_type!r}")
    return GET_TICKET.call(query={"type": ticket_type})


def token_from_result(result: AccessTokenResult | TicketResult, now: float) -> Token:
    """The :class:`Token` a token endpoint's result stands for, as seen at time ``now``."""
    value = result.access_token if isinstance(result, AccessTokenResult) else result.ticket
    return Token(value=value, expires_at=now + result.expires_in, issued_at=now)
