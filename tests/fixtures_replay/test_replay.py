"""ReplayTransport: matching, order modes, mismatch reports and unused exchanges."""

from __future__ import annotations

from typing import Any

import pytest

from wxcore.errors import WxError
from wxcore.tokens import fetch_access_token, fetch_stable_access_token, fetch_ticket

from wxcore.adapters.cassette import (
    Cassette,
    CassetteMismatchError,
    ReplayTransport,
    UnusedInteractionsError,
    loads_cassette,
    replay_client,
)
from wxcore.adapters.client import Client

APPID = "wx1234567890abcdef"


def ticket(kind: str, value: str) -> dict[str, Any]:
    return {"request": {"method": "GET", "path": "/cgi-bin/ticket/getticket",
                        "query": {"type": kind}},
            "response": {"status": 200, "body": {"json": {
                "errcode": 0, "errmsg": "ok", "ticket": value, "expires_in": 7200}}}}


def stable(force: bool, token: str) -> dict[str, Any]:
    return {"request": {"method": "POST", "path": "/cgi-bin/stable_token", "body": {"json": {
                "grant_type": "client_credential", "appid": APPID, "force_refresh": force}}},
            "response": {"status": 200, "body": {"json": {"access_token": token,
                                                          "expires_in": 7200}}}}


def cassette(*interactions: dict[str, Any]) -> Cassette:
    return loads_cassette(
        __import__("json").dumps({"wxcore_cassette": 1, "name": "test/replay",
                                  "interactions": list(interactions)}))


def test_strict_order_answers_in_order_and_rejects_another_order() -> None:
    client = replay_client(Client, cassette(ticket("jsapi", "J"), ticket("wx_card", "W")))
    assert client.call(fetch_ticket("jsapi")).ticket == "J"
    assert client.call(fetch_ticket("wx_card")).ticket == "W"

    swapped = replay_client(Client, cassette(ticket("jsapi", "J"), ticket("wx_card", "W")))
    with pytest.raises(CassetteMismatchError) as raised:
        swapped.call(fetch_ticket("wx_card"))
    message = str(raised.value)
    assert "next recorded exchange #0 (order: strict)" in message
    assert "unused exchange #1 would match" in message
    assert "* query.type" in message and "wx_card" in message and "jsapi" in message


def test_any_order_takes_the_first_unused_match() -> None:
    client = replay_client(Client, cassette(ticket("jsapi", "J1"), ticket("wx_card", "W"),
                                            ticket("jsapi", "J2")), order="any")
    assert client.call(fetch_ticket("wx_card")).ticket == "W"
    assert client.call(fetch_ticket("jsapi")).ticket == "J1"
    assert client.call(fetch_ticket("jsapi")).ticket == "J2"
    with pytest.raises(CassetteMismatchError, match="3 of 3 exchanges used"):
        client.call(fetch_ticket("jsapi"))


def test_repeat_lets_a_used_exchange_answer_again() -> None:
    client = replay_client(Client, cassette(ticket("jsapi", "J")), repeat=True)
    assert [client.call(fetch_ticket("jsapi")).ticket for _ in range(3)] == ["J", "J", "J"]


def test_credentials_are_ignored_wherever_they_are_bound() -> None:
    doc = cassette(stable(False, "T1"), {
        "request": {"method": "GET", "path": "/cgi-bin/token", "query": {
            "grant_type": "client_credential", "appid": APPID, "secret": "APPSECRET"}},
        "response": {"status": 200, "body": {"json": {"access_token": "T2", "expires_in": 7200}}},
    })
    # The secret differs from anything recorded (and the cassette even holds a fake one).
    client = replay_client(Client, doc)
    assert client.call(fetch_stable_access_token(APPID)).access_token == "T1"
    assert client.call(fetch_access_token(APPID)).access_token == "T2"


def test_a_placeholder_matches_any_value_but_other_values_must_be_equal() -> None:
    doc = cassette({
        "request": {"method": "POST", "path": "/cgi-bin/component/api_authorizer_token",
                    "body": {"json": {"component_appid": "wxc", "authorizer_appid": "wxa",
                                      "authorizer_refresh_token": "<redacted:authorizer_refresh_token:1>"}}},
        "response": {"status": 200, "body": {"json": {"errcode": 0}}},
    })
    from wxcore.endpoint import Endpoint, WxResult

    endpoint = Endpoint("test.authorizer", "POST", "/cgi-bin/component/api_authorizer_token",
                        WxResult)
    good = endpoint.call(json={"component_appid": "wxc", "authorizer_appid": "wxa",
                               "authorizer_refresh_token": "refreshtoken@@@"})
    assert ReplayTransport(doc).send(good.request).status == 200
    bad = endpoint.call(json={"component_appid": "wxc", "authorizer_appid": "wxb",
                              "authorizer_refresh_token": "refreshtoken@@@"})
    with pytest.raises(CassetteMismatchError, match=r"\* body\.authorizer_appid +wxb +wxa"):
        ReplayTransport(doc).send(bad.request)


def test_json_types_are_not_confused() -> None:
    doc = cassette(stable(False, "T1"))
    transport = ReplayTransport(doc)
    request = fetch_stable_access_token(APPID).request
    wrong = request.__class__(**{**{f: getattr(request, f) for f in request.__struct_fields__},
                                 "body": b'{"grant_type":"client_credential","appid":"'
                                         + APPID.encode() + b'","force_refresh":0}'})
    with pytest.raises(CassetteMismatchError, match=r"\* body\.force_refresh +0 +false"):
        transport.send(wrong)


def test_the_mismatch_shows_the_closest_exchange_and_never_a_secret() -> None:
    doc = cassette(ticket("jsapi", "J"), stable(False, "T1"), stable(True, "T2"))
    client = replay_client(Client, doc, order="any")
    client.set_access_token("SECRET-ACCESS-TOKEN-VALUE")
    client.call(fetch_ticket("jsapi"))
    request = fetch_stable_access_token("wx-other-app", force_refresh=True)
    with pytest.raises(CassetteMismatchError) as raised:
        client.call(request)
    message = str(raised.value)
    assert "closest recorded exchange #2 (unused)" in message
    lines = {line[4:].split()[0]: line for line in message.splitlines()
             if line.startswith(("  * ", "    ")) and line[4:].strip()}
    assert lines["body.appid"].startswith("  *") and "wx-other-app" in lines["body.appid"]
    assert lines["body.force_refresh"].startswith("   ")  # equal rows are not marked
    assert "replay-app-secret" not in message and "SECRET-ACCESS" not in message


def test_unused_exchanges_are_reported() -> None:
    transport = ReplayTransport(cassette(ticket("jsapi", "J"), ticket("wx_card", "W")),
                                order="any")
    client = replay_client(Client, transport)
    client.call(fetch_ticket("wx_card"))
    assert [i for i, _ in transport.unused()] == [0]
    with pytest.raises(UnusedInteractionsError,
                       match=r"1 of 2 recorded exchanges were never requested.*\n"
                             r"  #0 GET /cgi-bin/ticket/getticket\?type=jsapi"):
        transport.assert_all_used()
    client.call(fetch_ticket("jsapi"))
    transport.assert_all_used()


def test_a_mismatch_is_not_a_wechat_error_so_app_code_cannot_swallow_it() -> None:
    client = replay_client(Client, cassette(ticket("jsapi", "J")))
    try:
        client.call(fetch_ticket("wx_card"))
    except WxError:  # what application code catches
        pytest.fail("a replay mismatch must not look like a WeChat failure")
    except CassetteMismatchError:
        pass
    assert len(client.transport.mismatches) == 1  # type: ignore[attr-defined]


def test_an_empty_cassette_says_so() -> None:
    with pytest.raises(CassetteMismatchError, match="records no exchanges"):
        ReplayTransport(cassette()).send(fetch_ticket("jsapi").request)


def test_call_arguments_can_carry_bytes_objects_and_a_fixed_clock() -> None:
    from datetime import date

    from wxcore.multipart import File

    from wxcore.adapters.cassette import check_cassette
    from wxcore.adapters.cassette.runner import _decode_arg

    assert _decode_arg({"img": {"$new": "wxcore.multipart:File", "args": {
        "filename": "a.jpg", "content": {"$base64": "AAH/"}, "content_type": "image/jpeg"}},
        "day": {"$new": "datetime:date.fromisoformat", "args": ["2024-02-29"]},
        "plain": [{"$base64x": 1}]}) == {
        "img": File("a.jpg", b"\x00\x01\xff", "image/jpeg"), "day": date(2024, 2, 29),
        "plain": [{"$base64x": 1}]}
    # MiniProgram.today() reads the client's clock: "now" pins it (UTC+8 day boundary).
    doc = __import__("json").dumps({
        "wxcore_cassette": 1, "name": "test/today", "interactions": [],
        "call": {"client": "wxcore.adapters.miniprogram:MiniProgram", "method": "today",
                 "now": 1700000000},
        "expect": {"result": "datetime:date", "value": "2023-11-15"}})
    assert check_cassette(loads_cassette(doc)) == date(2023, 11, 15)
    wrong = doc.replace("2023-11-15", "2023-11-14")
    with pytest.raises(AssertionError, match=r"\$: expected '2023-11-14', got '2023-11-15'"):
        check_cassette(loads_cassette(wrong))
