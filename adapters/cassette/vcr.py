"""vcrpy hooks that keep wxcore's secrets out of vcrpy and pytest-recording cassettes.

For projects that already record their HTTP with vcrpy: :class:`WxVcrFilter` gives vcrpy's
``before_record_request`` / ``before_record_response`` hooks, redacting exactly as wxcore's
own recorder does: the same secret field names (``wxcore.redact.RECORDED_SECRET_FIELDS``),
the same stable placeholders (``<redacted:access_token:1>``), and every secret value seen
scrubbed from all later text. So an ``access_token``, ``secret``, ``session_key`` or
``ticket`` never reaches the YAML file, and replay still works: the placeholder a replayed
token response hands out is what the next replayed request sends, and matches.

Use one filter per cassette, since placeholder numbers are per file. vcrpy is not
imported here; the hooks only touch the request's ``uri``, ``body`` and ``headers`` and the
response dict vcrpy passes.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, MutableMapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

from wxcore.adapters.cassette.redaction import (
    PHONE_FIELDS,
    RECORD_SECRET_FIELDS,
    Redactor,
    json_or_none,
)

__all__ = ["WxVcrFilter", "VcrRequest", "transport_patches"]


def transport_patches() -> tuple[tuple[Any, str, Any], ...]:
    """vcrpy ``custom_patches`` for wxcore's :class:`~wxcore.adapters.urllib3_transport.Urllib3Transport`.

    vcrpy intercepts urllib3 by replacing its connection classes, but wxcore's transport
    uses connection subclasses of its own (to know whether a request left), set on its own
    pool classes, which vcrpy's standard patches do not reach: without these, vcrpy would
    record nothing and, replaying, let the requests go out. Needs vcrpy installed.
    """
    vcr_stubs = importlib.import_module("vcr.stubs.urllib3_stubs")  # vcrpy has no types
    from wxcore.adapters.urllib3_transport import _POOL_CLASSES

    pools: dict[str, Any] = dict(_POOL_CLASSES)
    stubs = {"http": vcr_stubs.VCRRequestsHTTPConnection,
             "https": vcr_stubs.VCRRequestsHTTPSConnection}
    return tuple((pool, "ConnectionCls", stubs[scheme]) for scheme, pool in pools.items()
                 if scheme in stubs)


class VcrRequest(Protocol):
    """What the hooks use of a ``vcr.request.Request``."""

    uri: str
    body: Any
    headers: MutableMapping[str, Any]


class WxVcrFilter:
    """Redacting hooks for one vcrpy cassette.

    ``secrets`` are values to scrub wherever they appear (an AppSecret or EncodingAESKey you
    know before the first request); ``redact_phone_numbers`` replaces phone-number fields
    too. :meth:`vcr_config` gives the keyword arguments for ``vcr.VCR(...)``, or the dict
    pytest-recording's ``vcr_config`` fixture returns.
    """

    def __init__(
        self,
        *,
        secrets: Iterable[str] = (),
        redact_phone_numbers: bool = False,
        secret_fields: Iterable[str] = RECORD_SECRET_FIELDS,
    ) -> None:
        self.redactor = Redactor(frozenset(secret_fields),
                                 PHONE_FIELDS if redact_phone_numbers else frozenset())
        for value in secrets:
            self.redactor.placeholder("secret", value)

    def vcr_config(self) -> dict[str, Any]:
        """Keyword arguments for ``vcr.VCR(**...)`` (or pytest-recording's ``vcr_config``):
        the two hooks; compressed responses decoded first so their text can be scrubbed;
        and ``custom_patches`` so that vcrpy sees wxcore's urllib3 transport at all (see
        :func:`transport_patches`). Needs vcrpy installed."""
        return {
            "before_record_request": self.before_record_request,
            "before_record_response": self.before_record_response,
            "decode_compressed_response": True,
            "custom_patches": transport_patches(),
        }

    def before_record_request(self, request: VcrRequest) -> VcrRequest:
        """The request with secret query values, JSON fields and known secrets replaced."""
        parts = urlsplit(request.uri)
        if parts.query:
            pairs = [(key, self._query_value(key, value))
                     for key, value in parse_qsl(parts.query, keep_blank_values=True)]
            request.uri = urlunsplit(parts._replace(query=urlencode(pairs)))
        body = request.body
        if isinstance(body, (bytes, str)) and body:
            request.body = self._body(body.encode() if isinstance(body, str) else body)
        for name, value in list(request.headers.items()):
            if isinstance(value, str):
                request.headers[name] = self.redactor.scrub(value)
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        """The response dict with secret JSON fields and known secrets replaced."""
        body = response.get("body")
        if isinstance(body, dict) and isinstance(body.get("string"), (bytes, str)):
            data = body["string"]
            body["string"] = self._body(data.encode() if isinstance(data, str) else data)
        headers = response.get("headers")
        if isinstance(headers, dict):
            for name, values in headers.items():
                headers[name] = [self.redactor.scrub(v) if isinstance(v, str) else v
                                 for v in (values if isinstance(values, list) else [values])]
        return response

    def _query_value(self, key: str, value: str) -> str:
        label = self.redactor.label(key)
        return self.redactor.placeholder(label, value) if label else self.redactor.scrub(value)

    def _body(self, data: bytes) -> bytes:
        """A JSON body with secret fields replaced (and re-encoded compactly), or any UTF-8
        body with known secrets scrubbed; binary bodies are kept as they are."""
        decoded = json_or_none(data)
        if isinstance(decoded, (dict, list)):
            redacted = self.redactor.scrub_tree(self.redactor.fields(decoded))
            return msgspec.json.encode(redacted)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        return self.redactor.scrub(text).encode()
