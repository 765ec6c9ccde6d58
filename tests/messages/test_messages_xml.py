"""The safe XML reader: hostile input is refused quickly and clearly; CDATA round-trips."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from wxcore.messages import UnsafeXMLError, XMLError, XMLLimitError, cdata, parse_xml, strip_invalid_xml_chars

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<xml><Content>&lol9;</Content></xml>"""

XXE_FILE = b"""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Content>&xxe;</Content></xml>"""

XXE_PARAMETER = b"""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>
<xml><Content>x</Content></xml>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml/>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE_FILE, XXE_PARAMETER, EXTERNAL_DTD])
def test_doctype_and_entities_are_refused(body: bytes) -> None:
    with pytest.raises(UnsafeXMLError):
        parse_xml(body)


def test_undeclared_entity_is_an_xml_error() -> None:
    with pytest.raises(XMLError):
        parse_xml(b"<xml><Content>&xxe;</Content></xml>")


def test_size_limit_checked_before_parsing() -> None:
    body = b"<xml><Content>" + b"a" * 2000 + b"</Content></xml>"
    assert parse_xml(body)["Content"] == "a" * 2000
    with pytest.raises(XMLLimitError):
        parse_xml(body, max_bytes=1000)


def test_depth_limit() -> None:
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(XMLLimitError):
        parse_xml(deep, max_bytes=10**6)
    assert parse_xml(b"<xml><a><b><c>1</c></b></a></xml>", max_depth=4) == {"a": {"b": {"c": "1"}}}
    with pytest.raises(XMLLimitError):
        parse_xml(b"<xml><a><b><c>1</c></b></a></xml>", max_depth=3)


@pytest.mark.parametrize("body", [b"", b"<xml>", b"<xml><a></b></xml>", b"not xml", b"<xml></xml><x/>",
                                  b'<?xml version="1.0" encoding="x-unknown"?><xml/>'])
def test_malformed_xml(body: bytes) -> None:
    with pytest.raises(XMLError) as info:
        parse_xml(body)
    assert not isinstance(info.value, UnsafeXMLError)


def test_structure_lists_and_whitespace() -> None:
    body = b"""<xml>
      <ToUserName><![CDATA[gh_1]]></ToUserName>
      <Empty></Empty><SelfClosed/>
      <L><List><a>1</a></List><List><a>2</a></List><List><a>3</a></List></L>
      <Spaced>  two  words </Spaced>
    </xml>"""
    assert parse_xml(body) == {"ToUserName": "gh_1", "Empty": "", "SelfClosed": "",
                               "L": {"List": [{"a": "1"}, {"a": "2"}, {"a": "3"}]},
                               "Spaced": "  two  words "}


def test_character_references_and_escapes() -> None:
    assert parse_xml(b"<xml><C>a&lt;b&amp;&#x4e2d;&#13;</C></xml>") == {"C": "a<b&\u4e2d\r"}


TRICKY = ["]]>", "a]]>b]]>c", "]]]]>", "]", "]]", "line1\r\nline2\rend", "tab\there", "中文 emoji 😀",
          "<xml>&amp;</xml>", "ends with ]", "]]>\r]]>"]


@pytest.mark.parametrize("text", TRICKY)
def test_cdata_round_trips_exactly_through_two_parsers(text: str) -> None:
    body = f"<xml><Content>{cdata(text)}</Content></xml>".encode()
    assert parse_xml(body)["Content"] == text
    assert ET.fromstring(body).findtext("Content") == text  # an independent parser agrees


def test_invalid_xml_characters_are_removed() -> None:
    text = "a\x00b\x08c\x0bd\x1fe\ufffef\uffffg\ud800h\x7fi"
    assert strip_invalid_xml_chars(text) == "abcdefgh\x7fi"
    body = f"<xml><Content>{cdata(text)}</Content></xml>".encode()
    assert parse_xml(body)["Content"] == "abcdefgh\x7fi"
    assert ET.fromstring(body).findtext("Content") == "abcdefgh\x7fi"
