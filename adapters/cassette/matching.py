"""Whether a sent request matches a recorded one: method, path, query and body compared as
values, credentials left out, a recorded placeholder matching any value."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import msgspec
from msgspec import UNSET

from wxcore.http import Place, Request

from wxcore.adapters.cassette.model import RecordedRequest, is_placeholder
from wxcore.adapters.cassette.multipart import header, parse_multipart
from wxcore.adapters.cassette.redaction import json_or_none

__all__ = ["View", "same_value", "sent_view", "recorded_view", "matches", "similarity"]

def same_value(recorded: Any, sent: Any) -> bool:
    """Recorded value equals sent value, JSON types kept apart; a placeholder matches any."""
    if is_placeholder(recorded):
        return True
    if isinstance(recorded, dict):
        return (isinstance(sent, dict) and recorded.keys() == sent.keys()
                and all(same_value(v, sent[k]) for k, v in recorded.items()))
    if isinstance(recorded, list):
        return (isinstance(sent, list) and len(recorded) == len(sent)
                and all(same_value(a, b) for a, b in zip(recorded, sent)))
    if isinstance(recorded, bool) or isinstance(sent, bool):
        return type(recorded) is type(sent) and recorded == sent
    return bool(type(recorded) is type(sent) and recorded == sent) or (
        isinstance(recorded, (int, float)) and isinstance(sent, (int, float))
        and recorded == sent
    )


class View(msgspec.Struct):
    """A request reduced to what matching compares, credentials removed."""

    method: str
    path: str
    query: dict[str, str]
    body_kind: str  # none | json | text | bytes | multipart
    body: Any


def sent_view(request: Request) -> View:
    auth = request.auth
    query = {k: v for k, v in request.query
             if not (auth.kind is not None and auth.place is Place.QUERY and k == auth.param)}
    data = request.body
    if not data:
        return View(request.method, request.path, query, "none", None)
    content_type = header(request.headers, "content-type")
    if content_type.lower().startswith("multipart/"):
        parsed = parse_multipart(data, content_type)
        if parsed is not None:
            parts = [(p.name, p.filename, p.content_type, hashlib.sha256(p.content).hexdigest(),
                      p.content.decode("utf-8", "replace") if p.filename is None else None)
                     for p in parsed]
            return View(request.method, request.path, query, "multipart", parts)
    decoded = json_or_none(data)
    if decoded is not None:
        if isinstance(decoded, dict) and auth.kind is not None and auth.place is Place.BODY:
            decoded.pop(auth.param, None)
        return View(request.method, request.path, query, "json", decoded)
    try:
        return View(request.method, request.path, query, "text", data.decode("utf-8"))
    except UnicodeDecodeError:
        return View(request.method, request.path, query, "bytes", data)


def recorded_view(recorded: RecordedRequest, sent: Request) -> View:
    auth = sent.auth
    query = {k: v for k, v in recorded.query.items()
             if not (auth.kind is not None and auth.place is Place.QUERY and k == auth.param)}
    body = recorded.body
    if body is None:
        return View(recorded.method, recorded.path, query, "none", None)
    if body.json is not UNSET:
        value = body.json
        if isinstance(value, dict) and auth.kind is not None and auth.place is Place.BODY:
            value = {k: v for k, v in value.items() if k != auth.param}
        return View(recorded.method, recorded.path, query, "json", value)
    if isinstance(body.text, str):
        return View(recorded.method, recorded.path, query, "text", body.text)
    if isinstance(body.base64, str):
        return View(recorded.method, recorded.path, query, "bytes", base64.b64decode(body.base64))
    assert isinstance(body.multipart, list)
    parts = [(p.name, p.filename, p.content_type, p.digest(),
              p.text if isinstance(p.text, str) else None) for p in body.multipart]
    return View(recorded.method, recorded.path, query, "multipart", parts)


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


def _body_matches(recorded: View, sent: View) -> bool:
    if recorded.body_kind == "none" or sent.body_kind == "none":
        return recorded.body_kind == sent.body_kind
    if recorded.body_kind == "multipart" or sent.body_kind == "multipart":
        return (recorded.body_kind == sent.body_kind
                and _parts_match(recorded.body, sent.body))
    if recorded.body_kind == "json" and sent.body_kind == "json":
        return same_value(recorded.body, sent.body)
    as_bytes = [v.body.encode() if isinstance(v.body, str) else v.body
                if isinstance(v.body, bytes) else msgspec.json.encode(v.body)
                for v in (recorded, sent)]
    return as_bytes[0] == as_bytes[1]


def matches(recorded: View, sent: View) -> bool:
    return (
        recorded.method == sent.method
        and recorded.path == sent.path
        and recorded.query.keys() == sent.query.keys()
        and all(same_value(v, sent.query[k]) for k, v in recorded.query.items())
        and _body_matches(recorded, sent)
    )


def similarity(recorded: View, sent: View) -> int:
    """How alike two requests are, to pick the closest recorded one for an error."""
    points = 8 * (recorded.path == sent.path) + 4 * (recorded.method == sent.method)
    for key, value in recorded.query.items():
        if key in sent.query:
            points += 1 + same_value(value, sent.query[key])
    if recorded.body_kind == sent.body_kind:
        points += 1
        if isinstance(recorded.body, dict) and isinstance(sent.body, dict):
            points += sum(1 + same_value(v, sent.body[k]) for k, v in recorded.body.items()
                         if k in sent.body)
        points += 2 * _body_matches(recorded, sent)
    return points
