"""The cassette file format as typed structs: a cassette, its exchanges, bodies, and the
optional ``call``/``expect`` that let a generic test replay it (layout in ``docs/testing.md``).

Validation lives in ``__post_init__``, so a malformed file fails while it is decoded, with
msgspec naming the JSON path of the problem.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from wxcore.http import API_HOST, Response

from wxcore.adapters.cassette.names import check_escapes, check_name

__all__ = [
    "FORMAT_VERSION", "ErrorKind", "Cassette", "Interaction", "RecordedRequest", "RecordedResponse",
    "RecordedError", "Body", "Part", "CallSpec", "Expect", "CassetteError",
    "CassetteFormatError", "CassetteMismatchError", "UnusedInteractionsError", "is_placeholder",
]

# -- errors -------------------------------------------------------------------------------


class CassetteError(Exception):
    """Base of the cassette errors. Deliberately not a :class:`~wxcore.errors.WxError`:
    application code that handles WeChat failures must not swallow a test's replay error."""


class CassetteFormatError(CassetteError, ValueError):
    """A cassette file is not valid JSON or does not follow the format."""


class CassetteMismatchError(CassetteError, AssertionError):
    """A request matched no recorded exchange."""


class UnusedInteractionsError(CassetteError, AssertionError):
    """A test finished without making some of the recorded exchanges."""


FORMAT_VERSION = 1

#: How a recorded transport failure is replayed (ConnectError, ReadError, ...).
ErrorKind = Literal["connect", "read", "read_timeout", "transport"]

_PLACEHOLDER = re.compile(r"<redacted:[A-Za-z0-9_.-]+(?::\d+)?>")
_DEFAULT_HEADERS = {
    "json": "application/json; encoding=utf-8",
    "text": "text/plain; charset=utf-8",
    "base64": "application/octet-stream",
}


def is_placeholder(value: object) -> bool:
    """True for a redaction placeholder such as ``<redacted:access_token:1>``."""
    return isinstance(value, str) and _PLACEHOLDER.fullmatch(value) is not None


# -- the format ---------------------------------------------------------------------------


def _one_of(owner: str, **fields: object) -> str:
    present = [name for name, value in fields.items() if value is not UNSET]
    if len(present) != 1:
        names = ", ".join(f'"{n}"' for n in fields)
        got = ", ".join(f'"{n}"' for n in present) or "none"
        raise ValueError(f"{owner} needs exactly one of {names} (got {got})")
    return present[0]


def _check_base64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("\"base64\" is not valid base64") from None



class Part(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One part of a multipart/form-data request body.

    Form fields are recorded as ``text``; files as ``sha256`` and ``size`` of their content
    (the bytes themselves are not kept). Hand-written parts may give ``text`` or ``base64``
    instead; matching compares the content's SHA-256 either way.
    """

    name: str
    filename: str | None = None
    content_type: str | None = None
    text: str | UnsetType = UNSET
    base64: str | UnsetType = UNSET
    sha256: str | UnsetType = UNSET
    size: int | UnsetType = UNSET

    def __post_init__(self) -> None:
        _one_of("a multipart part", text=self.text, base64=self.base64, sha256=self.sha256)
        if isinstance(self.base64, str):
            _check_base64(self.base64)
        if isinstance(self.sha256, str) and not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ValueError('"sha256" must be 64 lower-case hex digits')

    def digest(self) -> str:
        if isinstance(self.sha256, str):
            return self.sha256
        if isinstance(self.text, str):
            return hashlib.sha256(self.text.encode()).hexdigest()
        assert isinstance(self.base64, str)
        return hashlib.sha256(base64.b64decode(self.base64)).hexdigest()


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request or response body: exactly one of ``json``, ``text``, ``base64``, ``multipart``."""

    json: Any = UNSET
    text: str | UnsetType = UNSET
    base64: str | UnsetType = UNSET
    multipart: list[Part] | UnsetType = UNSET

    def __post_init__(self) -> None:
        _one_of("a body", json=self.json, text=self.text, base64=self.base64,
                multipart=self.multipart)
        if isinstance(self.base64, str):
            _check_base64(self.base64)

    @property
    def kind(self) -> str:
        for name in ("json", "text", "base64"):
            if getattr(self, name) is not UNSET:
                return name
        return "multipart"

    def to_bytes(self) -> bytes:
        """The bytes this body stands for (compact UTF-8 JSON for ``json``)."""
        if self.json is not UNSET:
            return msgspec.json.encode(self.json)
        if isinstance(self.text, str):
            return self.text.encode()
        if isinstance(self.base64, str):
            return base64.b64decode(self.base64)
        raise CassetteError("a multipart body records digests, not bytes; it cannot be replayed")


class RecordedRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request as sent, without its credential. ``endpoint`` (wxcore's logical name) is
    informative only; host is recorded but not matched."""

    method: str
    host: str = API_HOST
    path: str
    query: dict[str, str] = msgspec.field(default_factory=dict)
    body: Body | None = None
    endpoint: str | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.method != self.method.upper() or not self.method.isalpha():
            raise ValueError(f'"method" must be an upper-case HTTP method, not {self.method!r}')
        if not self.path.startswith("/") or "?" in self.path:
            raise ValueError(f'"path" must start with "/" and hold no query, not {self.path!r}')


class RecordedResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """WeChat's answer. Without ``headers``, replay sends a content-type fitting the body."""

    status: int
    headers: dict[str, str] | UnsetType = UNSET
    body: Body | None = None

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f'"status" must be an HTTP status (100-599), not {self.status}')
        if self.body is not None and self.body.multipart is not UNSET:
            raise ValueError("a response body cannot be \"multipart\"")
        if isinstance(self.headers, dict):
            self.headers = {k.lower(): v for k, v in self.headers.items()}

    def to_response(self) -> Response:
        body = self.body.to_bytes() if self.body is not None else b""
        if isinstance(self.headers, dict):
            headers = dict(self.headers)
        elif self.body is not None:
            headers = {"content-type": _DEFAULT_HEADERS[self.body.kind]}
        else:
            headers = {}
        return Response(status=self.status, body=body, headers=headers)


class RecordedError(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A transport failure recorded instead of a response (replayed as the same error)."""

    kind: ErrorKind
    message: str = ""


class Interaction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One exchange: the request and either its response or the transport error it met."""

    request: RecordedRequest
    response: RecordedResponse | UnsetType = UNSET
    error: RecordedError | UnsetType = UNSET

    def __post_init__(self) -> None:
        _one_of("an interaction", response=self.response, error=self.error)


class CallSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a generic test calls to replay a cassette.

    Either a client ``method`` (``client.method(**args)``) or a pure ``builder``
    (``client.call(builder(**args))``). ``client`` is the class to build (import path),
    ``client_args`` extra keyword arguments for it; ``tokens`` ``"static"`` uses a dummy
    access token, ``"fetch"`` fetches it through the cassette like a real client; ``now``
    fixes the client's clock (seconds since the epoch) for date rules that depend on today.

    Argument values are JSON, with two escapes for what JSON cannot say:
    ``{"$base64": "..."}`` is bytes, and ``{"$new": "wxcore.multipart:File", "args": [...] or
    {...}}`` an object built by a registered argument type, its arguments decoded the same
    way. Every name is checked when the file is loaded (see :mod:`.names`): a cassette
    runs nothing but wxcore's own code.
    """

    client: str = "wxcore.adapters.client:Client"
    client_args: dict[str, Any] = msgspec.field(default_factory=dict)
    method: str | UnsetType = UNSET
    builder: str | UnsetType = UNSET
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    tokens: Literal["static", "fetch"] = "static"
    now: float | UnsetType = UNSET

    def __post_init__(self) -> None:
        _one_of('"call"', method=self.method, builder=self.builder)
        check_name(self.client, "client")
        if isinstance(self.builder, str):
            check_name(self.builder, "builder")
        if isinstance(self.method, str) and (
                not self.method.isidentifier() or self.method.startswith("_")):
            raise ValueError(f'"method" must be a public method name, not {self.method!r}')
        check_escapes(self.client_args, "client_args")
        check_escapes(self.args, "args")


class Expect(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What the call must give: a ``result`` of this type, or ``raises`` this exception.

    ``fields`` is a subset of the result's fields (or the exception's attributes), compared
    after ``msgspec.to_builtins`` (bytes as base64); ``value`` is the whole result, for
    methods that return a plain value (a ticket string, say).
    """

    result: str | UnsetType = UNSET
    raises: str | UnsetType = UNSET
    fields: dict[str, Any] = msgspec.field(default_factory=dict)
    value: Any = UNSET

    def __post_init__(self) -> None:
        key = _one_of('"expect"', result=self.result, raises=self.raises)
        check_name(getattr(self, key), "result" if key == "result" else "raises")


class Cassette(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One scenario of recorded traffic (see the module docstring for the layout)."""

    wxcore_cassette: int
    name: str
    description: str = ""
    appid: str | UnsetType = UNSET
    values: dict[str, Any] | UnsetType = UNSET
    call: CallSpec | UnsetType = UNSET
    expect: Expect | UnsetType = UNSET
    interactions: list[Interaction] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.wxcore_cassette != FORMAT_VERSION:
            raise ValueError(f"unsupported cassette format version {self.wxcore_cassette}; "
                             f"this wxcore reads version {FORMAT_VERSION}")
        if self.expect is not UNSET and self.call is UNSET:
            raise ValueError('"expect" needs a "call" to check')

    def default_appid(self) -> str:
        """``appid`` if given, else the first ``appid`` a recorded request sent."""
        if isinstance(self.appid, str):
            return self.appid
        for interaction in self.interactions:
            request = interaction.request
            if "appid" in request.query:
                return request.query["appid"]
            body = request.body
            if body is not None and isinstance(body.json, dict) and isinstance(
                    body.json.get("appid"), str):
                return str(body.json["appid"])
        return "wx0000000000000000"


