"""The cassette file format: round trips, defaults, and clear errors for malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from wxcore.adapters.cassette import (
    Body,
    Cassette,
    CassetteFormatError,
    dumps_cassette,
    load_cassette,
    loads_cassette,
    save_cassette,
)

MINIMAL = {
    "wxcore_cassette": 1,
    "name": "token/minimal",
    "interactions": [{
        "request": {"method": "GET", "path": "/cgi-bin/token",
                    "query": {"grant_type": "client_credential", "appid": "wx1"}},
        "response": {"status": 200, "body": {"json": {"access_token": "T", "expires_in": 7200}}},
    }],
}


def write(tmp_path: Path, doc: object, name: str = "broken.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), "utf-8")
    return path


def test_a_hand_written_minimal_cassette_gets_sensible_defaults(tmp_path: Path) -> None:
    cassette = load_cassette(write(tmp_path, MINIMAL, "ok.json"))
    request = cassette.interactions[0].request
    assert (request.host, request.body) == ("api.weixin.qq.com", None)
    response = cassette.interactions[0].response.to_response()  # type: ignore[union-attr]
    assert response.body == b'{"access_token":"T","expires_in":7200}'
    assert response.content_type == "application/json"  # defaulted from the body kind
    assert cassette.default_appid() == "wx1"


def test_saving_is_pretty_deterministic_and_round_trips(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(MINIMAL))
    doc["description"] = "中文 stays readable"
    cassette = loads_cassette(json.dumps(doc))
    path = save_cassette(cassette, tmp_path / "deep" / "x.json")
    text = path.read_text("utf-8")
    assert "中文 stays readable" in text and '\n  "interactions": [\n' in text
    assert text.endswith("}\n")
    assert dumps_cassette(load_cassette(path)) == path.read_bytes()
    keys = list(json.loads(text))
    assert keys == ["wxcore_cassette", "name", "description", "interactions"]
    first = json.loads(text)["interactions"][0]["request"]
    assert list(first) == ["method", "host", "path", "query", "body"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(wxcore_cassette=2), "unsupported cassette format version 2"),
        (lambda d: d.pop("wxcore_cassette"), "missing required field `wxcore_cassette`"),
        (lambda d: d["interactions"][0].update(respones={}),
         "unknown field `respones` - at `$.interactions[0]`"),
        (lambda d: d["interactions"][0]["response"].update(status="200"),
         "Expected `int`, got `str` - at `$.interactions[0].response.status`"),
        (lambda d: d["interactions"][0]["response"].update(body={"json": 1, "text": "1"}),
         'exactly one of "json", "text", "base64", "multipart" (got "json", "text") - at '
         "`$.interactions[0].response.body`"),
        (lambda d: d["interactions"][0]["response"].update(body={"base64": "not base64!"}),
         '"base64" is not valid base64'),
        (lambda d: d["interactions"][0]["request"].update(path="cgi-bin/token"),
         '"path" must start with "/"'),
        (lambda d: d["interactions"][0]["request"].update(method="get"),
         "upper-case HTTP method"),
        (lambda d: d["interactions"][0].pop("response"),
         'an interaction needs exactly one of "response", "error" (got none)'),
        (lambda d: d.update(expect={"result": "wxcore.tokens:AccessTokenResult"}),
         '"expect" needs a "call"'),
        (lambda d: d.update(call={"builder": "wxcore.tokens.fetch_access_token"}),
         '"builder" must look like "package.module:Name"'),
    ],
)
def test_a_malformed_cassette_names_the_file_the_place_and_the_problem(
        tmp_path: Path, change: object, problem: str) -> None:
    doc = json.loads(json.dumps(MINIMAL))
    change(doc)  # type: ignore[operator]
    path = write(tmp_path, doc)
    with pytest.raises(CassetteFormatError) as raised:
        load_cassette(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert problem in message


def test_a_json_syntax_error_says_where(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "wxcore_cassette": 1,\n  "name": "x",\n  "interactions": [,]\n}')
    with pytest.raises(CassetteFormatError, match=r"broken\.json: JSON is malformed.*\(line 4, "
                                                  r"column 20\)"):
        load_cassette(path)


def test_a_missing_file_is_a_format_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match=r"nope\.json: cannot read the cassette"):
        load_cassette(tmp_path / "nope.json")


def test_body_forms_give_back_their_bytes() -> None:
    assert Body(json={"a": "中", "b": [1, 2.5, None]}).to_bytes() == msgspec.json.encode(
        {"a": "中", "b": [1, 2.5, None]})
    assert Body(text="a b\n").to_bytes() == b"a b\n"
    assert Body(base64="AAEC/w==").to_bytes() == b"\x00\x01\x02\xff"
    assert Body(json=None).to_bytes() == b"null"  # a JSON null body is not "no body"


def test_cassette_is_a_msgspec_struct_users_can_build() -> None:
    cassette = Cassette(wxcore_cassette=1, name="x")
    assert loads_cassette(dumps_cassette(cassette)) == cassette
