"""Every transport wxcore ships -- urllib3 and httpx (sync), httpx and aiohttp (async) --
over real loopback sockets: the same error tree, timeouts and fail-over, each case written
once and run for each transport."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from netkit import RawServer
from support import free_port

from wxcore.endpoint import Endpoint, WxResult
from wxcore.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from wxcore.http import NO_AUTH, Request, Response

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.httpx_transport import HttpxAsyncTransport, HttpxTransport
from wxcore.adapters.sandbox import Fault, SandboxServer
from wxcore.adapters.transport import Urllib3Transport


class Echo(WxResult, kw_only=True):
    size: int


PROBE = Endpoint("test.probe", "GET", "/test/probe", Echo, auth=NO_AUTH)

#: name -> (factory taking base_urls= and timeout=, whether its send is awaited)
TRANSPORTS: dict[str, tuple[Callable[..., Any], bool]] = {
    "urllib3": (Urllib3Transport, False),
    "httpx": (HttpxTransport, False),
    "httpx-async": (HttpxAsyncTransport, True),
    "aiohttp": (AiohttpTransport, True),
}

#: Sends requests one after another through one new transport, then closes it: each
#: request's response, or the transport error it raised.
Exchange = Callable[..., "list[Response | TransportError]"]


@pytest.fixture(params=sorted(TRANSPORTS))
def exchange(request: pytest.FixtureRequest) -> Exchange:
    """Each transport in turn: a sync one sends in place, an async one in one event loop."""
    factory, awaited = TRANSPORTS[request.param]

    def sync(requests: Sequence[Request], **options: Any) -> list[Response | TransportError]:
        transport = factory(**options)
        outcomes: list[Response | TransportError] = []
        try:
            for each in requests:
                try:
                    outcomes.append(transport.send(each))
                except TransportError as exc:
                    outcomes.append(exc)
        finally:
            transport.close()
        return outcomes

    async def in_loop(requests: Sequence[Request], **options: Any,
                      ) -> list[Response | TransportError]:
        transport = factory(**options)
        outcomes: list[Response | TransportError] = []
        try:
            for each in requests:
                try:
                    outcomes.append(await transport.send(each))
                except TransportError as exc:
                    outcomes.append(exc)
        finally:
            await transport.aclose()
        return outcomes

    if not awaited:
        return sync
    return lambda requests, **options: asyncio.run(in_loop(requests, **options))


def test_a_refused_port_is_a_connect_error_without_secrets(exchange: Exchange) -> None:
    call = PROBE.call(query={"access_token": "SECRET_TOKEN"})
    (error,) = exchange([call.request], base_urls={"*": [f"http://127.0.0.1:{free_port()}"]})
    assert isinstance(error, ConnectError)
    assert "SECRET_TOKEN" not in str(error) and "SECRET_TOKEN" not in error.url
    assert "127.0.0.1" in str(error) and error.__cause__ is None


def test_a_dead_primary_host_fails_over_and_stays_on_the_good_one(
        exchange: Exchange, sandbox_server: SandboxServer,
        caplog: pytest.LogCaptureFixture) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    request = PROBE.call().request
    first, second = exchange([request, request],
                             base_urls={"api.weixin.qq.com": [dead, sandbox_server.base_url]})
    assert isinstance(first, Response) and isinstance(second, Response)
    assert first.status == second.status == 404  # the sandbox: no such route
    assert "content-type" in first.headers
    assert all(name == name.lower() for name in first.headers)
    failovers = [r for r in caplog.records if "failing over" in r.getMessage()]
    assert len(failovers) == 1  # the second send went straight to the host that answered
    assert sandbox_server.sandbox.calls["/test/probe"] == 2


def test_a_slow_answer_is_a_read_timeout(exchange: Exchange,
                                         sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.inject(Fault("slow", delay=1.0))
    (error,) = exchange([PROBE.call().request], base_urls={"*": [sandbox_server.base_url]},
                        timeout=0.2)
    assert isinstance(error, ReadTimeoutError)


def test_a_reset_is_a_read_error(exchange: Exchange, sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.inject(Fault("reset"))
    (error,) = exchange([PROBE.call().request], base_urls={"*": [sandbox_server.base_url]})
    assert isinstance(error, ReadError) and not isinstance(error, ConnectError)


def test_response_headers_read_by_lower_case_name_with_repeats_joined(
        exchange: Exchange) -> None:
    """A view with lower-case names (never a copy), a repeated header's values joined."""
    raw = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
           b"X-Trace-Id: abc\r\nVia: one\r\nVia: two\r\nContent-Length: 2\r\n"
           b"Connection: close\r\n\r\n{}")

    def send(conn: socket.socket, request: bytes) -> None:
        conn.sendall(raw)

    with RawServer(send) as server:
        [response] = exchange([PROBE.call().request], base_urls={"*": [server.base_url]})
    assert isinstance(response, Response)
    assert dict(response.headers) == {"content-type": "application/json; charset=utf-8",
                                      "x-trace-id": "abc", "via": "one, two",
                                      "content-length": "2", "connection": "close"}
    assert len(response.headers) == 5 and list(response.headers)[2] == "via"
    assert response.content_type == "application/json" and "x-trace-id" in response.headers
    assert response.headers.get("x-missing") is None
