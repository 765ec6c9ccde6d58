"""Errcodes the component endpoints document, as typed :class:`APIError` subclasses.

Declared per endpoint (``Endpoint(errors=...)``), never globally::

    APIError
    ├── VerifyTicketError          61005 ticket expired, 61006 ticket invalid (api_component_token)
    ├── AuthorizationRevokedError  61003 the account has not authorized (or revoked) the
    │                              component; 61023 the refresh token is invalid
    └── InvalidAuthorizationCodeError 61010 code expired, 61009 code invalid (api_query_auth)
    TokenError
    ├── NoVerifyTicketError        no ticket stored yet, or WeChat refused the stored one
    └── NotAuthorizedError         no refresh token stored for that authorizer

Source: https://developers.weixin.qq.com/doc/oplatform/Return_codes/Return_code_descriptions_new.html
"""

from __future__ import annotations

from wxcore.errors import APIError, TokenError, errors_of

__all__ = [
    "VerifyTicketError",
    "AuthorizationRevokedError",
    "InvalidAuthorizationCodeError",
    "NoVerifyTicketError",
    "NotAuthorizedError",
    "errors_of",
]


class VerifyTicketError(APIError):
    """61005/61006: the component_verify_ticket is expired or invalid; wait for the next push."""

    errcodes = (61005, 61006)


class AuthorizationRevokedError(APIError):
    """61003/61023: the authorizer no longer authorizes this component (or its refresh token
    was replaced by a new authorization); the merchant must authorize again."""

    errcodes = (61003, 61023)


class InvalidAuthorizationCodeError(APIError):
    """61009/61010: the authorization code is invalid or expired (it lives 10 minutes)."""

    errcodes = (61009, 61010)


class NoVerifyTicketError(TokenError):
    """No usable component_verify_ticket: none has arrived yet, or WeChat refused the last one.

    WeChat pushes a ticket every 10 minutes to the authorization event URL once the
    component is approved; ``start_push_ticket()`` asks for one at once.
    """


class NotAuthorizedError(TokenError):
    """No refresh token is stored for this authorizer: it never authorized the component,
    or it revoked the authorization (the ``unauthorized`` push)."""
