"""Recorded WeChat traffic ("cassettes"): the file format, recording, and replay.

A cassette is one human-readable JSON file per scenario: a format version, a name, and the
ordered exchanges -- each the request as sent (method, host, path, query, body; credentials
stripped) and WeChat's response (status, headers, body) -- plus optional keys that let a
generic test replay it (``call``, ``expect``) and inputs a test recorded (``values``)::

    {"wxcore_cassette": 1, "name": "token/stable_token", "description": "...",
     "interactions": [{"request": {"method": "POST", "host": "api.weixin.qq.com",
                                   "path": "/cgi-bin/stable_token", "query": {},
                                   "body": {"json": {"grant_type": "client_credential", ...}}},
                       "response": {"status": 200, "headers": {...},
                                    "body": {"json": {"access_token": "...", ...}}}}]}

A body is ``null`` or exactly one of ``{"json": value}``, ``{"text": "exact text"}``,
``{"base64": "..."}`` and (requests only) ``{"multipart": [parts]}``. A response body is
written as ``json`` only when re-encoding the value compactly gives back the exact bytes, so
replay is byte-exact whichever form was chosen.

* :class:`RecordingTransport` wraps any transport and writes a cassette with every secret
  replaced by a stable placeholder (``<redacted:access_token:1>``): the bound credential is
  dropped, secret fields in queries and bodies are replaced, secret values seen anywhere are
  scrubbed from all recorded text; phone numbers too when asked.
* :class:`ReplayTransport` answers from a cassette, matching by method, path, query and body
  (credentials ignored; a recorded placeholder matches any value), in strict or any order.
  A request with no match raises :class:`CassetteMismatchError` showing the request and the
  closest recorded one side by side; :meth:`ReplayTransport.assert_all_used` reports the
  exchanges a test never made.
* :func:`replay_client` builds any client or facade on a replay transport with dummy
  credentials, so no token is fetched; :func:`check_cassette` runs a cassette's ``call`` and
  checks its ``expect`` (what the suite's generic replay test does for every cassette).

Malformed files raise :class:`CassetteFormatError` naming the file, the JSON path and the
problem. The format is described for people in ``docs/testing.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from wxcore.http import API_HOST, Place, Request, Response
from wxcore.redact import SECRET_FIELDS, mask
from wxcore.tokens import Token

from wxcore.adapters.client import Client
from wxcore.adapters.tokens import StaticTokenProvider
from wxcore.adapters.transport import Transport

__all__ = [
    "FORMAT_VERSION",
    "RECORD_SECRET_FIELDS",
    "PHONE_FIELDS",
    "Cassette",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "RecordedError",
    "Body",
    "Part",
    "CallSpec",
    "Expect",
    "CassetteError",
    "CassetteFormatError",
    "CassetteMismatchError",
    "UnusedInteractionsError",
    "load_cassette",
    "loads_cassette",
    "dumps_cassette",
    "save_cassette",
    "RecordingTransport",
    "ReplayTransport",
    "replay_client",
    "run_call",
    "check_cassette",
    "is_placeholder",
]

FORMAT_VERSION = 1

#: Field names whose values never reach a cassette: wxcore's secret fields, plus short-lived
#: codes that stand in for a secret and keys derived from an EncodingAESKey.
RECORD_SECRET_FIELDS: frozenset[str] = SECRET_FIELDS | frozenset(
    {
        "pre_auth_code",
        "authorization_code",
        "auth_code",
        "encodingaeskey",
        "EncodingAESKey",
        "encodingAESKey",
        "aes_key",
        "encrypt_key",
        "sessionKey",
    }
)

#: Fields holding a user's phone number, replaced when recording with ``redact_phone_numbers``.
PHONE_FIELDS: frozenset[str] = frozenset(
    {"phoneNumber", "purePhoneNumber", "phone_number", "pure_phone_number", "mobile"}
)

_PLACEHOLDER = re.compile(r"<redacted:[A-Za-z0-9_.-]+(?::\d+)?>")
#: Secret values shorter than this are replaced where they sit in a secret field, but not
#: searched for inside other text (a 3-character "secret" would corrupt unrelated strings).
_MIN_SCRUB_LENGTH = 8
_DEFAULT_HEADERS = {
    "json": "application/json; encoding=utf-8",
    "text": "text/plain; charset=utf-8",
    "base64": "application/octet-stream",
}
_KEPT_RESPONSE_HEADERS = ("content-type", "content-disposition")


def is_placeholder(value: object) -> bool:
    """True for a redaction placeholder such as ``<redacted:access_token:1>``."""
    return isinstance(value, str) and _PLACEHOLDER.fullmatch(value) is not None


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


def _check_import_path(value: str, key: str) -> None:
    module, sep, attr = value.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f'"{key}" must look like "package.module:Name", not {value!r}')


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

    kind: Literal["connect", "read", "read_timeout", "transport"]
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
    ``{"$base64": "..."}`` is bytes, and ``{"$new": "module:Callable", "args": [...] or
    {...}}`` is the result of that call (a ``wxcore.multipart:File``, a
    ``datetime:date.fromisoformat``...), its arguments decoded the same way.
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
        _check_import_path(self.client, "client")
        if isinstance(self.builder, str):
            _check_import_path(self.builder, "builder")


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
        _check_import_path(getattr(self, key), key)


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


_DECODER = msgspec.json.Decoder(Cassette)


def _position(data: bytes, message: str) -> str:
    """Add line and column to msgspec's "(byte N)" so people can find the problem."""
    found = re.search(r"\(byte (\d+)\)", message)
    if not found:
        return message
    offset = int(found.group(1))
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"{message} (line {line}, column {column})"


def loads_cassette(data: bytes | str, source: str = "<cassette>") -> Cassette:
    """Parse cassette JSON; :class:`CassetteFormatError` names ``source`` and the problem."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        return _DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise CassetteFormatError(f"{source}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise CassetteFormatError(f"{source}: {_position(raw, str(exc))}") from None


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Read and validate the cassette at ``path``."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CassetteFormatError(f"{file}: cannot read the cassette: {exc.strerror}") from None
    return loads_cassette(data, str(file))


def dumps_cassette(cassette: Cassette) -> bytes:
    """The cassette as pretty-printed UTF-8 JSON (2-space indent, fixed key order)."""
    return msgspec.json.format(msgspec.json.encode(cassette), indent=2) + b"\n"


def save_cassette(cassette: Cassette, path: str | os.PathLike[str]) -> Path:
    """Write ``cassette`` to ``path`` (parent folders created), atomically."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.tmp")
    tmp.write_bytes(dumps_cassette(cassette))
    tmp.replace(file)
    return file


# -- bodies ---------------------------------------------------------------------------------


def _header(headers: Iterable[tuple[str, str]] | Mapping[str, str], name: str) -> str:
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key.lower() == name:
            return value
    return ""


class _SentPart(msgspec.Struct, frozen=True):
    name: str
    filename: str | None
    content_type: str | None
    content: bytes


def _parse_multipart(body: bytes, content_type: str) -> list[_SentPart] | None:
    """The parts of a multipart/form-data body, or None if it cannot be parsed."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        return None
    delimiter = b"--" + found.group(1).encode()
    parts: list[_SentPart] = []
    for segment in body.split(delimiter)[1:]:
        if segment.startswith(b"--"):
            return parts
        segment = segment.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, sep, content = segment.partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if not name:
            return None
        parts.append(_SentPart(name.group(1), filename.group(1) if filename else None,
                               headers.get("content-type"), content))
    return None


def _response_body(data: bytes) -> Body | None:
    """``json`` when compact re-encoding is byte-exact, else ``text`` (UTF-8), else ``base64``."""
    if not data:
        return None
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError:
        pass
    else:
        if msgspec.json.encode(value) == data:
            return Body(json=value)
    try:
        return Body(text=data.decode("utf-8"))
    except UnicodeDecodeError:
        return Body(base64=base64.b64encode(data).decode())


# -- redaction ----------------------------------------------------------------------------


class _Redactor:
    """Maps every secret value seen to a stable placeholder and scrubs it from any text.

    The same value always gets the same placeholder (``<redacted:access_token:1>``), so a
    cassette still shows that two calls returned the same token, or a new one.
    """

    def __init__(self, secret_fields: frozenset[str], phone_fields: frozenset[str]) -> None:
        self.secret_fields = secret_fields
        self.phone_fields = phone_fields
        self.placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def placeholder(self, label: str, value: str) -> str:
        if is_placeholder(value) or value == "":
            return value
        known = self.placeholders.get(value)
        if known is None:
            count = self._counts.get(label, 0) + 1
            self._counts[label] = count
            known = self.placeholders[value] = f"<redacted:{label}:{count}>"
        return known

    def label(self, key: str) -> str | None:
        if key in self.secret_fields:
            return key
        if key in self.phone_fields:
            return "phone"
        return None

    def fields(self, value: Any) -> Any:
        """``value`` (decoded JSON) with every secret-named string field replaced."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                label = self.label(key)
                if label is not None and isinstance(item, str):
                    out[key] = self.placeholder(label, item)
                else:
                    out[key] = self.fields(item)
            return out
        if isinstance(value, list):
            return [self.fields(item) for item in value]
        return value

    def scrub(self, text: str) -> str:
        """``text`` with every known secret value (and its JSON-escaped forms) replaced."""
        for secret, placeholder in sorted(self.placeholders.items(), key=lambda kv: -len(kv[0])):
            if len(secret) < _MIN_SCRUB_LENGTH:
                continue
            escaped = msgspec.json.encode(secret).decode()[1:-1]
            for form in {secret, escaped, escaped.replace("/", "\\/")}:
                if form in text:
                    text = text.replace(form, placeholder)
        return text

    def scrub_tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {key: self.scrub_tree(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_tree(item) for item in value]
        return value


def _json_or_none(data: bytes) -> Any:
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return None


def _credential(request: Request) -> str | None:
    """The value of the bound credential in ``request``, if one is there."""
    auth = request.auth
    if auth.kind is None or not auth.param:
        return None
    if auth.place is Place.QUERY:
        for key, value in request.query:
            if key == auth.param:
                return value
        return None
    decoded = _json_or_none(request.body) if request.body else None
    value = decoded.get(auth.param) if isinstance(decoded, dict) else None
    return value if isinstance(value, str) else None


_ERROR_KINDS: tuple[tuple[type[TransportError], str], ...] = (
    (ConnectError, "connect"),
    (ReadTimeoutError, "read_timeout"),
    (ReadError, "read"),
    (TransportError, "transport"),
)


class RecordingTransport:
    """Wraps ``inner`` and records every exchange; :meth:`cassette` gives them redacted.

    Nothing is redacted until :meth:`cassette` (or :meth:`save`) runs, and then over all
    exchanges at once, so a secret first seen in a later response is still scrubbed from an
    earlier one. ``secrets`` are extra values to scrub (an EncodingAESKey, say);
    ``redact_phone_numbers`` replaces phone-number fields too. With ``path``, :meth:`close`
    saves the cassette there. ``values`` holds test inputs saved with the cassette.
    """

    def __init__(
        self,
        inner: Transport,
        *,
        name: str = "",
        description: str = "",
        path: str | os.PathLike[str] | None = None,
        appid: str | None = None,
        redact_phone_numbers: bool = False,
        secret_fields: Iterable[str] = RECORD_SECRET_FIELDS,
        secrets: Iterable[str] = (),
        keep_headers: Iterable[str] = _KEPT_RESPONSE_HEADERS,
    ) -> None:
        self.inner = inner
        self.name = name or (Path(path).stem if path else "recording")
        self.description = description
        self.path = Path(path) if path is not None else None
        self.appid = appid
        self.redact_phone_numbers = redact_phone_numbers
        self.secret_fields = frozenset(secret_fields)
        self.secrets = list(secrets)
        self.keep_headers = tuple(h.lower() for h in keep_headers)
        self.values: dict[str, Any] = {}
        self._exchanges: list[tuple[Request, Response | TransportError]] = []
        self._lock = threading.Lock()

    def send(self, request: Request) -> Response:
        try:
            response = self.inner.send(request)
        except TransportError as exc:
            with self._lock:
                self._exchanges.append((request, exc))
            raise
        with self._lock:
            self._exchanges.append((request, response))
        return response

    def __len__(self) -> int:
        return len(self._exchanges)

    # -- building the cassette ------------------------------------------------------------

    def cassette(self) -> Cassette:
        """Everything recorded so far, redacted, as a :class:`Cassette`."""
        with self._lock:
            exchanges = list(self._exchanges)
        redactor = _Redactor(
            self.secret_fields, PHONE_FIELDS if self.redact_phone_numbers else frozenset()
        )
        for value in self.secrets:
            redactor.placeholder("secret", value)
        for request, outcome in exchanges:  # pass 1: learn every secret value
            self._learn(redactor, request, outcome)
        interactions = [self._interaction(redactor, req, out) for req, out in exchanges]
        values = redactor.scrub_tree(redactor.fields(self.values)) if self.values else UNSET
        return Cassette(
            wxcore_cassette=FORMAT_VERSION,
            name=self.name,
            description=redactor.scrub(self.description),
            appid=self.appid if self.appid else UNSET,
            values=values,
            interactions=interactions,
        )

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the redacted cassette to ``path`` (default: the one given at creation)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise CassetteError("RecordingTransport.save() needs a path")
        return save_cassette(self.cassette(), target)

    def _learn(self, redactor: _Redactor, request: Request,
               outcome: Response | TransportError) -> None:
        credential = _credential(request)
        if credential:
            redactor.placeholder(request.auth.kind or request.auth.param, credential)
        for key, value in request.query:
            label = redactor.label(key)
            if label is not None:
                redactor.placeholder(label, value)
        if request.body:
            redactor.fields(_json_or_none(request.body))
        if isinstance(outcome, Response) and outcome.body:
            redactor.fields(_json_or_none(outcome.body))

    def _interaction(self, redactor: _Redactor, request: Request,
                     outcome: Response | TransportError) -> Interaction:
        auth = request.auth
        query: dict[str, str] = {}
        for key, value in request.query:
            if auth.kind is not None and auth.place is Place.QUERY and key == auth.param:
                continue  # the bound credential is dropped, not just masked
            label = redactor.label(key)
            query[key] = redactor.placeholder(label, value) if label else redactor.scrub(value)
        recorded = RecordedRequest(
            method=request.method,
            host=request.host,
            path=request.path,
            query=query,
            body=self._request_body(redactor, request),
            endpoint=request.endpoint or UNSET,
        )
        if isinstance(outcome, TransportError):
            kind = next(k for cls, k in _ERROR_KINDS if isinstance(outcome, cls))
            error = RecordedError(kind=kind, message=redactor.scrub(str(outcome)))  # type: ignore[arg-type]
            return Interaction(request=recorded, error=error)
        headers = {
            k: redactor.scrub(v) for k, v in outcome.headers.items()
            if k.lower() in self.keep_headers
        }
        return Interaction(
            request=recorded,
            response=RecordedResponse(
                status=outcome.status,
                headers=headers,
                body=self._response_body(redactor, outcome.body),
            ),
        )

    def _request_body(self, redactor: _Redactor, request: Request) -> Body | None:
        data = request.body
        if not data:
            return None
        content_type = _header(request.headers, "content-type")
        if content_type.lower().startswith("multipart/"):
            parsed = _parse_multipart(data, content_type)
            if parsed is not None:
                return Body(multipart=[self._part(redactor, p) for p in parsed])
        decoded = _json_or_none(data)
        if decoded is not None:
            if (isinstance(decoded, dict) and request.auth.kind is not None
                    and request.auth.place is Place.BODY):
                decoded.pop(request.auth.param, None)
            return Body(json=redactor.scrub_tree(redactor.fields(decoded)))
        try:
            return Body(text=redactor.scrub(data.decode("utf-8")))
        except UnicodeDecodeError:
            return Body(base64=base64.b64encode(data).decode())

    @staticmethod
    def _part(redactor: _Redactor, part: _SentPart) -> Part:
        if part.filename is None:
            try:
                return Part(name=part.name, content_type=part.content_type,
                            text=redactor.scrub(part.content.decode("utf-8")))
            except UnicodeDecodeError:
                pass
        return Part(name=part.name, filename=part.filename, content_type=part.content_type,
                    sha256=hashlib.sha256(part.content).hexdigest(), size=len(part.content))

    @staticmethod
    def _response_body(redactor: _Redactor, data: bytes) -> Body | None:
        body = _response_body(data)
        if body is None or isinstance(body.base64, str):
            return body
        if body.json is not UNSET:
            return Body(json=redactor.scrub_tree(redactor.fields(body.json)))
        assert isinstance(body.text, str)
        return Body(text=redactor.scrub(body.text))

    def close(self) -> None:
        try:
            if self.path is not None:
                self.save()
        finally:
            self.inner.close()

    def __repr__(self) -> str:
        return f"RecordingTransport({len(self._exchanges)} exchanges, inner={self.inner!r})"


# -- matching and replay ------------------------------------------------------------------

def _same(recorded: Any, sent: Any) -> bool:
    """Recorded value equals sent value, JSON types kept apart; a placeholder matches any."""
    if is_placeholder(recorded):
        return True
    if isinstance(recorded, dict):
        return (isinstance(sent, dict) and recorded.keys() == sent.keys()
                and all(_same(v, sent[k]) for k, v in recorded.items()))
    if isinstance(recorded, list):
        return (isinstance(sent, list) and len(recorded) == len(sent)
                and all(_same(a, b) for a, b in zip(recorded, sent)))
    if isinstance(recorded, bool) or isinstance(sent, bool):
        return type(recorded) is type(sent) and recorded == sent
    return bool(type(recorded) is type(sent) and recorded == sent) or (
        isinstance(recorded, (int, float)) and isinstance(sent, (int, float))
        and recorded == sent
    )


class _View(msgspec.Struct):
    """A request reduced to what matching compares, credentials removed."""

    method: str
    path: str
    query: dict[str, str]
    body_kind: str  # none | json | text | bytes | multipart
    body: Any


def _sent_view(request: Request) -> _View:
    auth = request.auth
    query = {k: v for k, v in request.query
             if not (auth.kind is not None and auth.place is Place.QUERY and k == auth.param)}
    data = request.body
    if not data:
        return _View(request.method, request.path, query, "none", None)
    content_type = _header(request.headers, "content-type")
    if content_type.lower().startswith("multipart/"):
        parsed = _parse_multipart(data, content_type)
        if parsed is not None:
            parts = [(p.name, p.filename, p.content_type, hashlib.sha256(p.content).hexdigest(),
                      p.content.decode("utf-8", "replace") if p.filename is None else None)
                     for p in parsed]
            return _View(request.method, request.path, query, "multipart", parts)
    decoded = _json_or_none(data)
    if decoded is not None:
        if isinstance(decoded, dict) and auth.kind is not None and auth.place is Place.BODY:
            decoded.pop(auth.param, None)
        return _View(request.method, request.path, query, "json", decoded)
    try:
        return _View(request.method, request.path, query, "text", data.decode("utf-8"))
    except UnicodeDecodeError:
        return _View(request.method, request.path, query, "bytes", data)


def _recorded_view(recorded: RecordedRequest, sent: Request) -> _View:
    auth = sent.auth
    query = {k: v for k, v in recorded.query.items()
             if not (auth.kind is not None and auth.place is Place.QUERY and k == auth.param)}
    body = recorded.body
    if body is None:
        return _View(recorded.method, recorded.path, query, "none", None)
    if body.json is not UNSET:
        value = body.json
        if isinstance(value, dict) and auth.kind is not None and auth.place is Place.BODY:
            value = {k: v for k, v in value.items() if k != auth.param}
        return _View(recorded.method, recorded.path, query, "json", value)
    if isinstance(body.text, str):
        return _View(recorded.method, recorded.path, query, "text", body.text)
    if isinstance(body.base64, str):
        return _View(recorded.method, recorded.path, query, "bytes", base64.b64decode(body.base64))
    assert isinstance(body.multipart, list)
    parts = [(p.name, p.filename, p.content_type, p.digest(),
              p.text if isinstance(p.text, str) else None) for p in body.multipart]
    return _View(recorded.method, recorded.path, query, "multipart", parts)


def _parts_match(recorded: list[tuple[Any, ...]], sent: list[tuple[Any, ...]]) -> bool:
    if len(recorded) != len(sent):
        return False
    for (name, filename, ctype, digest, text), (s_name, s_file, s_type, s_digest, _) in zip(
            recorded, sent):
        if name != s_name or (filename is not None and filename != s_file):
            return False
        if ctype is not None and ctype != s_type:
            return False
        if digest != s_digest and not is_placeholder(text):
            return False
    return True


def _body_matches(recorded: _View, sent: _View) -> bool:
    if recorded.body_kind == "none" or sent.body_kind == "none":
        return recorded.body_kind == sent.body_kind
    if recorded.body_kind == "multipart" or sent.body_kind == "multipart":
        return (recorded.body_kind == sent.body_kind
                and _parts_match(recorded.body, sent.body))
    if recorded.body_kind == "json" and sent.body_kind == "json":
        return _same(recorded.body, sent.body)
    as_bytes = [v.body.encode() if isinstance(v.body, str) else v.body
                if isinstance(v.body, bytes) else msgspec.json.encode(v.body)
                for v in (recorded, sent)]
    return as_bytes[0] == as_bytes[1]


def _matches(recorded: _View, sent: _View) -> bool:
    return (
        recorded.method == sent.method
        and recorded.path == sent.path
        and recorded.query.keys() == sent.query.keys()
        and all(_same(v, sent.query[k]) for k, v in recorded.query.items())
        and _body_matches(recorded, sent)
    )


def _score(recorded: _View, sent: _View) -> int:
    """How alike two requests are, to pick the closest recorded one for an error."""
    score = 8 * (recorded.path == sent.path) + 4 * (recorded.method == sent.method)
    for key, value in recorded.query.items():
        if key in sent.query:
            score += 1 + _same(value, sent.query[key])
    if recorded.body_kind == sent.body_kind:
        score += 1
        if isinstance(recorded.body, dict) and isinstance(sent.body, dict):
            score += sum(1 + _same(v, sent.body[k]) for k, v in recorded.body.items()
                         if k in sent.body)
        score += 2 * _body_matches(recorded, sent)
    return score


def _short(value: Any, width: int = 48) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return text if len(text) <= width else text[: width - 1] + "…"


def _masked(value: Any, secret_fields: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: (mask(v) if k in secret_fields and isinstance(v, str) and not is_placeholder(v)
                    else _masked(v, secret_fields)) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secret_fields) for v in value]
    return value


def _rows(view: _View, secret_fields: frozenset[str]) -> dict[str, str]:
    rows = {"method": view.method, "path": view.path}
    for key, value in _masked(view.query, secret_fields).items():
        rows[f"query.{key}"] = _short(value)
    body = _masked(view.body, secret_fields)
    if view.body_kind == "none":
        rows["body"] = "(none)"
    elif view.body_kind == "json" and isinstance(body, dict):
        for key, value in body.items():
            rows[f"body.{key}"] = _short(value)
        if not body:
            rows["body"] = "{}"
    elif view.body_kind == "json":
        rows["body"] = _short(body)
    elif view.body_kind == "text":
        rows["body"] = _short(repr(body))
    elif view.body_kind == "bytes":
        rows["body"] = f"<{len(body)} bytes sha256:{hashlib.sha256(body).hexdigest()[:12]}>"
    else:
        for name, filename, ctype, digest, text in body:
            rows[f"part.{name}"] = _short(
                text if text is not None and filename is None
                else f"{filename or ''} {ctype or ''} sha256:{digest[:12]}".strip()
            )
    return rows


def _side_by_side(sent: _View, recorded: _View | None, heading: str) -> str:
    secret = RECORD_SECRET_FIELDS
    left = _rows(sent, secret)
    right = _rows(recorded, secret) if recorded is not None else {}
    keys = list(left) + [k for k in right if k not in left]
    width = max(len(k) for k in keys) + 2
    column = min(max(len(v) for v in [*left.values(), "sent"]) + 6, 54)
    lines = [f"    {'':{width}}{'sent':{column}}{heading}"]
    for key in keys:
        a, b = left.get(key, "-"), right.get(key, "-")
        flag = " " if recorded is None or a == b else "*"
        lines.append(f"  {flag} {key:{width}}{a:{column}}{b}".rstrip())
    return "\n".join(lines)


class ReplayTransport:
    """Answers requests from a cassette, as if WeChat had.

    ``order="strict"``: each request must match the next unused exchange; ``"any"``: the
    first unused exchange that matches. ``repeat=True`` lets an exchange answer again once
    all matching ones were used. Every mismatch is kept in :attr:`mismatches` as well as
    raised, so a test harness can fail a test whose code swallowed the error.
    """

    def __init__(
        self,
        cassette: Cassette | str | os.PathLike[str],
        *,
        order: Literal["strict", "any"] = "strict",
        repeat: bool = False,
        source: str | None = None,
    ) -> None:
        if order not in ("strict", "any"):
            raise ValueError(f"order must be 'strict' or 'any', not {order!r}")
        if isinstance(cassette, Cassette):
            self.cassette = cassette
            self.source = source or f"cassette {cassette.name!r}"
        else:
            self.cassette = load_cassette(cassette)
            self.source = source or str(cassette)
        self.order = order
        self.repeat = repeat
        self.uses = [0] * len(self.cassette.interactions)
        self.mismatches: list[CassetteMismatchError] = []
        self._lock = threading.Lock()

    @property
    def interactions(self) -> list[Interaction]:
        return self.cassette.interactions

    def send(self, request: Request) -> Response:
        sent = _sent_view(request)
        with self._lock:
            index = self._find(request, sent)
            if index is None:
                error = CassetteMismatchError(self._explain(request, sent))
                self.mismatches.append(error)
                raise error
            self.uses[index] += 1
        interaction = self.interactions[index]
        if isinstance(interaction.error, RecordedError):
            raise self._error(interaction.error, request)
        assert isinstance(interaction.response, RecordedResponse)
        return interaction.response.to_response()

    def _find(self, request: Request, sent: _View) -> int | None:
        unused = [i for i, n in enumerate(self.uses) if n == 0]
        if self.order == "strict":
            candidates = unused[:1]
        else:
            candidates = unused
        for i in candidates:
            if _matches(_recorded_view(self.interactions[i].request, request), sent):
                return i
        if self.repeat:
            for i in reversed(range(len(self.uses))):
                if self.uses[i] and _matches(
                        _recorded_view(self.interactions[i].request, request), sent):
                    return i
        return None

    def _explain(self, request: Request, sent: _View) -> str:
        used = sum(1 for n in self.uses if n)
        head = (f"no recorded exchange matches {request.method} {request.path} "
                f"({request.endpoint or 'request'})\n"
                f"  cassette: {self.source} (order: {self.order}, "
                f"{used} of {len(self.uses)} exchanges used)")
        if not self.interactions:
            return head + "\n  the cassette records no exchanges\n" + _side_by_side(
                sent, None, "")
        unused = [i for i, n in enumerate(self.uses) if n == 0]
        if self.order == "strict" and unused:
            index = unused[0]
            note = f"next recorded exchange #{index} (order: strict)"
            elsewhere = [i for i in unused[1:] if _matches(
                _recorded_view(self.interactions[i].request, request), sent)]
            if elsewhere:
                note += (f"; unused exchange #{elsewhere[0]} would match: the requests came "
                         "in another order (use order='any' if order does not matter)")
        else:
            views = [(i, _recorded_view(it.request, request))
                     for i, it in enumerate(self.interactions)]
            index = max(views, key=lambda iv: (_score(iv[1], sent), self.uses[iv[0]] == 0,
                                               -iv[0]))[0]
            state = "unused" if self.uses[index] == 0 else "already used"
            note = f"closest recorded exchange #{index} ({state})"
        recorded = _recorded_view(self.interactions[index].request, request)
        table = _side_by_side(sent, recorded, f"recorded #{index}")
        return f"{head}\n  {note}; differing rows are marked *\n{table}"

    @staticmethod
    def _error(recorded: RecordedError, request: Request) -> TransportError:
        cls: type[TransportError] = {
            "connect": ConnectError, "read": ReadError, "read_timeout": ReadTimeoutError,
        }.get(recorded.kind, TransportError)
        message = recorded.message or f"{request.endpoint}: recorded {recorded.kind} failure"
        return cls(message, endpoint=request.endpoint)

    # -- reporting ------------------------------------------------------------------------

    def unused(self) -> list[tuple[int, Interaction]]:
        """The exchanges no request has used yet, with their index."""
        return [(i, it) for i, (it, n) in enumerate(zip(self.interactions, self.uses)) if not n]

    def report_unused(self) -> str:
        """A readable list of the unused exchanges ("" when every one was used)."""
        unused = self.unused()
        if not unused:
            return ""
        lines = [f"{len(unused)} of {len(self.uses)} recorded exchanges were never requested "
                 f"({self.source}):"]
        for i, interaction in unused:
            req = interaction.request
            query = "&".join(f"{k}={v}" for k, v in req.query.items())
            lines.append(f"  #{i} {req.method} {req.path}{'?' + query if query else ''}")
        return "\n".join(lines)

    def assert_all_used(self) -> None:
        """Raise :class:`UnusedInteractionsError` if some exchange was never requested."""
        report = self.report_unused()
        if report:
            raise UnusedInteractionsError(report)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"ReplayTransport({self.source}, {sum(map(bool, self.uses))}/{len(self.uses)} used)"


# -- clients on a cassette ----------------------------------------------------------------

C = TypeVar("C", bound=Client)

#: The dummy credentials a replaying client carries: never sent anywhere real.
REPLAY_SECRET = "replay-app-secret"
REPLAY_ACCESS_TOKEN = "replay-access-token"


def _no_sleep(seconds: float) -> None:
    pass


def replay_client(
    cls: type[C],
    cassette: Cassette | ReplayTransport | str | os.PathLike[str],
    *,
    appid: str | None = None,
    tokens: Literal["static", "fetch"] = "static",
    order: Literal["strict", "any"] = "strict",
    repeat: bool = False,
    **kwargs: Any,
) -> C:
    """A ``cls`` (``Client`` or a facade) answering from ``cassette``.

    The client carries dummy credentials and, with ``tokens="static"``, a fixed access token,
    so it makes exactly the requests the code under test makes and no token fetch. With
    ``tokens="fetch"`` it fetches its token through the cassette as a real client does.
    ``appid`` defaults to the cassette's. No retry wrapper and no real sleeping: the
    replay transport is ``client.transport``.
    """
    transport = (cassette if isinstance(cassette, ReplayTransport)
                 else ReplayTransport(cassette, order=order, repeat=repeat))
    if appid is None:
        appid = transport.cassette.default_appid()
    kwargs.setdefault("sleep", _no_sleep)
    if tokens == "static":
        kwargs.setdefault("token_provider", StaticTokenProvider(Token(value=REPLAY_ACCESS_TOKEN)))
    elif tokens != "fetch":
        raise ValueError(f"tokens must be 'static' or 'fetch', not {tokens!r}")
    return cls(appid, REPLAY_SECRET, transport=transport, retry=None, **kwargs)


def _import(path: str) -> Any:
    module, _, attr = path.partition(":")
    target: Any = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def _decode_arg(value: Any) -> Any:
    """A ``call`` argument with its ``$base64`` and ``$new`` escapes turned into objects."""
    if isinstance(value, list):
        return [_decode_arg(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"$base64"}:
        return base64.b64decode(value["$base64"])
    if "$new" in value and set(value) <= {"$new", "args"}:
        target = _import(value["$new"])
        args = _decode_arg(value.get("args", []))
        return target(**args) if isinstance(args, dict) else target(*args)
    return {key: _decode_arg(item) for key, item in value.items()}


def run_call(cassette: Cassette, client: Client | None = None) -> tuple[Client, Any]:
    """Run the cassette's ``call`` on a replaying client: (client, result or exception).

    Only :class:`~wxcore.errors.WxError` is returned as an outcome; any other exception
    (a replay mismatch, a bug) propagates.
    """
    from wxcore.errors import WxError

    spec = cassette.call
    if not isinstance(spec, CallSpec):
        raise CassetteError(f"cassette {cassette.name!r} has no \"call\"")
    if client is None:
        client_args = _decode_arg(spec.client_args)
        if isinstance(spec.now, (int, float)):
            now = float(spec.now)
            client_args.setdefault("clock", lambda: now)
        client = replay_client(_import(spec.client), cassette, tokens=spec.tokens,
                               **client_args)
    args = _decode_arg(spec.args)
    try:
        if isinstance(spec.builder, str):
            return client, client.call(_import(spec.builder)(**args))
        assert isinstance(spec.method, str)
        return client, getattr(client, spec.method)(**args)
    except WxError as exc:
        return client, exc


def _subset_problems(expected: Any, actual: Any, where: str) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing from the result")
            else:
                problems += _subset_problems(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {expected!r}, got {actual!r}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual))
                for p in _subset_problems(e, a, f"{where}[{i}]")]
    same = expected == actual if is_placeholder(expected) else _same(expected, actual)
    if not same:
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


def check_cassette(cassette: Cassette | str | os.PathLike[str]) -> Any:
    """Replay ``cassette``'s ``call`` and assert its ``expect`` and that every exchange was
    used; returns the typed result (or the expected exception). Raises AssertionError."""
    if not isinstance(cassette, Cassette):
        source = str(cassette)
        cassette = load_cassette(cassette)
    else:
        source = f"cassette {cassette.name!r}"
    client, outcome = run_call(cassette)
    expect = cassette.expect
    if isinstance(expect, Expect):
        if isinstance(expect.raises, str):
            wanted = _import(expect.raises)
            if not isinstance(outcome, wanted):
                raise AssertionError(f"{source}: expected {expect.raises} to be raised, "
                                     f"got {outcome!r}")
            actual: Any = {k: v for k, v in vars(outcome).items() if not k.startswith("_")}
        else:
            assert isinstance(expect.result, str)
            if isinstance(outcome, BaseException):
                raise AssertionError(f"{source}: expected a {expect.result}, "
                                     f"but the call raised {outcome!r}") from outcome
            wanted = _import(expect.result)
            if not isinstance(outcome, wanted):
                raise AssertionError(f"{source}: expected a {expect.result}, got {outcome!r}")
            actual = msgspec.to_builtins(outcome)
        problems = _subset_problems(expect.fields, actual, "$") if expect.fields else []
        if expect.value is not UNSET:
            problems += _subset_problems(expect.value, actual, "$")
        if problems:
            raise AssertionError(f"{source}: the result differs from \"expect\":\n  "
                                 + "\n  ".join(problems))
    elif isinstance(outcome, BaseException):
        raise AssertionError(f"{source}: the call raised {outcome!r} and the cassette has no "
                             "\"expect\" saying it should") from outcome
    transport = client.transport
    if isinstance(transport, ReplayTransport):
        transport.assert_all_used()
    return outcome

