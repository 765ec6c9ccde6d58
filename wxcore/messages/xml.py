"""A small, safe XML reader for WeChat pushes, and CDATA writing for replies (pure).

Reading (:func:`parse_xml`): WeChat's pushes are a root element holding elements, a few of
them nested (lists such as ``SubscribeMsgPopupEvent/List``). The parser is expat with the
dangerous parts switched off rather than filtered afterwards:

* any ``<!DOCTYPE`` raises :class:`UnsafeXMLError` the moment expat sees it, so no entity
  can be declared: no external entities (XXE), no entity expansion ("billion laughs");
  parameter entities are never parsed; an external entity reference raises too;
* the body size is checked before parsing (:class:`BodyTooLargeError`) and the nesting
  depth while parsing (:class:`NestingTooDeepError`), so hostile bodies fail early.

The result is a dict of the root's children: an element with only text becomes a ``str``
(exactly its text, CDATA sections and character references joined), an element with child
elements becomes a nested dict, and a name that repeats becomes a list. Attributes and
text between child elements are ignored (WeChat uses neither).

Nearly every push is *flat*: ``<xml>`` holding distinct leaves, each one CDATA section or plain
text without references. Such a body is read by one regular expression per leaf instead of
three Python callbacks from expat; the expression accepts only text that expat would read
back unchanged (no CR, which XML turns into LF; only characters XML allows; no ``]]>`` inside
CDATA), so its result is exactly expat's, and anything else -- a declaration, a DOCTYPE, a
nested element, a repeated name, an entity, invalid UTF-8 -- goes to expat as before.

Writing (:func:`cdata`): text goes into ``<![CDATA[...]]>`` as WeChat's examples do, written so
that any XML parser gives back exactly the original string: ``]]>`` is split across two
sections, and carriage returns (which XML would turn into line feeds) are written as
``&#13;`` between sections. Characters XML 1.0 cannot carry at all (control characters other
than tab, LF and CR; U+FFFE, U+FFFF; lone surrogates) are **removed**: no parser would
accept a reply containing them, and a reply that arrives without a stray control character
beats one WeChat drops. :func:`strip_invalid_xml_chars` does that removal on its own.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NoReturn
from xml.parsers import expat

from wxcore.messages.errors import BodyTooLargeError, NestingTooDeepError, UnsafeXMLError, XMLError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "check_size",
    "parse_xml",
    "cdata",
    "strip_invalid_xml_chars",
]

#: Largest body accepted by default (WeChat's pushes are a few KiB at most).
DEFAULT_MAX_BYTES = 256 * 1024
#: Deepest element nesting accepted by default (the root counts as 1; WeChat uses 4).
DEFAULT_MAX_DEPTH = 8


def check_size(body: bytes | str, max_bytes: int) -> None:
    """Raise :class:`BodyTooLargeError` when ``body`` is longer than ``max_bytes``."""
    if len(body) > max_bytes:
        raise BodyTooLargeError(f"body of {len(body)} bytes exceeds the {max_bytes}-byte limit")


def _reject_doctype(*_args: object) -> None:
    raise UnsafeXMLError("XML with a DOCTYPE is refused (entity declarations are not allowed)")


def _reject_entity(*_args: object) -> NoReturn:
    raise UnsafeXMLError("XML entity declarations and external entities are refused")


def _reject_external_entity(*_args: object) -> int:
    raise UnsafeXMLError("XML entity declarations and external entities are refused")


class _Builder:
    """expat handlers that build the nested dict; one instance per parse.

    ``stack`` holds, for each open element, its parent's child dict (``None`` while the
    parent has no child yet); ``children``/``text`` belong to the innermost open element.
    Text between child elements is dropped: only a leaf's text is kept.
    """

    __slots__ = ("max_depth", "stack", "children", "text", "result")

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.stack: list[dict[str, Any] | None] = []
        self.children: dict[str, Any] | None = None
        self.text = ""
        self.result: dict[str, Any] | None = None

    def start(self, _name: str, _attrs: object) -> None:
        stack = self.stack
        if len(stack) >= self.max_depth:
            raise NestingTooDeepError(f"XML nested deeper than {self.max_depth} levels")
        stack.append(self.children)
        self.children = None
        self.text = ""

    def end(self, name: str) -> None:
        children = self.children
        parent = self.stack.pop()
        if not self.stack:  # the root element closed
            self.result = children or {}
            return
        value: Any = self.text if children is None else children
        if parent is None:
            parent = {name: value}
        elif name in parent:
            previous = parent[name]
            if type(previous) is list:  # values are otherwise only str or dict
                previous.append(value)
            else:
                parent[name] = [previous, value]
        else:
            parent[name] = value
        self.children = parent
        self.text = ""

    def data(self, text: str) -> None:
        self.text += text


def parse_xml(
    body: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> dict[str, Any]:
    """Parse a push body into a dict of the root element's children (see the module doc).

    Raises :class:`UnsafeXMLError` for DOCTYPE/entities, :class:`BodyTooLargeError` beyond
    ``max_bytes``, :class:`NestingTooDeepError` beyond ``max_depth`` and :class:`XMLError`
    for anything not well-formed.
    """
    check_size(body, max_bytes)
    if max_depth >= 2:  # a flat body is two levels deep
        fields = _parse_flat(body)
        if fields is not None:
            return fields
    return _parse_expat(body, max_depth)


def _parse_expat(body: bytes | str, max_depth: int) -> dict[str, Any]:
    """The general parser: expat with DOCTYPE and entities refused, depth counted."""
    builder = _Builder(max_depth)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _reject_doctype
    parser.EntityDeclHandler = _reject_entity
    parser.ExternalEntityRefHandler = _reject_external_entity
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise XMLError(f"malformed XML: {expat.ErrorString(exc.code)} at line {exc.lineno}, "
                       f"column {exc.offset}") from None
    except (ValueError, LookupError) as exc:  # e.g. an unknown declared encoding
        raise XMLError(f"unreadable XML: {type(exc).__name__}") from None
    if builder.result is None:  # pragma: no cover - expat reports an unclosed root itself
        raise XMLError("XML has no root element")
    return builder.result


# A leaf of a flat push, after optional whitespace: <Name>, one CDATA section (without "]]>")
# or plain text (without "<", "&" and "]"), </Name>. Both exclude CR and the C0 controls XML
# 1.0 cannot carry; :func:`_parse_flat` rules out the other characters it cannot (surrogates,
# U+FFFE, U+FFFF) for the whole body at once, so expat would read the text back unchanged.
_FLAT_LEAF = (r"[ \t\r\n]*<([A-Za-z_][A-Za-z0-9_]*)>(?:<!\[CDATA\[("
              r"[^\x00-\x08\x0b-\x1f\]]*(?:\](?!\]>)[^\x00-\x08\x0b-\x1f\]]*)*)\]\]>"
              r"|([^\x00-\x08\x0b-\x1f<&\]]*))</\1>")
_FLAT_END = r"[ \t\r\n]*</xml>[ \t\r\n]*"


def _parse_flat(body: bytes | str) -> dict[str, str] | None:
    """The fields of a flat push (see the module doc), or None for expat to read."""
    if body[:5] not in (b"<xml>", "<xml>"):
        return None
    try:  # UTF-8 (no declaration names another encoding), no surrogates
        if isinstance(body, bytes):
            text = body.decode()  # strict: refuses encoded surrogates too
        else:
            text = body
            if not text.isascii():
                text.encode()
    except UnicodeError:
        return None
    if not text.isascii() and ("\ufffe" in text or "\uffff" in text):
        return None
    leaf = _compiled(_FLAT_LEAF).match
    fields: dict[str, str] = {}
    position = 5
    while (found := leaf(text, position)) is not None:
        name, in_cdata, plain = found.groups()
        if name in fields:  # a repeated name becomes a list: expat's builder does that
            return None
        fields[name] = in_cdata if in_cdata is not None else plain
        position = found.end()
    if _compiled(_FLAT_END).fullmatch(text, position) is None:
        return None
    return fields


# Everything XML 1.0 allows: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.
_INVALID_XML_CHARS = r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
# Fast path: text with none of these (invalid chars, CR, "]") is written as it is.
_SPECIAL = r"[^\t\n\x20-\x5c\x5e-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """The patterns of this module, compiled on first use: the character classes take up to
    ~5 ms each to compile, which every import would pay though only parsing, replies and
    strip calls need them."""
    return re.compile(pattern)


def strip_invalid_xml_chars(text: str) -> str:
    """Remove the characters XML 1.0 cannot represent (see the module doc)."""
    return _compiled(_INVALID_XML_CHARS).sub("", text)


def cdata(text: str) -> str:
    """``text`` as CDATA that every XML parser reads back exactly (invalid chars removed)."""
    if _compiled(_SPECIAL).search(text) is None:
        return f"<![CDATA[{text}]]>"
    text = _compiled(_INVALID_XML_CHARS).sub("", text)
    text = text.replace("]]>", "]]]]><![CDATA[>").replace("\r", "]]>&#13;<![CDATA[")
    return f"<![CDATA[{text}]]>"
