"""What never reaches a cassette: secret field names, and the redactor that maps every
secret value to a stable placeholder and scrubs it from all recorded text."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from wxcore.http import Place, Request
from wxcore.redact import PHONE_FIELDS, RECORDED_SECRET_FIELDS

from wxcore.adapters.cassette.model import is_placeholder

__all__ = [
    "RECORD_SECRET_FIELDS", "PHONE_FIELDS", "Redactor", "json_or_none", "bound_credential",
]

#: Field names whose values never reach a cassette (defined once, in :mod:`wxcore.redact`).
RECORD_SECRET_FIELDS: frozenset[str] = RECORDED_SECRET_FIELDS

#: Secret values shorter than this are replaced where they sit in a secret field, but not
#: searched for inside other text (a 3-character "secret" would corrupt unrelated strings).
_MIN_SCRUB_LENGTH = 8
_NUMBERED = re.compile(r"<redacted:([A-Za-z0-9_.-]+):(\d+)>")


class Redactor:
    """Maps every secret value seen to a stable placeholder and scrubs it from any text.

    The same value always gets the same placeholder (``<redacted:access_token:1>``), so a
    cassette still shows that two calls returned the same token, or a new one.
    """

    def __init__(self, secret_fields: frozenset[str], phone_fields: frozenset[str]) -> None:
        self.secret_fields = secret_fields
        self.phone_fields = phone_fields
        self.placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def number_after(self, text: str) -> None:
        """Continue numbering after the placeholders in ``text`` (an existing cassette), so
        that exchanges added to it never reuse a placeholder for another value."""
        for label, number in _NUMBERED.findall(text):
            self._counts[label] = max(self._counts.get(label, 0), int(number))

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


def json_or_none(data: bytes) -> Any:
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return None


def bound_credential(request: Request) -> str | None:
    """The value of the bound credential in ``request``, if one is there."""
    auth = request.auth
    if auth.kind is None or not auth.param:
        return None
    if auth.place is Place.QUERY:
        for key, value in request.query:
            if key == auth.param:
                return value
        return None
    decoded = json_or_none(request.body) if request.body else None
    found: object = decoded.get(auth.param) if isinstance(decoded, dict) else None
    return found if isinstance(found, str) else None
