"""Recording: a transport wrapper that keeps every exchange and turns them into a redacted
cassette whose bodies replay byte for byte."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
from msgspec import UNSET

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from wxcore.http import Place, Request, Response

from wxcore.adapters.cassette.model import (
    FORMAT_VERSION,
    Body,
    Cassette,
    CassetteError,
    ErrorKind,
    Interaction,
    Part,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
)
from wxcore.adapters.cassette.multipart import SentPart, header, parse_multipart
from wxcore.adapters.cassette.redaction import (
    PHONE_FIELDS,
    RECORD_SECRET_FIELDS,
    Redactor,
    bound_credential,
    json_or_none,
)
from wxcore.adapters.cassette.storage import save_cassette
from wxcore.adapters.transport import Transport

__all__ = ["RecordingTransport", "response_body"]

_KEPT_RESPONSE_HEADERS = ("content-type", "content-disposition")


def response_body(data: bytes) -> Body | None:
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


_ERROR_KINDS: tuple[tuple[type[TransportError], ErrorKind], ...] = (
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
            self.record(request, exc)
            raise
        self.record(request, response)
        return response

    def record(self, request: Request, outcome: Response | TransportError) -> None:
        """Keep one exchange (sent by :meth:`send`, or by an async transport elsewhere)."""
        with self._lock:
            self._exchanges.append((request, outcome))

    def __len__(self) -> int:
        return len(self._exchanges)

    # -- building the cassette ------------------------------------------------------------

    def cassette(self, *, numbered_after: Cassette | None = None) -> Cassette:
        """Everything recorded so far, redacted, as a :class:`Cassette`; with
        ``numbered_after``, placeholders are numbered after the ones that cassette uses."""
        with self._lock:
            exchanges = list(self._exchanges)
        redactor = Redactor(
            self.secret_fields, PHONE_FIELDS if self.redact_phone_numbers else frozenset()
        )
        if numbered_after is not None:
            redactor.number_after(msgspec.json.encode(numbered_after).decode())
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

    def _learn(self, redactor: Redactor, request: Request,
               outcome: Response | TransportError) -> None:
        credential = bound_credential(request)
        if credential:
            redactor.placeholder(request.auth.kind or request.auth.param, credential)
        for key, value in request.query:
            label = redactor.label(key)
            if label is not None:
                redactor.placeholder(label, value)
        if request.body:
            redactor.fields(json_or_none(request.body))
        if isinstance(outcome, Response) and outcome.body:
            redactor.fields(json_or_none(outcome.body))

    def _interaction(self, redactor: Redactor, request: Request,
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
            error = RecordedError(kind=kind, message=redactor.scrub(str(outcome)))
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

    def _request_body(self, redactor: Redactor, request: Request) -> Body | None:
        data = request.body
        if not data:
            return None
        content_type = header(request.headers, "content-type")
        if content_type.lower().startswith("multipart/"):
            parsed = parse_multipart(data, content_type)
            if parsed is not None:
                return Body(multipart=[self._part(redactor, p) for p in parsed])
        decoded = json_or_none(data)
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
    def _part(redactor: Redactor, part: SentPart) -> Part:
        if part.filename is None:
            try:
                return Part(name=part.name, content_type=part.content_type,
                            text=redactor.scrub(part.content.decode("utf-8")))
            except UnicodeDecodeError:
                pass
        return Part(name=part.name, filename=part.filename, content_type=part.content_type,
                    sha256=hashlib.sha256(part.content).hexdigest(), size=len(part.content))

    @staticmethod
    def _response_body(redactor: Redactor, data: bytes) -> Body | None:
        body = response_body(data)
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


