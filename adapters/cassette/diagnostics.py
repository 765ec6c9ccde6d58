"""Readable replay failures: the sent request beside the closest recorded one, differing
rows marked, secrets masked; and the list of exchanges a test never made."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from wxcore.http import Request
from wxcore.redact import mask

from wxcore.adapters.cassette.matching import View, matches, recorded_view, similarity
from wxcore.adapters.cassette.model import Interaction
from wxcore.adapters.cassette.model import is_placeholder
from wxcore.adapters.cassette.redaction import RECORD_SECRET_FIELDS

__all__ = ["side_by_side", "explain_mismatch", "unused_report"]

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


def _rows(view: View, secret_fields: frozenset[str]) -> dict[str, str]:
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


def side_by_side(sent: View, recorded: View | None, heading: str) -> str:
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


def explain_mismatch(interactions: list[Interaction], uses: list[int], order: str, source: str,
                     request: Request, sent: View) -> str:
    """Why ``request`` matched nothing: the next (strict order) or closest recorded exchange
    beside it, and a hint when an unused exchange would match in another order."""
    used = sum(1 for n in uses if n)
    head = (f"no recorded exchange matches {request.method} {request.path} "
            f"({request.endpoint or 'request'})\n"
            f"  cassette: {source} (order: {order}, "
            f"{used} of {len(uses)} exchanges used)")
    if not interactions:
        return head + "\n  the cassette records no exchanges\n" + side_by_side(
            sent, None, "")
    unused = [i for i, n in enumerate(uses) if n == 0]
    if order == "strict" and unused:
        index = unused[0]
        note = f"next recorded exchange #{index} (order: strict)"
        elsewhere = [i for i in unused[1:] if matches(
            recorded_view(interactions[i].request, request), sent)]
        if elsewhere:
            note += (f"; unused exchange #{elsewhere[0]} would match: the requests came "
                     "in another order (use order='any' if order does not matter)")
    else:
        views = [(i, recorded_view(it.request, request))
                 for i, it in enumerate(interactions)]
        index = max(views, key=lambda iv: (similarity(iv[1], sent), uses[iv[0]] == 0,
                                           -iv[0]))[0]
        state = "unused" if uses[index] == 0 else "already used"
        note = f"closest recorded exchange #{index} ({state})"
    recorded = recorded_view(interactions[index].request, request)
    table = side_by_side(sent, recorded, f"recorded #{index}")
    return f"{head}\n  {note}; differing rows are marked *\n{table}"


def unused_report(unused: list[tuple[int, Interaction]], total: int, source: str) -> str:
    """A readable list of the ``unused`` exchanges ("" when there are none)."""
    if not unused:
        return ""
    lines = [f"{len(unused)} of {total} recorded exchanges were never requested ({source}):"]
    for i, interaction in unused:
        req = interaction.request
        query = "&".join(f"{k}={v}" for k, v in req.query.items())
        lines.append(f"  #{i} {req.method} {req.path}{'?' + query if query else ''}")
    return "\n".join(lines)
