"""The one exception tree of wxcore.

Every failure a caller can see is a :class:`WxError`, so ``except WxError`` catches all of
them, and each branch says *where* it went wrong, which is what decides what to do next::

    WxError
    ├── UsageError (also ValueError)     bad arguments, caught before anything is sent
    ├── TransportError                   the request did not get a complete HTTP answer
    │   ├── ConnectError                 never reached the server (always safe to retry)
    │   └── ReadError                    sent, but the answer did not arrive in full
    │       └── ReadTimeoutError         ... because the read timed out
    ├── HTTPStatusError                  an HTTP status WeChat does not use for API errors
    ├── DecodeError                      a body that is not what the endpoint documents
    ├── APIError                         WeChat answered with a non-zero errcode
    │   ├── SystemBusyError              -1: platform busy, retry later
    │   ├── TokenInvalidError            40001, 40014, 42001: refetch the token, resend once
    │   ├── QuotaError                   45009 (daily), 45011 (per minute): never retried blindly
    │   ├── CredentialError              40013, 40125, 40164, 40243: appid/secret/IP wrong
    │   └── UnauthorizedAPIError         48001: the account may not call this API
    ├── TokenError                       a token provider could not produce a token
    └── MessageError                     a pushed message failed a check (see wxcore.messages)

The errcodes every API shares map to these classes in :data:`COMMON_ERRORS`, fixed at import.
Codes that mean something only at some endpoints (43101: the user refused a subscribe
message) are declared on those endpoints (``Endpoint(errors=errors_of(...))``), so there is
no process-wide registry to mutate and an API group cannot change another group's errors.

No exception here ever holds a secret: URLs are redacted by :func:`wxcore.redact.redact_url`
before they are put into a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

__all__ = [
    "WxError",
    "UsageError",
    "TransportError",
    "ConnectError",
    "ReadError",
    "ReadTimeoutError",
    "HTTPStatusError",
    "DecodeError",
    "APIError",
    "SystemBusyError",
    "TokenInvalidError",
    "QuotaError",
    "CredentialError",
    "UnauthorizedAPIError",
    "TokenError",
    "MessageError",
    "COMMON_ERRORS",
    "errors_of",
    "api_error",
]


class WxError(Exception):
    """Base of every exception wxcore raises."""


class UsageError(WxError, ValueError):
    """The caller passed arguments that WeChat would reject; nothing was sent."""


class TransportError(WxError):
    """The HTTP exchange failed below the level of an HTTP status.

    ``endpoint`` is the logical endpoint name and ``url`` the redacted URL, when known.
    """

    def __init__(self, message: str, *, endpoint: str = "", url: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.url = url


class ConnectError(TransportError):
    """The request never reached the server (refused, DNS, TLS handshake, connect timeout).

    Nothing was processed, so retrying is always safe.
    """


class ReadError(TransportError):
    """The request was sent but the answer did not arrive in full (reset, protocol error).

    WeChat may have acted on it, so only idempotent requests are retried.
    """


class ReadTimeoutError(ReadError):
    """The server took longer than the read timeout to answer."""


class HTTPStatusError(WxError):
    """WeChat answered with an HTTP status outside 2xx (for example a gateway 502)."""

    def __init__(self, status: int, body: bytes, *, endpoint: str = "") -> None:
        preview = body[:200].decode("utf-8", "replace")
        super().__init__(f"{endpoint or 'request'}: HTTP {status}: {preview}")
        self.status = status
        self.body = body
        self.endpoint = endpoint


class DecodeError(WxError):
    """The body is not what the endpoint documents; ``body`` keeps the raw bytes."""

    def __init__(self, message: str, *, body: bytes, endpoint: str = "") -> None:
        super().__init__(f"{endpoint or 'response'}: {message}")
        self.body = body
        self.endpoint = endpoint


_RID = re.compile(r"rid:\s*([0-9a-fA-F-]+)")


class APIError(WxError):
    """WeChat answered with a non-zero ``errcode``.

    ``errmsg`` is WeChat's text as sent (it often ends in ``rid: ...``); ``rid`` is that
    request id pulled out of it, the thing WeChat's support asks for.
    """

    errcodes: ClassVar[tuple[int, ...]] = ()

    def __init__(self, errcode: int, errmsg: str = "", *, endpoint: str = "") -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        match = _RID.search(errmsg)
        self.rid = match.group(1) if match else ""
        where = f"{endpoint}: " if endpoint else ""
        super().__init__(f"{where}errcode {errcode}: {errmsg}")

    def __reduce__(self) -> tuple[object, ...]:  # keep keyword arguments when pickled
        return (_rebuild_api_error, (type(self), self.errcode, self.errmsg, self.endpoint))


def _rebuild_api_error(cls: type[APIError], errcode: int, errmsg: str, endpoint: str) -> APIError:
    return cls(errcode, errmsg, endpoint=endpoint)


class SystemBusyError(APIError):
    """errcode -1: the platform is busy; retrying after a pause usually succeeds."""

    errcodes = (-1,)


class TokenInvalidError(APIError):
    """The access token was rejected (invalid, superseded or expired): refetch and resend."""

    errcodes: ClassVar[tuple[int, ...]] = (40001, 40014, 42001)  # subclasses add codes


class QuotaError(APIError):
    """A call quota is used up: 45009 for the day, 45011 for the minute."""

    errcodes: ClassVar[tuple[int, ...]] = (45009, 45011)  # subclasses narrow them


class CredentialError(APIError):
    """The app's credentials are wrong: bad appid, bad or frozen secret, IP not whitelisted.

    Retrying cannot help; fix the configuration.
    """

    errcodes = (40013, 40125, 40164, 40243)


class UnauthorizedAPIError(APIError):
    """errcode 48001: this account has no permission for this API."""

    errcodes = (48001,)


class TokenError(WxError):
    """A token provider could not produce a token (store unreachable, service down, ...)."""


class MessageError(WxError):
    """A message pushed by WeChat failed verification, decryption or parsing."""


def errors_of(*classes: type[APIError], only: tuple[int, ...] = ()) -> Mapping[int, type[APIError]]:
    """The errcode → class mapping of ``classes`` (their ``errcodes``), read-only.

    ``only`` keeps just those codes, for an endpoint that documents part of a class's codes.
    """
    return MappingProxyType({code: cls for cls in classes for code in cls.errcodes
                             if not only or code in only})


#: The errcodes every WeChat API shares, and their classes.
COMMON_ERRORS: Mapping[int, type[APIError]] = errors_of(
    SystemBusyError, TokenInvalidError, QuotaError, CredentialError, UnauthorizedAPIError)


def api_error(errcode: int, errmsg: str, endpoint: str = "",
              special: Mapping[int, type[APIError]] | None = None) -> APIError:
    """The exception for ``errcode``: from ``special`` (the endpoint's own codes), else
    :data:`COMMON_ERRORS`, else a plain :class:`APIError`."""
    cls = (special.get(errcode) if special else None) or COMMON_ERRORS.get(errcode, APIError)
    return cls(errcode, errmsg, endpoint=endpoint)
