"""Reading push bodies, XML or (Mini Program) JSON, with the same limits for both (pure).

Hostile bodies must fail fast and with a typed error, whichever format they claim to be:

* size: ``max_bytes`` is checked before anything else (:class:`BodyTooLargeError`);
* depth: XML depth is counted by the expat handlers (:mod:`wxcore.messages.xml`); JSON depth
  is counted by :func:`check_json_depth` *before* msgspec sees the body, so a
  ``{"a":[[[...]]]}`` a thousand levels deep is a :class:`NestingTooDeepError`, never a
  ``RecursionError`` (the root object counts as 1, as the XML root element does);
* safe mode: :func:`find_encrypt` finds the ``Encrypt`` value with one bounded, linear scan,
  so ``msg_signature`` can be checked before the body is parsed at all.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from wxcore.messages.errors import NestingTooDeepError, XMLError
from wxcore.messages.xml import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, check_size, parse_xml

__all__ = ["is_json", "check_json_depth", "decode_body", "find_encrypt", "envelope_encrypt"]

# A JSON string (escapes included) or one bracket: strings are skipped, brackets counted.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")

# The Encrypt element / member. Its value is base64 (JSON may escape "/" as "\/").
_XML_ENCRYPT = re.compile(rb"<Encrypt>(?:<!\[CDATA\[([^\]<&]*)\]\]>|([^\]<&]*))</Encrypt>")
_JSON_ENCRYPT = re.compile(rb'"Encrypt"[ \t\r\n]*:[ \t\r\n]*"((?:[A-Za-z0-9+=]|\\?/)*)"')

# The canonical safe-mode envelope, ``<xml><ToUserName|AppId>CDATA</...><Encrypt>CDATA
# </Encrypt></xml>``: anything this matches is well-formed XML holding exactly these two
# values, so it needs no general parse at all.
_ENVELOPE = re.compile(
    rb"<xml>[ \t\r\n]*<(ToUserName|AppId)><!\[CDATA\[([^\]<&]*)\]\]></\1>[ \t\r\n]*"
    rb"<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]*)\]\]></Encrypt>[ \t\r\n]*</xml>[ \t\r\n]*"
)


def is_json(body: bytes) -> bool:
    """True when ``body`` is a JSON object (Mini Program pushes in JSON format)."""
    first = body[:1]
    return first == b"{" or (first in b" \t\r\n" and body.lstrip()[:1] == b"{")


def check_json_depth(body: bytes, max_depth: int) -> None:
    """Raise :class:`NestingTooDeepError` when the JSON nests deeper than ``max_depth``.

    Brackets inside strings do not count. Linear in the body; a body with fewer brackets
    than ``max_depth`` is accepted without scanning.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return
    depth = 0
    for token in _JSON_TOKEN.finditer(body):
        char = token[0][0]
        if char in _OPENERS:
            depth += 1
            if depth > max_depth:
                raise NestingTooDeepError(f"JSON nested deeper than {max_depth} levels")
        elif char != 0x22:  # a closing bracket (0x22 is '"': a skipped string)
            depth -= 1


def decode_body(
    body: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> dict[str, Any]:
    """Parse a push body, XML or JSON, into a field dict under the same size/depth limits."""
    if isinstance(body, str):
        body = body.encode()
    if not is_json(body):
        return parse_xml(body, max_bytes=max_bytes, max_depth=max_depth)
    check_size(body, max_bytes)
    check_json_depth(body, max_depth)
    try:
        fields = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise XMLError(f"malformed JSON body: {exc}") from None
    except RecursionError:  # pragma: no cover - check_json_depth rules this out
        raise NestingTooDeepError("JSON nested too deep") from None
    if type(fields) is not dict:
        raise XMLError("JSON push body is not an object")
    return fields


def envelope_encrypt(body: bytes) -> tuple[str, str, str] | None:
    """``(id name, id value, Encrypt)`` when ``body`` is exactly the canonical envelope."""
    match = _ENVELOPE.fullmatch(body) if body[:5] == b"<xml>" else None
    if match is None:
        return None
    try:
        return match[1].decode(), match[2].decode(), match[3].decode()
    except UnicodeDecodeError:
        return None  # the general parser reports it


def find_encrypt(body: bytes) -> str:
    """The ``Encrypt`` value of a safe-mode body, by a linear scan that parses nothing.

    The value must be text or one CDATA section (XML) or a plain string (JSON), and appear
    once; the caller checks ``msg_signature`` over it before the body is parsed, then that
    the parsed body holds the same value. Raises :class:`XMLError` when none is found.
    """
    if is_json(body):
        found = [m[1].replace(b"\\/", b"/") for m in _JSON_ENCRYPT.finditer(body)]
    else:
        found = [m[1] if m[1] is not None else m[2] for m in _XML_ENCRYPT.finditer(body)]
    if len(found) != 1:
        raise XMLError("safe-mode push without exactly one plain Encrypt field"
                       if found else "safe-mode push without an Encrypt field")
    try:
        return found[0].decode("ascii")
    except UnicodeDecodeError:
        raise XMLError("the Encrypt field is not base64 text") from None
