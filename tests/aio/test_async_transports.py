"""The httpx and aiohttp transports over real loopback sockets: retries over broken answers
and gateway errors, settings, and the sync httpx transport with a client of yours (the error
tree, timeouts and fail-over every transport shares: ``tests/adapters/test_transport_errors.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
from netkit import RawServer, half_answer

from wxcore.endpoint import Endpoint, WxResult
from wxcore.errors import ReadError, UsageError
from wxcore.http import NO_AUTH

from wxcore.adapters.async_transport import AsyncRetryingTransport, AsyncTransport
from wxcore.adapters.httpx_transport import HttpxAsyncTransport, HttpxTransport
from wxcore.adapters.sandbox import Fault, SandboxServer


class Echo(WxResult, kw_only=True):
    size: int


PROBE = Endpoint("test.probe", "GET", "/test/probe", Echo, auth=NO_AUTH)
POST = Endpoint("test.post", "POST", "/x", Echo, auth=NO_AUTH)


class Waits(list[float]):
    """The retry waits, recorded instead of slept."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def half_answering_server() -> Iterator[RawServer]:
    """A server that reads a request and answers half a response, then closes."""
    with RawServer(half_answer) as server:
        yield server


def test_a_post_broken_mid_answer_is_a_read_error_and_not_resent(
        make_transport: Callable[..., AsyncTransport],
        half_answering_server: RawServer, waits: Waits) -> None:
    server = half_answering_server
    async def main() -> None:
        transport = AsyncRetryingTransport(
            make_transport(base_urls={"*": [server.base_url]}), sleep=waits)
        try:
            with pytest.raises(ReadError):
                await transport.send(POST.call(json={}).request)
        finally:
            await transport.aclose()

    asyncio.run(main())
    assert server.arrivals == 1 and waits == []


def test_an_idempotent_get_broken_mid_answer_is_retried_within_bounds(
        make_transport: Callable[..., AsyncTransport],
        half_answering_server: RawServer, waits: Waits) -> None:
    server = half_answering_server
    async def main() -> None:
        transport = AsyncRetryingTransport(
            make_transport(base_urls={"*": [server.base_url]}), sleep=waits,
            rng=lambda: 0.0)
        try:
            with pytest.raises(ReadError):
                await transport.send(PROBE.call().request)
        finally:
            await transport.aclose()

    asyncio.run(main())
    assert server.arrivals == 3 and waits == [0.2, 0.4]  # max_attempts=3, exponential waits


def test_gateway_errors_are_retried_then_the_answer_is_returned(
        make_transport: Callable[..., AsyncTransport], sandbox_server: SandboxServer,
        waits: Waits) -> None:
    sandbox_server.sandbox.inject(Fault("status", status=503, times=2))
    async def main() -> int:
        transport = AsyncRetryingTransport(
            make_transport(base_urls={"*": [sandbox_server.base_url]}), sleep=waits)
        try:
            return (await transport.send(PROBE.call().request)).status
        finally:
            await transport.aclose()

    assert asyncio.run(main()) == 404  # the third attempt reached the (routeless) sandbox
    assert len(waits) == 2 and sandbox_server.sandbox.calls["/test/probe"] == 3


def test_sync_httpx_transport_uses_the_users_client_and_leaves_it_open() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errcode": 0, "size": 7},
                              headers={"X-Kept": "yes"})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    transport = HttpxTransport(client)
    response = transport.send(POST.call(json={"a": 1}).request)
    transport.close()
    assert POST.call(json={}).parse(response).size == 7
    assert response.headers["x-kept"] == "yes"
    assert seen[0].url == "https://api.weixin.qq.com/x" and seen[0].content == b'{"a":1}'
    assert not client.is_closed


def test_bad_settings_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="positive"):
        HttpxAsyncTransport(timeout=0)
