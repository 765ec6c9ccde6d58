"""The executors' fast path against the policy driven from the start.

``Client`` and ``AsyncClient`` make a call's first attempt themselves and hand only an outcome
the policy acts on to ``run_call(call, first=(token, response))``. The reference here drives
``run_call(call)`` from its first effect, the way the async client did before it had a fast
path. For any script of what the wire answers (success, 40001/42001/40014, -1, a quota error,
a 503, a refused connection) and any kind of call (a GET or a POST on the access token, a call
on the app secret, a call carrying a user's own token), all three must send the same requests
with the same tokens, renew the same tokens, pause and wait the same, and end the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import ConnectError, WxError
from wxcore.http import APP_SECRET_IN_QUERY, Auth, Request, Response
from wxcore.policy import Invalidate, NeedCredential, Pause, Send, run_call
from wxcore.tokens import Token

from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.async_tokens import Immediate
from wxcore.adapters.async_transport import AsyncRetryingTransport
from wxcore.adapters.client import Client
from wxcore.adapters.retry import RetryingTransport, RetryPolicy
from wxcore.adapters.tokens import SecretProvider


class Ticket(WxResult, kw_only=True):
    ticket: str
    expires_in: int


GET = Endpoint("test.get_ticket", "GET", "/cgi-bin/ticket/getticket", Ticket)
POST = Endpoint("test.post", "POST", "/cgi-bin/message/custom/send", WxResult)
ON_SECRET = Endpoint("test.on_secret", "GET", "/sns/jscode2session", WxResult,
                     auth=APP_SECRET_IN_QUERY, idempotent=False)
USER_TOKEN = Endpoint("test.userinfo", "GET", "/sns/userinfo", WxResult,
                      auth=Auth("user_token", "access_token"))

CALLS: dict[str, Callable[[], Call[Any]]] = {
    "GET on the access token": lambda: GET.call(query={"type": "jsapi"}),
    "POST on the access token": lambda: POST.call(json={"touser": "OPENID", "msgtype": "text"}),
    "GET on the app secret": lambda: ON_SECRET.call(query={"js_code": "CODE"}),
    "GET on a user's own token": lambda: USER_TOKEN.call(query={"openid": "OPENID"},
                                                         credential="USER_TOKEN"),
}

# What WeChat answers, in the shapes its documentation gives.
ANSWERS: dict[str, Response | ConnectError] = {
    "ok": Response(status=200, body=b'{"errcode":0,"errmsg":"ok","ticket":"TICKET","expires_in":7200}'),
    "40001": Response(status=200, body=b'{"errcode":40001,"errmsg":"invalid credential, access_token '
                           b'is invalid or not latest"}'),
    "42001": Response(status=200, body=b'{"errcode":42001,"errmsg":"access_token expired"}'),
    "40014": Response(status=200, body=b'{"errcode":40014,"errmsg":"invalid access_token"}'),
    "-1": Response(status=200, body=b'{"errcode":-1,"errmsg":"system error"}'),
    "45009": Response(status=200, body=b'{"errcode":45009,"errmsg":"reach max api daily quota limit"}'),
    "503": Response(status=503, body=b"<html>503 Service Unavailable</html>"),
    "refused": ConnectError("test: cannot connect to https://api.weixin.qq.com: refused",
                            endpoint="test"),
}

RETRY = RetryPolicy(jitter=0.0, deadline=None)


class World:
    """The wire and the token provider, recording every event in order."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.events: list[tuple[str, object]] = []
        self.issued = 0
        self.current: Token | None = None

    # the sync token provider (the async client gets it through Immediate)
    def get(self) -> Token:
        if self.current is None:
            self.issued += 1
            self.current = Token(value=f"T{self.issued}", expires_at=float("inf"))
        self.events.append(("token", self.current.value))
        return self.current

    def invalidate(self, stale: Token) -> None:
        self.events.append(("invalidate", stale.value))
        if self.current == stale:
            self.current = None

    # the sync transport
    def send(self, request: Request) -> Response:
        self.events.append(("send", request.url))
        answer = ANSWERS[self.script.pop(0)] if self.script else ANSWERS["ok"]
        if isinstance(answer, ConnectError):
            raise answer
        return answer

    def close(self) -> None:
        pass

    def sleep(self, seconds: float) -> None:
        self.events.append(("sleep", seconds))


class AsyncWire:
    """The same wire for the async client."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def send(self, request: Request) -> Response:
        return self.world.send(request)

    async def aclose(self) -> None:
        pass


def outcome(run: Callable[[], Any]) -> tuple[str, object]:
    try:
        result = run()
    except WxError as exc:
        return "raised", (type(exc).__name__, getattr(exc, "errcode", None))
    return "returned", msgspec.json.encode(result.result_json)


def reference(world: World, call: Call[Any]) -> Any:
    """``run_call`` driven from its first effect, as a loop that knows no shortcut."""
    transport = RetryingTransport(world, RETRY, sleep=world.sleep, rng=lambda: 0.0)
    providers: dict[str, Any] = {"access_token": world,
                                 "app_secret": SecretProvider("APPSECRET", "app secret")}
    effects = run_call(call)
    answer: Any = None
    try:
        while True:
            effect = effects.send(answer)
            if isinstance(effect, Send):
                answer = transport.send(effect.request)
            elif isinstance(effect, NeedCredential):
                answer = providers[effect.kind].get()
            elif isinstance(effect, Invalidate):
                answer = providers[effect.kind].invalidate(effect.stale)
            elif isinstance(effect, Pause):
                answer = world.sleep(effect.seconds)  # type: ignore[func-returns-value]
    except StopIteration as done:
        return done.value


def sync_client(world: World, call: Call[Any]) -> Any:
    client = Client("wx1234567890abcdef", "APPSECRET", transport=world, token_provider=world,
                    retry=None, sleep=world.sleep)
    client.transport = RetryingTransport(world, RETRY, sleep=world.sleep, rng=lambda: 0.0)
    return client.call(call)


def async_client(world: World, call: Call[Any]) -> Any:
    async def sleep(seconds: float) -> None:
        world.sleep(seconds)

    async def main() -> Any:
        client = AsyncClient("wx1234567890abcdef", "APPSECRET", transport=AsyncWire(world),
                             token_provider=Immediate(world), retry=None, sleep=sleep)
        client.transport = AsyncRetryingTransport(AsyncWire(world), RETRY, sleep=sleep,
                                                  rng=lambda: 0.0)
        return await client.call(call)

    return asyncio.run(main())


def observe(drive: Callable[[World, Call[Any]], Any], kind: str,
            script: list[str]) -> tuple[tuple[str, object], list[tuple[str, object]]]:
    world = World(script)
    ended = outcome(lambda: drive(world, CALLS[kind]()))
    return ended, world.events


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(CALLS)),
       script=st.lists(st.sampled_from(sorted(ANSWERS)), max_size=5))
def test_both_executors_behave_as_the_policy_driven_from_the_start(
        kind: str, script: list[str]) -> None:
    expected = observe(reference, kind, script)
    assert observe(sync_client, kind, script) == expected
    assert observe(async_client, kind, script) == expected


def test_a_rejected_token_is_renewed_once_then_a_second_rejection_is_raised() -> None:
    for drive in (sync_client, async_client):
        ended, events = observe(drive, "GET on the access token", ["40001"])
        assert ended[0] == "returned"
        assert [e for e in events if e[0] != "send"] == [
            ("token", "T1"), ("invalidate", "T1"), ("token", "T2")]
        sent = [url for name, url in events if name == "send"]
        assert len(sent) == 2 and "access_token=T1" in str(sent[0]) and "access_token=T2" in str(sent[1])

        ended, events = observe(drive, "POST on the access token", ["42001", "42001"])
        assert ended == ("raised", ("TokenInvalidError", 42001))
        assert [e[0] for e in events].count("send") == 2


def test_busy_and_gateway_answers_are_resent_only_when_idempotent() -> None:
    for drive in (sync_client, async_client):
        ended, events = observe(drive, "GET on the access token", ["-1", "503", "-1"])
        assert ended[0] == "returned"
        assert [e for e in events if e[0] == "sleep"] == [("sleep", 0.5), ("sleep", 0.2),
                                                          ("sleep", 1.0)]
        ended, events = observe(drive, "POST on the access token", ["-1"])
        assert ended == ("raised", ("SystemBusyError", -1))
        assert [e[0] for e in events].count("send") == 1


def test_a_users_own_token_and_the_app_secret_are_never_renewed() -> None:
    for drive in (sync_client, async_client):
        for kind in ("GET on a user's own token", "GET on the app secret"):
            ended, events = observe(drive, kind, ["40001"])
            assert ended == ("raised", ("TokenInvalidError", 40001))
            assert [e[0] for e in events] == ["send"]
            assert "APPSECRET" in str(events[0][1]) or "USER_TOKEN" in str(events[0][1])
