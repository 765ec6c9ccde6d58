"""Endpoints declared once: how to build their request and how to parse their response.

An :class:`Endpoint` is a few declarative lines::

    CODE2SESSION = Endpoint("miniprogram.code2session", "GET", "/sns/jscode2session",
                            Code2SessionResult, auth=APP_SECRET_IN_QUERY)

and a builder is a small pure function that validates business arguments and returns a
:class:`Call` (the unbound request plus the endpoint that knows how to parse the answer)::

    def code2session(appid: str, js_code: str) -> Call[Code2SessionResult]:
        require(appid=appid, js_code=js_code)
        return CODE2SESSION.call(query={"appid": appid, "js_code": js_code,
                                        "grant_type": "authorization_code"})

Parsing is one msgspec decode into the endpoint's result Struct on the happy path (lax about
WeChat's occasional string errcodes, tolerant of unknown fields), then ``if errcode: raise``.
Only when the success shape does not decode is a two-field error envelope decoded to pick the
exception, so an error body never costs more than two decodes and a success body one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

import inspect

import msgspec

from wxcore.errors import APIError, DecodeError, HTTPStatusError, UsageError, api_error
from wxcore.http import ACCESS_TOKEN, API_HOST, Auth, Place, Request, Response, bind
from wxcore.multipart import File, encode_multipart
from wxcore.redact import SECRET_FIELDS, mask

__all__ = ["WxResult", "Media", "Endpoint", "Call", "TableBuilder", "json_body", "require"]

T = TypeVar("T")


_RAW_NAME = "wxcore:raw-body"


class WxResult(msgspec.Struct, kw_only=True, dict=True):
    """Base of every JSON result: WeChat's ``errcode``/``errmsg`` plus the raw body.

    Subclasses keep WeChat's field names, so the official docs map one to one. Fields WeChat
    adds later are not lost: :attr:`result_json` decodes the whole body on demand.
    """

    errcode: int = 0
    errmsg: str = ""
    # The body this result was decoded from, set by Endpoint.parse. A field (a slot) rather
    # than an attribute in __dict__, which costs as much as the decode itself; its JSON name
    # is one no body can carry, so decoding never fills it and encoding leaves it out below.
    _raw: bytes | None = msgspec.field(default=None, name=_RAW_NAME)

    _secret_fields: ClassVar[frozenset[str]] = SECRET_FIELDS

    @property
    def result_json(self) -> dict[str, Any]:
        """The whole JSON object WeChat sent, including fields this Struct does not name."""
        raw = self._raw
        if raw is None:
            built: dict[str, Any] = msgspec.to_builtins(self)
            built.pop(_RAW_NAME, None)
            return built
        decoded: dict[str, Any] = msgspec.json.decode(raw)
        return decoded

    def __eq__(self, other: object) -> bool:
        """Equal when every field but the raw body is."""
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name)
                   for name in self.__struct_fields__ if name != "_raw")

    # equal by value yet mutable: unhashable, as Python makes any class defining __eq__;
    # typeshed types object.__hash__ as a method, hence the ignore
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = []
        for name in self.__struct_fields__:
            if name == "_raw":
                continue
            value = getattr(self, name)
            if name in self._secret_fields and isinstance(value, str):
                parts.append(f"{name}={mask(value)}")
            else:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class Media(msgspec.Struct, frozen=True, kw_only=True):
    """Binary content WeChat returned (an image, a file): the bytes and what they are.

    ``headers`` are the response's headers (lower-case names), for what WeChat says beside
    the bytes: wxacode's ``num-used``, a download's ``content-disposition``.
    """

    content: bytes
    content_type: str = ""
    filename: str = ""
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Media({len(self.content)} bytes, {self.content_type or '?'}, {self.filename!r})"


class _Envelope(msgspec.Struct):
    errcode: int = 0
    errmsg: str = ""


_ENVELOPE = msgspec.json.Decoder(_Envelope, strict=False)
_ENCODER = msgspec.json.Encoder()
def json_body(value: Any) -> bytes:
    """UTF-8 JSON without ASCII escaping, as WeChat expects (``None`` fields dropped)."""
    # type() first: an isinstance test against the Mapping ABC costs more than the encoding.
    if (type(value) is dict or isinstance(value, Mapping)) and None in value.values():
        value = {k: v for k, v in value.items() if v is not None}
    return _ENCODER.encode(value)


_JSON_HEADER = (("Content-Type", "application/json"),)
_QUERY = Place.QUERY  # a module constant: reading an Enum member costs more
_replace = msgspec.structs.replace


def _str(value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, eq=False)
class Endpoint(Generic[T]):
    """One WeChat API: where it lives, what it needs, what it returns.

    ``response`` is ``"json"`` for JSON APIs and ``"binary"`` for the ones that answer with
    raw bytes on success and a JSON error otherwise (wxacode, media/get). ``idempotent``
    defaults to True for GET and False for POST; it decides whether a request that may have
    reached WeChat can be sent again after a read failure. ``errors`` maps errcodes that mean
    something special at this endpoint to their exception class (for example 40001 at the
    token endpoint means a wrong secret, not a stale token).
    """

    name: str
    method: str
    path: str
    result: type[T]
    auth: Auth = ACCESS_TOKEN
    idempotent: bool | None = None
    response: Literal["json", "binary"] = "json"
    host: str = API_HOST
    errors: Mapping[int, type[APIError]] = field(default_factory=dict)
    _decoder: Any = field(init=False, repr=False)
    _resend_safe: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.idempotent is None:
            object.__setattr__(self, "idempotent", self.method == "GET")
        object.__setattr__(self, "_resend_safe", bool(self.idempotent))
        decode_type: Any = _Envelope if self.response == "binary" else self.result
        object.__setattr__(self, "_decoder", msgspec.json.Decoder(decode_type, strict=False))

    # -- building -------------------------------------------------------------------------

    def call(
        self,
        *,
        query: Mapping[str, object] | None = None,
        json: Any = None,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        files: Mapping[str, File] | None = None,
        form: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        credential: str | None = None,
        secret_query: Mapping[str, str] | None = None,
    ) -> Call[T]:
        """The unbound request for this endpoint, paired with this endpoint as its parser.

        ``None`` values in ``query`` and in a ``json`` mapping are left out, so optional
        arguments can be passed straight through. ``idempotent`` overrides the endpoint's
        default for this one request (a forced token refresh, say). ``files`` (and ``form``
        fields) make a multipart/form-data upload. ``credential`` is a credential this one
        call carries itself (a user's web OAuth token): the executor binds it instead of
        asking a provider, and it never enters the unbound request. ``secret_query`` are
        further secret query parameters the call carries (a user's refresh token beside the
        component token): bound with the credential, likewise never in the unbound request.
        """
        pairs: tuple[tuple[str, str], ...] = ()
        if query:
            pairs = tuple([(k, v if type(v) is str else _str(v))
                           for k, v in query.items() if v is not None])
        hdrs = headers if type(headers) is tuple else tuple(headers)
        if json is not None:
            body = json_body(json)
            hdrs = hdrs + _JSON_HEADER if hdrs else _JSON_HEADER
        elif files or form:
            body, content_type = encode_multipart(dict(form or {}), dict(files or {}))
            hdrs += (("Content-Type", content_type),)
        request = Request(
            method=self.method,
            path=self.path,
            endpoint=self.name,
            query=pairs,
            headers=hdrs,
            body=body,
            host=self.host,
            idempotent=self._resend_safe if idempotent is None else idempotent,
            auth=self.auth,
        )
        secrets = tuple(secret_query.items()) if secret_query else ()
        return Call(request, self, credential, secrets)

    # -- parsing --------------------------------------------------------------------------

    def parse(self, response: Response) -> T:
        """The typed result of ``response``, or the exception it stands for."""
        body = response.body
        if not 200 <= response.status < 300:
            self._raise_if_api_error(body)
            raise HTTPStatusError(response.status, body, endpoint=self.name)
        if self.response == "binary":
            return self._parse_binary(response)
        try:
            result = self._decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            problem = str(exc)
        else:
            if result.errcode:
                raise self._api_error(result.errcode, result.errmsg)
            result._raw = body
            return result  # type: ignore[no-any-return]  # _decoder decodes self.result: a T
        # Not the success shape: an error envelope, or a body the endpoint does not document.
        self._raise_if_api_error(body)
        raise DecodeError(
            f"body is not a {self.result.__name__}: {problem}", body=body, endpoint=self.name
        )

    def _raise_if_api_error(self, body: bytes) -> None:
        try:
            envelope = _ENVELOPE.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return
        if envelope.errcode:
            raise self._api_error(envelope.errcode, envelope.errmsg)

    def _api_error(self, errcode: int, errmsg: str) -> APIError:
        return api_error(errcode, errmsg, self.name, self.errors)

    def _parse_binary(self, response: Response) -> T:
        body = response.body
        if response.content_type in ("application/json", "text/plain") or body[:1] == b"{":
            self._raise_if_api_error(body)
            if self.result is not Media:
                try:
                    decoded: T = msgspec.json.decode(body, type=self.result, strict=False)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    problem = str(exc)
                else:
                    return decoded
                raise DecodeError(problem, body=body, endpoint=self.name)
            raise DecodeError(
                "expected binary content, got a JSON body with no errcode",
                body=body,
                endpoint=self.name,
            )
        if not body:
            raise DecodeError("empty body where binary content was expected", body=body,
                              endpoint=self.name)
        disposition = response.headers.get("content-disposition", "")
        filename = ""
        if "filename=" in disposition:
            filename = disposition.split("filename=", 1)[1].strip().strip('"')
        media = Media(content=body, content_type=response.content_type, filename=filename,
                      headers=dict(response.headers))
        return media  # type: ignore[return-value]  # a binary endpoint's T is Media


class Call(msgspec.Struct, Generic[T], frozen=True, eq=False, gc=False):
    """A request ready to be bound and sent, with the endpoint that parses its answer.

    ``credential``, when set, is the secret this call brings along (a user's web OAuth
    token, which no provider of the app holds); ``secrets`` are secret query parameters it
    brings besides. Both are kept apart from the request so that reprs, logs and recorded
    fixtures of the request never show them; :meth:`bound` adds them last.

    A frozen Struct: every facade call makes one, and msgspec makes it in C (no ``__init__``
    frame). Equal only to itself, as a plain object is; it holds no reference back to
    itself, so the garbage collector need not track it (``gc=False``).
    """

    request: Request
    endpoint: Endpoint[T]
    credential: str | None = None
    secrets: tuple[tuple[str, str], ...] = ()

    def bound(self, secret: str | None) -> Request:
        """The request to send: with ``secret`` where its ``auth`` says, and its secrets."""
        request = self.request
        if secret is not None:
            auth = request.auth
            if auth.place is _QUERY and auth.kind is not None:  # bind()'s common case, inline
                request = _replace(request, query=request.query + ((auth.param, secret),))
            else:
                request = bind(request, secret)
        if self.secrets:
            request = _replace(request, query=request.query + self.secrets)
        return request

    def parse(self, response: Response) -> T:
        """The typed result of ``response`` (see :meth:`Endpoint.parse`)."""
        return self.endpoint.parse(response)

    def __repr__(self) -> str:
        return f"Call({self.request!r})"


class TableBuilder(Generic[T]):
    """Base of builders declared as data: one row of a family table per endpoint.

    Endpoints that differ only in path, result type and a rule (the datacube queries, the OCR
    family, ...) are instances of one subclass, whose ``__call__`` builds the call. Each
    instance carries its own name, docstring and concrete signature (``-> Call[<result>]``),
    so ``help()``, facades and documentation tools see it as the function it stands for.
    """

    def __init__(self, endpoint: Endpoint[T], name: str, doc: str) -> None:
        self.endpoint = endpoint
        self.__name__ = name
        self.__qualname__ = self.__name__
        self.__doc__ = doc

    @property
    def __signature__(self) -> inspect.Signature:
        signature = inspect.signature(type(self).__call__)
        parameters = list(signature.parameters.values())[1:]  # without self
        # Call[...] of a runtime class: for inspect and help(), not a static annotation
        returns = Call[self.endpoint.result]  # type: ignore[name-defined]
        return signature.replace(parameters=parameters, return_annotation=returns)

    def __repr__(self) -> str:
        return f"<builder {self.__name__} for {self.endpoint.method} {self.endpoint.path}>"


def require(**values: object) -> None:
    """Raise :class:`UsageError` naming every argument that is missing or empty."""
    missing = [name for name, value in values.items() if value is None or value == ""]
    if missing:
        raise UsageError(f"required argument(s) missing or empty: {', '.join(missing)}")
