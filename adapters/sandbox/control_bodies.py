"""The bodies of the sandbox's JSON control API (``/sandbox/...``), as msgspec Structs.

Decoding a request body into one of these is the whole validation: unknown fields, wrong
types, out-of-range numbers and cross-field rules (``__post_init__``) all fail with a
message naming the field, which the server answers as ``400 {"error": "..."}``. The
push bodies (``POST /sandbox/push``) live in :mod:`wxcore.adapters.sandbox.push_console`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "AppRef", "UserRef", "PhoneCodeBody", "FaultBody", "PaidOrderBody", "EncryptDataBody",
    "MediaCheckPushBody", "RefuseSubscribeBody", "RiskRankBody", "LogQuery", "ControlError",
    "Body", "NonEmpty", "Appid",
]

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
ApiPath = Annotated[str, msgspec.Meta(pattern=r"^/[A-Za-z0-9_/.\-]*$", max_length=256)]
Appid = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Control bodies refuse fields they do not know (a typo is an error, not a no-op)."""


class AppRef(Body, kw_only=True):
    """Names an app; none: the sandbox's first app."""

    appid: Appid | None = None


class UserRef(AppRef, kw_only=True):
    """A simulated user of an app, by any name (it maps to a stable openid)."""

    user: NonEmpty = "alice"


class PhoneCodeBody(AppRef, kw_only=True):
    phone: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5,20}$")] = "13800138000"
    country_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,4}$")] = "86"


class FaultBody(Body, kw_only=True):
    """A :class:`~wxcore.adapters.sandbox.core.Fault` to inject; see its docstring."""

    kind: Literal["errcode", "status", "reset", "slow", "revoke"]
    times: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1
    path: ApiPath | None = None
    errcode: int = -1
    errmsg: Annotated[str, msgspec.Meta(max_length=256)] = "system error"
    status: Annotated[int, msgspec.Meta(ge=400, le=599)] = 503
    delay: Annotated[float, msgspec.Meta(ge=0, le=120)] = 0.0

    def __post_init__(self) -> None:
        if self.kind == "slow" and self.delay <= 0:
            raise ValueError("a slow fault needs a delay in seconds (0 < delay <= 120)")
        if self.kind == "errcode" and self.errcode == 0:
            raise ValueError("errcode 0 is a success, not a fault")


class PaidOrderBody(UserRef, kw_only=True):
    """A payment by ``user``: a ``transaction_id``, or ``mch_id`` with ``out_trade_no``."""

    transaction_id: NonEmpty | None = None
    mch_id: NonEmpty | None = None
    out_trade_no: NonEmpty | None = None

    def __post_init__(self) -> None:
        if (self.mch_id is None) != (self.out_trade_no is None):
            raise ValueError("mch_id and out_trade_no go together")
        if self.transaction_id is None and self.mch_id is None:
            raise ValueError("give transaction_id, or mch_id with out_trade_no")


class EncryptDataBody(AppRef, kw_only=True):
    """What to encrypt as ``encryptedData`` with a user's ``session_key`` (from code2session)."""

    session_key: NonEmpty
    payload: dict[str, Any]

    def __post_init__(self) -> None:
        try:
            key = base64.b64decode(self.session_key, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("session_key is not base64") from None
        if len(key) != 16:
            raise ValueError("session_key must decode to 16 bytes (as code2session returns)")


class MediaCheckPushBody(Body, kw_only=True):
    """The later result of a ``media_check_async`` call (its ``trace_id``)."""

    trace_id: NonEmpty
    suggest: Literal["pass", "risky", "review"] = "pass"
    label: Annotated[int, msgspec.Meta(ge=0)] = 100


class RefuseSubscribeBody(Body, kw_only=True):
    openid: NonEmpty
    template_id: NonEmpty


class RiskRankBody(Body, kw_only=True):
    openid: NonEmpty
    rank: Annotated[int, msgspec.Meta(ge=0, le=4)]


class LogQuery(Body, kw_only=True):
    """``GET /sandbox/log`` query: calls numbered above ``after``, at most ``limit``."""

    after: Annotated[int, msgspec.Meta(ge=0)] = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=2000)] = 200


class ControlError(Exception):
    """A control request the sandbox refuses: answered ``status {"error": reason}``."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
