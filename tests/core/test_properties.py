"""Property-based checks (hypothesis) of the pure pieces every call goes through: query
encoding, multipart bodies, the argument checks of every declared builder, and cassette
loading. No input may raise anything but wxcore's typed errors, and round trips hold."""

from __future__ import annotations

import inspect
import json
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is in the test extra")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from wxcore.endpoint import Call  # noqa: E402
from wxcore.errors import WxError  # noqa: E402
from wxcore.facade import APPID, NOW, TODAY, FacadeMethod  # noqa: E402
from wxcore.http import encode_query  # noqa: E402
from wxcore.miniprogram.api import MiniProgramAPI  # noqa: E402
from wxcore.multipart import File, encode_multipart  # noqa: E402
from wxcore.officialaccount.api import OfficialAccountAPI  # noqa: E402

from wxcore.adapters.cassette import CassetteError, loads_cassette  # noqa: E402
from wxcore.adapters.cassette.multipart import parse_multipart  # noqa: E402

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)


@FAST
@given(st.lists(st.tuples(text.filter(bool), text), max_size=6))
def test_query_encoding_round_trips(pairs: list[tuple[str, str]]) -> None:
    encoded = encode_query(pairs)
    assert parse_qsl(encoded, keep_blank_values=True) == pairs
    assert " " not in encoded and "+" not in encoded.replace("%2B", "")


#: Text that is mostly what WeChat sends (unreserved characters), with the characters that
#: need escaping (the separators among them) and non-ASCII mixed in.
query_text = st.text(st.one_of(st.sampled_from("aZ09_.-~=&%+ /?#\x00\x7f"),
                               st.characters(blacklist_categories=["Cs"])), max_size=20)


@FAST
@given(st.lists(st.tuples(query_text, query_text), max_size=40))
def test_query_encoding_is_urlencodes(pairs: list[tuple[str, str]]) -> None:
    assert encode_query(pairs) == urlencode(pairs, quote_via=quote, safe="")


@FAST
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), text, max_size=3),
       st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True),
                       st.binary(max_size=200), max_size=3))
def test_multipart_bodies_parse_back_to_their_parts(fields: dict[str, str],
                                                    files: dict[str, bytes]) -> None:
    uploads = {name: File(f"{name}.bin", content, "application/octet-stream")
               for name, content in files.items() if name not in fields}
    body, content_type = encode_multipart(fields, uploads)
    parts = parse_multipart(body, content_type)
    assert parts is not None
    seen = {part.name: part.content for part in parts}
    assert seen == {**{k: v.encode() for k, v in fields.items()},
                    **{k: f.content for k, f in uploads.items()}}
    assert encode_multipart(fields, uploads) == (body, content_type)  # stable for retries


def _declared() -> list[FacadeMethod[Any, Any]]:
    return [value for cls in (MiniProgramAPI, OfficialAccountAPI)
            for value in vars(cls).values() if isinstance(value, FacadeMethod)]


_BOUND = {id(APPID): "wx1234567890abcdef", id(NOW): 1_700_000_000.0,
          id(TODAY): date(2024, 3, 20)}
junk = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(),
                 text, st.lists(st.one_of(text, st.integers()), max_size=3),
                 st.dictionaries(text, st.one_of(text, st.integers()), max_size=3),
                 st.binary(max_size=8))


@pytest.mark.parametrize("declared", _declared(), ids=lambda d: d.name)
def test_builders_raise_only_usage_errors_on_any_arguments(declared: FacadeMethod[Any, Any]
                                                           ) -> None:
    parameters = list(inspect.signature(declared.builder).parameters.values())
    bound = []
    if declared.binder is not None:
        bound = [_BOUND[id(declared.binder)]]
        parameters = parameters[1:]
    required = [p for p in parameters if p.default is p.empty]
    optional = {p.name: junk for p in parameters if p.default is not p.empty}

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(junk, min_size=len(required), max_size=len(required)),
           st.fixed_dictionaries({}, optional=optional))
    def check(values: list[Any], extra: dict[str, Any]) -> None:
        kwargs = {p.name: v for p, v in zip(required, values)} | extra
        try:
            call = declared.builder(*bound, **kwargs)
        except WxError:
            return
        assert isinstance(call, Call)

    check()


@FAST
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), text),
                    lambda children: st.one_of(st.lists(children, max_size=3),
                                               st.dictionaries(text, children, max_size=4)),
                    max_leaves=12))
def test_a_malformed_cassette_is_refused_with_a_cassette_error(document: Any) -> None:
    for data in (json.dumps(document), json.dumps({"wxcore_cassette": 1, "name": "x",
                                                   "interactions": document})):
        try:
            loads_cassette(data)
        except CassetteError:
            pass
