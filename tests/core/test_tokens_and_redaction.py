"""Token values, token endpoints, redaction and multipart bodies."""

from __future__ import annotations

import math

import pytest

from wxcore.errors import UsageError
from wxcore.http import Response
from wxcore.multipart import File, encode_multipart
from wxcore.redact import mask, redact_text, redact_url
from wxcore.tokens import Token, fetch_access_token, fetch_ticket, token_from_result


def test_freshness_is_a_function_of_now_and_margin() -> None:
    token = Token(value="abc", expires_at=1000.0)
    assert token.is_fresh(600.0, margin=300)
    assert not token.is_fresh(701.0, margin=300)
    assert token.remaining(900.0) == 100.0
    assert Token(value="secret").expires_at == math.inf


def test_token_result_becomes_an_absolute_expiry() -> None:
    call = fetch_access_token("wx1")
    assert dict(call.request.query) == {"grant_type": "client_credential", "appid": "wx1"}
    result = call.parse(Response(status=200, body=b'{"access_token":"81_abc","expires_in":7200}'))
    assert token_from_result(result, now=100.0) == Token(value="81_abc", expires_at=7300.0,
                                                         issued_at=100.0)


def test_the_margin_is_bounded_by_half_the_lifetime() -> None:
    # A token with 200 s to live when fetched is due after 100 s, not at once (margin 300).
    short = Token(value="t", expires_at=1200.0, issued_at=1000.0)
    assert short.is_fresh(1099.0, margin=300) and not short.is_fresh(1100.0, margin=300)
    # A full-length token keeps the absolute margin.
    full = Token(value="t", expires_at=8200.0, issued_at=1000.0)
    assert full.is_fresh(7899.0, margin=300) and not full.is_fresh(7900.0, margin=300)
    # Without issued_at the margin is the given one.
    assert not Token(value="t", expires_at=1200.0).is_fresh(1000.0, margin=300)


def test_ticket_type_is_validated() -> None:
    assert dict(fetch_ticket("wx_card").request.query) == {"type": "wx_card"}
    with pytest.raises(UsageError, match="ticket_type"):
        fetch_ticket("card")  # type: ignore[arg-type]


def test_redaction_hides_secret_values_in_urls_and_json() -> None:
    url = "https://api.weixin.qq.com/cgi-bin/x?access_token=81_T0K&openid=o1&secret=S3C"
    assert redact_url(url) == "https://api.weixin.qq.com/cgi-bin/x?access_token=***&openid=o1&secret=***"
    text = redact_text('{"access_token":"81_T0K","expires_in":7200,"session_key":"k=="}')
    assert "81_T0K" not in text and "k==" not in text and "7200" in text
    assert "T0K" not in repr(Token(value="81_T0K"))
    assert mask("81_T0K") == mask("81_T0K") != mask("81_T0L")


def test_multipart_body_is_deterministic_and_well_formed() -> None:
    image = File("a.jpg", b"\xff\xd8binary\r\n--data", "image/jpeg")
    body, content_type = encode_multipart({"ratios": "1,2"}, {"img": image})
    again, _ = encode_multipart({"ratios": "1,2"}, {"img": image})
    assert body == again
    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="img"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8binary' in body
    assert b'name="ratios"\r\n\r\n1,2\r\n' in body
