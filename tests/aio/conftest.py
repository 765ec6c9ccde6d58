"""Fixtures of the async tests: each test is a plain ``asyncio.run`` of a coroutine, and
every transport kind an async client can use."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.async_transport import AsyncTransport
from wxcore.adapters.httpx_transport import HttpxAsyncTransport

#: name -> factory(base_urls=..., timeout=...) of each async transport over real sockets.
ASYNC_TRANSPORTS: dict[str, Callable[..., AsyncTransport]] = {
    "httpx": HttpxAsyncTransport,
    "aiohttp": AiohttpTransport,
}


@pytest.fixture(params=sorted(ASYNC_TRANSPORTS))
def make_transport(request: pytest.FixtureRequest) -> Callable[..., AsyncTransport]:
    """Each async transport in turn (the test runs once per library)."""
    return ASYNC_TRANSPORTS[request.param]
