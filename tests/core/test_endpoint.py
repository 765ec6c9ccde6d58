"""Endpoint declarations: building requests and parsing responses, with no transport."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import msgspec
import pytest

from wxcore.endpoint import Endpoint, Media, WxResult
from wxcore.errors import (
    APIError,
    CredentialError,
    DecodeError,
    HTTPStatusError,
    QuotaError,
    SystemBusyError,
    TokenInvalidError,
    UnauthorizedAPIError,
    UsageError,
)
from wxcore.http import ACCESS_TOKEN, APP_SECRET_IN_BODY, Request, Response, bind, encode_query
from wxcore.miniprogram.login import code2session, get_phone_number
from wxcore.tokens import fetch_access_token, fetch_stable_access_token


def ok(body: bytes, **headers: str) -> Response:
    return Response(status=200, body=body, headers={"content-type": "application/json", **headers})


class Thing(WxResult, kw_only=True):
    name: str
    count: int = 0


THING = Endpoint("test.thing", "POST", "/test/thing", Thing)


def test_code2session_builds_the_documented_request_without_a_secret() -> None:
    request = code2session("wx1234567890abcdef", "061AbCdE").request
    assert (request.method, request.host, request.path) == ("GET", "api.weixin.qq.com",
                                                          "/sns/jscode2session")
    assert dict(request.query) == {"appid": "wx1234567890abcdef", "js_code": "061AbCdE",
                                   "grant_type": "authorization_code"}
    assert request.auth.kind == "app_secret"
    assert "secret" not in request.url
    bound = bind(request, "0123secret")
    assert bound.url.endswith("&grant_type=authorization_code&secret=0123secret")
    assert not request.idempotent  # a login code works once


def test_access_token_goes_in_the_query_and_json_body_is_utf8() -> None:
    request = get_phone_number("c0de", openid="o1").request
    assert request.auth == ACCESS_TOKEN
    assert msgspec.json.decode(request.body) == {"code": "c0de", "openid": "o1"}
    assert ("Content-Type", "application/json") in request.headers
    assert bind(request, "TOKEN").query[-1] == ("access_token", "TOKEN")
    # Optional arguments left as None are not sent at all.
    assert msgspec.json.decode(get_phone_number("c0de").request.body) == {"code": "c0de"}
    body = THING.call(json={"name": "已发货"}).request.body
    assert "已发货".encode() in body  # not \\u-escaped


def test_secret_in_body_is_added_by_bind_only() -> None:
    request = fetch_stable_access_token("wx1").request
    assert request.auth == APP_SECRET_IN_BODY
    assert b"secret" not in request.body
    bound = msgspec.json.decode(bind(request, "s3cret").body)
    assert bound == {"grant_type": "client_credential", "appid": "wx1",
                     "force_refresh": False, "secret": "s3cret"}
    assert fetch_stable_access_token("wx1").request.idempotent
    assert not fetch_stable_access_token("wx1", force_refresh=True).request.idempotent


def test_query_values_are_percent_encoded() -> None:
    request = Endpoint("t", "GET", "/p", Thing).call(query={"url": "https://a.b/?x=1&y=中 z"}).request
    assert request.target == "/p?url=https%3A%2F%2Fa.b%2F%3Fx%3D1%26y%3D%E4%B8%AD%20z"


TRICKY_QUERIES: list[tuple[tuple[str, str], ...]] = [
    (),
    (("a", "b"),),
    (("openid", "oGZUI0egBJY1zhBYw2KhdUfwVJJE"), ("access_token", "81_" + "T-._~" * 20)),
    (("a", "b=c"),),  # a separator inside a value ...
    (("a=b", "c"),),  # ... or a name: the separators left over are no longer "=" then "&"
    (("a", "b&c=d"),),
    (("a", ""), ("", "b"), ("", "")),
    (("q", "%41 +/?#[]@!$'()*,;"),),
    (("中", "文 字"), ("emoji", "\U0001F600")),
    (("nul", "\x00\x01\x7f"),),
    (("k", "\u00e9"), ("\u00e9", "k")),
    tuple((f"k{i}", f"v{i}") for i in range(40)),  # more pairs than the precomputed patterns
    tuple((f"k{i}", "=&" if i == 39 else "v") for i in range(40)),
]


@pytest.mark.parametrize("pairs", TRICKY_QUERIES)
def test_query_encoding_is_urlencodes_with_rfc_3986_quoting(pairs: tuple[tuple[str, str], ...]) -> None:
    expected = urlencode(pairs, quote_via=quote, safe="")
    assert encode_query(pairs) == expected
    assert encode_query(list(pairs)) == expected  # any iterable, not only a tuple
    assert encode_query(iter(pairs)) == expected


def test_a_lone_surrogate_in_a_query_fails_as_urllib_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        urlencode((("a", "\ud800"),), quote_via=quote, safe="")
    with pytest.raises(UnicodeEncodeError):
        encode_query((("a", "\ud800"),))


def test_a_call_is_a_frozen_value_equal_only_to_itself() -> None:
    call, twin = get_phone_number("c"), get_phone_number("c")
    assert call == call and call != twin and call.request == twin.request
    assert len({call, twin}) == 2  # hashable by identity, as before
    with pytest.raises(AttributeError):
        setattr(call, "request", twin.request)
    assert bind(call.request, "T").query == call.bound("T").query == (("access_token", "T"),)
    assert call.bound(None) is call.request


def test_success_decodes_once_and_keeps_the_raw_json() -> None:
    result = THING.parse(ok(b'{"errcode":0,"errmsg":"ok","name":"a","count":2,"new_field":[1]}'))
    assert (result.name, result.count, result.errcode) == ("a", 2, 0)
    assert result.result_json["new_field"] == [1]


def test_string_errcodes_are_accepted() -> None:
    with pytest.raises(TokenInvalidError) as info:
        THING.parse(ok(b'{"errcode":"40001","errmsg":"invalid credential"}'))
    assert info.value.errcode == 40001


@pytest.mark.parametrize(
    ("errcode", "cls"),
    [(-1, SystemBusyError), (40001, TokenInvalidError), (40014, TokenInvalidError),
     (42001, TokenInvalidError), (45009, QuotaError), (45011, QuotaError),
     (40013, CredentialError), (40125, CredentialError), (40164, CredentialError),
     (40243, CredentialError), (48001, UnauthorizedAPIError), (40029, APIError)],
)
def test_errcodes_map_to_the_error_tree(errcode: int, cls: type[APIError]) -> None:
    body = f'{{"errcode":{errcode},"errmsg":"boom rid: 611740a4-27f9a8ba-065da01b"}}'.encode()
    with pytest.raises(cls) as info:
        THING.parse(ok(body))
    assert type(info.value) is cls
    assert info.value.endpoint == "test.thing"
    assert info.value.rid == "611740a4-27f9a8ba-065da01b"
    assert str(errcode) in str(info.value)


def test_token_endpoint_reads_40001_as_a_wrong_secret() -> None:
    with pytest.raises(CredentialError):
        fetch_access_token("wx1").parse(ok(b'{"errcode":40001,"errmsg":"invalid credential"}'))


def test_an_undocumented_body_is_a_decode_error_that_keeps_the_body() -> None:
    with pytest.raises(DecodeError) as info:
        THING.parse(ok(b'{"errcode":0,"count":"many"}'))
    assert info.value.body == b'{"errcode":0,"count":"many"}'
    assert "test.thing" in str(info.value)
    with pytest.raises(DecodeError):
        THING.parse(ok(b"<html>gateway</html>"))


def test_http_errors_raise_status_errors() -> None:
    with pytest.raises(HTTPStatusError) as info:
        THING.parse(Response(status=502, body=b"bad gateway"))
    assert info.value.status == 502


def test_binary_endpoint_returns_media_or_raises_the_json_error() -> None:
    image = Endpoint("test.image", "POST", "/img", Media, response="binary")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
    media = image.parse(Response(status=200, body=png, headers={
        "content-type": "image/png", "content-disposition": 'attachment; filename="a.png"'}))
    assert media.content == png and media.content_type == "image/png"
    assert media.filename == "a.png"
    with pytest.raises(APIError) as info:
        image.parse(ok(b'{"errcode":41030,"errmsg":"invalid page rid: 65f6a1b2-1a2b3c4d"}'))
    assert info.value.errcode == 41030


def test_required_arguments_are_checked_before_sending() -> None:
    with pytest.raises(UsageError, match="js_code"):
        code2session("wx1", "")
    with pytest.raises(UsageError, match="code"):
        get_phone_number("")


def test_reprs_and_errors_hold_no_secrets() -> None:
    bound = bind(get_phone_number("c").request, "SUPERSECRETTOKEN")
    assert "SUPERSECRETTOKEN" not in repr(bound)
    result = code2session("wx1", "c").parse(ok(b'{"openid":"o","session_key":"SESSIONKEY=="}'))
    assert "SESSIONKEY" not in repr(result)
    assert isinstance(bound, Request)


def test_errcodes_are_declared_per_endpoint_not_registered_globally() -> None:
    from wxcore.errors import COMMON_ERRORS, errors_of

    class RefusedError(APIError):
        errcodes = (43101,)

    special = Endpoint("t.special", "GET", "/special", Thing, errors=errors_of(RefusedError))
    plain = Endpoint("t.plain", "GET", "/plain", Thing)
    body = b'{"errcode":43101,"errmsg":"user refuse to accept the msg"}'
    with pytest.raises(RefusedError):
        special.parse(ok(body))
    with pytest.raises(APIError) as caught:
        plain.parse(ok(body))
    assert type(caught.value) is APIError  # the other endpoint is not affected
    assert type(COMMON_ERRORS[40001]) is type and COMMON_ERRORS[40001] is TokenInvalidError
    with pytest.raises(TypeError):
        COMMON_ERRORS[43101] = RefusedError  # type: ignore[index]
    with pytest.raises(TypeError):
        errors_of(RefusedError)[1] = RefusedError  # type: ignore[index]


def test_media_results_keep_the_response_headers() -> None:
    endpoint = Endpoint("t.code", "POST", "/wxa/getwxacode", Media, response="binary")
    response = Response(status=200, body=b"\x89PNG\r\n\x1a\n....", headers={
        "content-type": "image/png", "num-used": "17",
        "content-disposition": 'attachment; filename="code.png"'})
    media = endpoint.parse(response)
    assert media.headers["num-used"] == "17"
    assert media.filename == "code.png"
    assert media.content_type == "image/png"
