"""RecordingTransport: what reaches a cassette, and above all what never does."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from wxcore.endpoint import Endpoint, Media
from wxcore.errors import ReadError
from wxcore.http import Request, Response
from wxcore.miniprogram.login import Code2SessionResult, PhoneNumberResult
from wxcore.multipart import File
from wxcore.tokens import AccessTokenResult, fetch_access_token, fetch_stable_access_token

from wxcore.adapters.cassette import (
    RecordingTransport,
    ReplayTransport,
    is_placeholder,
    load_cassette,
    replay_client,
)
from wxcore.adapters.cassette.model import Interaction, RecordedResponse
from wxcore.adapters.client import Client
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import (
    Fault,
    SandboxServer,
    SandboxTransport,
    WeChatSandbox,
    login_code,
    phone_code,
)
from wxcore.adapters.sandbox.miniprogram import state as miniprogram_state
from wxcore.adapters.transport import Urllib3Transport

SECRET_NAMES = {"access_token", "ticket", "session_key", "secret"}
PHONE = "13912345678"


class Spy:
    """Sits between the recorder and the sandbox and keeps every secret value that passed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seen: set[str] = set()

    def _collect(self, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SECRET_NAMES and isinstance(item, str):
                    self.seen.add(item)
                self._collect(item)

    def send(self, request: Request) -> Response:
        self.seen.update(v for k, v in request.query if k in SECRET_NAMES)
        if request.body:
            self._collect(msgspec.json.decode(request.body))
        response: Response = self.inner.send(request)
        if response.body.startswith(b"{"):
            self._collect(msgspec.json.decode(response.body))
        return response

    def close(self) -> None:
        self.inner.close()


def answer_json(interaction: Interaction) -> Any:
    """The JSON body of a recorded answer."""
    response = interaction.response
    assert isinstance(response, RecordedResponse) and response.body is not None
    return response.body.json


def scenario(mp: MiniProgram, js_code: str, phone: str) -> list[object]:
    """Traffic touching every kind of secret: app secret, plain/stable/forced tokens,
    tickets, a token cut short and renewed, a session_key and a phone number."""
    results: list[object] = [
        mp.call(fetch_access_token(mp.appid)),
        mp.get_jsapi_ticket(),  # fetches the stable token first
        mp.call(fetch_stable_access_token(mp.appid, force_refresh=True)),  # cuts it short
        mp.ticket_provider("wx_card").get().value,  # 40001, refetch, force_refresh, resend
        mp.code2session(js_code),
        mp.get_phone_number(phone),
    ]
    return results


def record(transport: Any, sandbox: WeChatSandbox, path: Path) -> tuple[Spy, list[object], dict[str, str]]:
    spy = Spy(transport)
    recorder = RecordingTransport(spy, name="recorded/everything", path=path,
                                  appid=sandbox.default_app.appid, redact_phone_numbers=True)
    app = sandbox.default_app
    codes = {"js_code": login_code(sandbox), "phone_code": phone_code(sandbox, PHONE)}
    recorder.values.update(codes)
    with MiniProgram(app.appid, app.secret, transport=recorder, retry=None) as mp:
        results = scenario(mp, codes["js_code"], codes["phone_code"])
    return spy, results, codes


def assert_no_secret_in(path: Path, sandbox: WeChatSandbox, spy: Spy) -> None:
    text = path.read_text("utf-8")
    secrets = {sandbox.default_app.secret, PHONE}
    secrets |= set(sandbox.tokens)  # every token and ticket the sandbox minted
    secrets |= set(miniprogram_state(sandbox).session_keys.values())
    secrets |= spy.seen  # every secret value that crossed the wire, either way
    assert len(secrets) >= 8  # secret, phone, 3 tokens, 2 tickets, a session_key
    leaked = [s for s in secrets if s in text or s[:12] in text
              or msgspec.json.encode(s).decode()[1:-1] in text]
    assert leaked == []


def test_a_recorded_cassette_holds_no_secret_used_or_seen(tmp_path: Path) -> None:
    sandbox = WeChatSandbox()
    path = tmp_path / "everything.json"
    spy, results, codes = record(SandboxTransport(sandbox), sandbox, path)
    assert sandbox.calls["/cgi-bin/stable_token"] >= 3  # the renewal really happened
    assert_no_secret_in(path, sandbox, spy)

    # Placeholders are stable: the token handed out again after the forced refresh keeps
    # the placeholder it got the first time.
    cassette = load_cassette(path)
    stable_answers = [answer_json(i)["access_token"] for i in cassette.interactions
                      if i.request.path == "/cgi-bin/stable_token"]
    assert all(is_placeholder(v) for v in stable_answers)
    assert len(set(stable_answers)) == len(stable_answers) - 1

    # The redacted cassette still replays the whole scenario through the real client path.
    with replay_client(MiniProgram, path, tokens="fetch") as mp:
        values = cassette.values
        assert isinstance(values, dict)
        replayed = scenario(mp, values["js_code"], values["phone_code"])
        mp.transport.assert_all_used()  # type: ignore[attr-defined]
    assert [type(r) for r in replayed] == [type(r) for r in results]
    session = replayed[4]
    assert isinstance(session, Code2SessionResult)
    assert session.openid == results[4].openid  # type: ignore[attr-defined]
    assert is_placeholder(session.session_key)
    phone = replayed[5]
    assert isinstance(phone, PhoneNumberResult)
    assert is_placeholder(phone.phone_info.purePhoneNumber)


def test_recording_over_loopback_leaks_nothing_either(tmp_path: Path) -> None:
    with SandboxServer(WeChatSandbox()) as server:
        path = tmp_path / "loopback.json"
        transport = Urllib3Transport.for_base_url(server.base_url)
        spy, _, _ = record(transport, server.sandbox, path)
        assert_no_secret_in(path, server.sandbox, spy)


def test_the_bound_credential_is_dropped_not_masked(tmp_path: Path) -> None:
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    recorder = RecordingTransport(SandboxTransport(sandbox))
    client = Client(app.appid, app.secret, transport=recorder, retry=None)
    client.call(fetch_access_token(app.appid))  # secret in the query
    client.call(fetch_stable_access_token(app.appid))  # secret in the JSON body
    client.get_jsapi_ticket()  # fetches the stable token, then access_token in the query
    requests = [i.request for i in recorder.cassette().interactions]
    assert [r.path for r in requests] == ["/cgi-bin/token", "/cgi-bin/stable_token",
                                          "/cgi-bin/stable_token", "/cgi-bin/ticket/getticket"]
    assert requests[0].query == {"grant_type": "client_credential", "appid": app.appid}
    assert requests[1].body is not None and requests[1].body.json == {
        "grant_type": "client_credential", "appid": app.appid, "force_refresh": False}
    assert requests[3].query == {"type": "jsapi"}


def test_phone_numbers_are_kept_unless_asked_and_other_secrets_always_go() -> None:
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    recorder = RecordingTransport(SandboxTransport(sandbox))
    mp = MiniProgram(app.appid, app.secret, transport=recorder, retry=None)
    mp.get_phone_number(phone_code(sandbox, PHONE))
    text = msgspec.json.encode(recorder.cassette()).decode()
    assert PHONE in text
    assert mp.get_access_token() not in text
    recorder.redact_phone_numbers = True
    assert PHONE not in msgspec.json.encode(recorder.cassette()).decode()


class EchoingTransport:
    """Answers with a fixed response that repeats a secret in odd places."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def send(self, request: Request) -> Response:
        return self.response

    def close(self) -> None:
        pass


def test_a_secret_is_scrubbed_from_text_bodies_headers_and_escaped_json() -> None:
    token = "81_Zx/9kLmN0pQrStUv+WxYz=="
    body = ('{"access_token":"' + token.replace("/", "\\/") + '","expires_in":7200,'
            '"note":"token ' + token.replace("/", "\\/") + ' issued"}').encode()
    response = Response(status=200, body=body, headers={
        "content-type": "application/json", "content-disposition": f'inline; filename="{token}"',
        "date": "Tue, 01 Jan 2030 00:00:00 GMT"})
    recorder = RecordingTransport(EchoingTransport(response))
    result = Client("wx1", "s" * 32, transport=recorder, retry=None).call(
        fetch_access_token("wx1"))
    assert result.access_token == token
    recorded = recorder.cassette().interactions[0].response
    assert isinstance(recorded, RecordedResponse)
    assert recorded.body is not None and isinstance(recorded.body.text, str)  # \/ is not compact
    dumped = msgspec.json.encode(recorder.cassette()).decode()
    assert "Zx" not in dumped
    assert isinstance(recorded.headers, dict) and "date" not in recorded.headers
    assert recorded.body.text.count("<redacted:access_token:1>") == 2


ENDPOINT = Endpoint("test.upload", "POST", "/cgi-bin/media/upload", Media, response="binary")


def test_bodies_are_recorded_so_that_replay_is_byte_exact() -> None:
    bodies = [
        b'{"errcode":0,"errmsg":"ok","n":1.5,"s":"\xe4\xb8\xad"}',  # compact: json
        b'{"errcode": 0, "errmsg": "ok"}',  # spaces: text
        b'{"errmsg":"\\u4e2d"}',  # escaped non-ASCII: text
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",  # binary: base64
    ]
    kinds = []
    for raw in bodies:
        recorder = RecordingTransport(EchoingTransport(
            Response(status=200, body=raw, headers={"content-type": "image/png"})))
        recorder.send(ENDPOINT.call().request)
        cassette = recorder.cassette()
        kinds.append(cassette.interactions[0].response.body.kind)  # type: ignore[union-attr]
        replayed = ReplayTransport(cassette).send(ENDPOINT.call().request)
        assert replayed.body == raw
    assert kinds == ["json", "text", "text", "base64"]


def test_multipart_uploads_are_recorded_readably_and_matched_by_content() -> None:
    image = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
    call = ENDPOINT.call(query={"type": "image"}, files={"media": File("cat.jpg", image,
                                                                       "image/jpeg")},
                         form={"description": '{"title":"cat"}'})
    recorder = RecordingTransport(EchoingTransport(Response(
        status=200, body=b'{"type":"image","media_id":"MEDIA_1"}',
        headers={"content-type": "application/json"})))
    recorder.send(call.request)
    cassette = recorder.cassette()
    parts = cassette.interactions[0].request.body.multipart  # type: ignore[union-attr]
    assert isinstance(parts, list)
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("description", None, None), ("media", "cat.jpg", "image/jpeg")]
    assert parts[0].text == '{"title":"cat"}'
    assert parts[1].sha256 == hashlib.sha256(image).hexdigest() and parts[1].size == len(image)
    assert base64.b64encode(image).decode() not in msgspec.json.encode(cassette).decode()

    assert ReplayTransport(cassette).send(call.request).status == 200
    other = ENDPOINT.call(query={"type": "image"}, files={"media": File("cat.jpg", image[:-1],
                                                                        "image/jpeg")},
                          form={"description": '{"title":"cat"}'})
    with pytest.raises(AssertionError, match=r"\* part\.media"):
        ReplayTransport(cassette).send(other.request)


def test_transport_failures_are_recorded_and_replayed_as_the_same_error() -> None:
    sandbox = WeChatSandbox()
    sandbox.inject(Fault("reset", path="/cgi-bin/token"))
    app = sandbox.default_app
    recorder = RecordingTransport(SandboxTransport(sandbox))
    client = Client(app.appid, app.secret, transport=recorder, retry=None)
    with pytest.raises(ReadError):
        client.call(fetch_access_token(app.appid))
    result = client.call(fetch_access_token(app.appid))
    cassette = recorder.cassette()
    assert [i.error.kind if i.error else "response" for i in cassette.interactions] == [
        "read", "response"]
    replayed = replay_client(Client, cassette)
    with pytest.raises(ReadError, match="reset"):
        replayed.call(fetch_access_token(app.appid))
    again = replayed.call(fetch_access_token(app.appid))
    assert isinstance(again, AccessTokenResult) and again.expires_in == result.expires_in
    assert re.fullmatch(r"<redacted:access_token:\d+>", again.access_token)
