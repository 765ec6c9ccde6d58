"""Each key the replay matcher compares, checked on its own.

One recorded exchange, and requests that differ from it in exactly one way: each must be
refused, so a matcher that stopped comparing the method (or the path, the query keys, a
query value, a JSON body value or key, the body kind) fails here, not silently in a user's
suite. The unchanged request, and the differences matching deliberately ignores, must match.
"""

from __future__ import annotations

import json

import pytest

from wxcore.http import Auth, Place, Request

from wxcore.adapters.cassette import CassetteMismatchError, ReplayTransport, loads_cassette

PATH = "/wxa/business/getuserphonenumber"
RECORDED = {
    "method": "POST",
    "path": PATH,
    "query": {"lang": "zh_CN", "scene": "1"},
    "body": {"json": {"code": "e31968a7f94cc5ee", "flags": {"strict": True, "n": 2},
                      "tags": ["a", "b"]}},
}
BODY = {"code": "e31968a7f94cc5ee", "flags": {"strict": True, "n": 2}, "tags": ["a", "b"]}
TOKEN = Auth("access_token", "access_token", Place.QUERY)


def transport() -> ReplayTransport:
    return ReplayTransport(loads_cassette(json.dumps({
        "wxcore_cassette": 1, "name": "test/matching",
        "interactions": [{"request": RECORDED, "response": {"status": 200, "body": {
            "json": {"errcode": 0, "errmsg": "ok"}}}}],
    })))


def request(*, method: str = "POST", path: str = PATH,
            query: tuple[tuple[str, str], ...] = (("lang", "zh_CN"), ("scene", "1")),
            body: bytes | None = None, host: str = "api.weixin.qq.com") -> Request:
    data = json.dumps(BODY).encode() if body is None else body
    return Request(method=method, path=path, endpoint="test.matching",
                   query=(*query, ("access_token", "ANY-TOKEN")),
                   headers=(("Content-Type", "application/json"),), body=data,
                   host=host, auth=TOKEN)


def with_body(**changes: object) -> bytes:
    return json.dumps({**BODY, **changes}).encode()


def test_the_recorded_request_matches() -> None:
    assert transport().send(request()).status == 200


@pytest.mark.parametrize(("sent", "row"), [
    (request(method="GET"), "method"),
    (request(method="PUT"), "method"),
    (request(path="/wxa/business/getuserphonenumbers"), "path"),
    (request(path="/wxa/business"), "path"),
    (request(query=(("lang", "zh_CN"),)), "query.scene"),  # a key missing
    (request(query=(("lang", "zh_CN"), ("scene", "1"), ("extra", "x"))), "query.extra"),
    (request(query=(("lang", "en"), ("scene", "1"))), "query.lang"),  # a value
    (request(query=(("lang", "zh_CN"), ("Scene", "1"))), "query.scene"),  # key case
    (request(body=with_body(code="0a3Bx")), "body.code"),
    (request(body=with_body(flags={"strict": False, "n": 2})), "body.flags"),  # nested
    (request(body=with_body(flags={"strict": 1, "n": 2})), "body.flags"),  # true is not 1
    (request(body=with_body(tags=["b", "a"])), "body.tags"),  # list order counts
    (request(body=with_body(extra=None)), "body.extra"),  # an extra key
    (request(body=json.dumps({k: v for k, v in BODY.items() if k != "tags"}).encode()),
     "body.tags"),  # a key missing
    (request(body=b""), "body"),  # no body only matches no body
    (request(body=b"code=e31968a7f94cc5ee"), "body"),  # text is not JSON
])
def test_a_request_differing_in_one_key_does_not_match(sent: Request, row: str) -> None:
    with pytest.raises(CassetteMismatchError) as raised:
        transport().send(sent)
    marked = [line.split()[1] for line in str(raised.value).splitlines()
              if line.startswith("  * ")]
    assert row in marked, str(raised.value)


@pytest.mark.parametrize("sent", [
    request(query=(("scene", "1"), ("lang", "zh_CN"))),  # query order
    request(body=json.dumps(dict(reversed(list(BODY.items())))).encode()),  # key order
    request(body=json.dumps(BODY, indent=2).encode()),  # JSON formatting
    request(host="api2.weixin.qq.com"),  # the host is recorded, not matched
], ids=["query order", "body key order", "json formatting", "host"])
def test_differences_matching_ignores_on_purpose(sent: Request) -> None:
    assert transport().send(sent).status == 200
