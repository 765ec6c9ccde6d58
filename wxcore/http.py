"""Request and Response: the plain values that cross between the core and a transport.

A :class:`Request` says everything a transport needs to put bytes on the wire, and what the
layers around it need to know: the logical endpoint name (for logs, fixtures and metrics),
whether re-sending it is safe (``idempotent``), and which credential it still lacks
(``auth``). Builders produce requests *without* credentials; :func:`bind` adds the credential
as a last, separate step, so that fixtures, reprs and logs built from an unbound request can
never hold a secret.

A :class:`Response` is the status, lower-cased headers and raw body. Transports never decode
JSON: parsing belongs to the endpoint that knows the shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import NamedTuple
from urllib.parse import quote

import msgspec

__all__ = [
    "API_HOST",
    "Auth",
    "Place",
    "Request",
    "Response",
    "bind",
    "encode_query",
    "NO_AUTH",
    "ACCESS_TOKEN",
    "APP_SECRET_IN_QUERY",
    "APP_SECRET_IN_BODY",
    "COMPONENT_TOKEN",
    "COMPONENT_SECRET_IN_BODY",
]

API_HOST = "api.weixin.qq.com"


class Place(str, Enum):
    """Where a credential goes in the request."""

    QUERY = "query"
    BODY = "body"


class Auth(NamedTuple):
    """Which credential a request needs and where it goes.

    ``kind`` names the credential the executor must supply: ``"access_token"`` (the app's, or an
    authorizer's when a client acts for one), ``"app_secret"``, ``"component_access_token"``,
    ``"component_secret"``, ``"user_token"`` (a user's web OAuth token), or ``None`` for none.
    ``param`` is the name it is sent under; ``place`` is the query string or the JSON body.
    """

    kind: str | None
    param: str = ""
    place: Place = Place.QUERY


_QUERY = Place.QUERY  # a module constant: reading an Enum member costs more

NO_AUTH = Auth(None)
ACCESS_TOKEN = Auth("access_token", "access_token")
APP_SECRET_IN_QUERY = Auth("app_secret", "secret")
APP_SECRET_IN_BODY = Auth("app_secret", "secret", Place.BODY)
COMPONENT_TOKEN = Auth("component_access_token", "component_access_token")
COMPONENT_SECRET_IN_BODY = Auth("component_secret", "component_appsecret", Place.BODY)

Query = tuple[tuple[str, str], ...]
Headers = tuple[tuple[str, str], ...]


class Request(msgspec.Struct, frozen=True, kw_only=True):
    """One HTTP request to WeChat, as a value.

    ``host`` is WeChat's logical host (``api.weixin.qq.com`` for every API call); a transport
    maps it to real base URLs, which is how fail-over hosts, the sandbox and proxies plug in.
    """

    method: str
    path: str
    endpoint: str
    query: Query = ()
    headers: Headers = ()
    body: bytes = b""
    host: str = API_HOST
    idempotent: bool = False
    auth: Auth = NO_AUTH

    @property
    def target(self) -> str:
        """Path plus the encoded query string: what goes after the host on the request line."""
        if not self.query:
            return self.path
        return f"{self.path}?{encode_query(self.query)}"

    @property
    def url(self) -> str:
        """The full URL against WeChat's own host (transports may send it elsewhere)."""
        return f"https://{self.host}{self.target}"

    def __repr__(self) -> str:
        from wxcore.redact import redact_url

        return f"Request({self.method} {redact_url(self.target)}, endpoint={self.endpoint!r})"


class Response(msgspec.Struct, frozen=True, kw_only=True):
    """One HTTP response: status, headers with lower-cased names, raw body bytes."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased (``""`` when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def __repr__(self) -> str:
        return f"Response(status={self.status}, {len(self.body)} bytes, {self.content_type or '-'})"


#: The bytes RFC 3986 leaves unescaped in a query value (``quote(v, safe="")`` keeps them).
_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
#: ``_SEPARATORS[n]``: what is left of ``n`` pairs of unreserved text joined as ``k=v&k=v``
#: once the unreserved bytes are deleted.
_SEPARATORS = tuple(b"&".join([b"="] * n) for n in range(33))


def encode_query(query: Iterable[tuple[str, str]]) -> str:
    """Percent-encode ``query`` pairs as ``a=1&b=2`` (RFC 3986: spaces as ``%20``), exactly
    as ``urllib.parse.urlencode(query, quote_via=quote, safe="")`` does."""
    # Most WeChat query values (appids, openids, codes, tokens) need no escaping at all. Join
    # the pairs as they are and delete every unreserved byte in one C-level pass over the
    # whole text (a 256-entry table, no per-value Python call): if only the n "=" and n-1
    # "&" that joined them are left, in that order, no name or value held anything to
    # escape (a non-ASCII character leaves bytes above 0x7f), and the text is the encoding.
    pairs = query if type(query) is tuple else tuple(query)
    text = "&".join([f"{k}={v}" for k, v in pairs])
    n = len(pairs)
    left = text.encode("utf-8", "surrogatepass").translate(None, _UNRESERVED)
    if n < len(_SEPARATORS) and left == _SEPARATORS[n]:
        return text
    return "&".join([f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs])


def bind(request: Request, secret: str) -> Request:
    """Return ``request`` with its credential added where ``request.auth`` says.

    This is the only place a credential enters a request, so redaction and fixture recording
    can always work from the unbound value.
    """
    auth = request.auth
    if auth.kind is None:
        return request
    if auth.place is _QUERY:
        return msgspec.structs.replace(request, query=request.query + ((auth.param, secret),))
    fields = msgspec.json.decode(request.body) if request.body else {}
    fields[auth.param] = secret
    return msgspec.structs.replace(request, body=msgspec.json.encode(fields))
