"""What the async transports do on the wire beyond one request: proxies from the environment
or given, HTTP/2 over TLS (httpx, against hypercorn), and no silent resend by aiohttp."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from netkit import ForwardingProxy, RawServer, answer, read_request
from support import free_port

from wxcore.endpoint import Endpoint, WxResult
from wxcore.errors import ConnectError, ReadError, UsageError
from wxcore.http import NO_AUTH, Request

from wxcore.adapters import aiohttp_transport
from wxcore.adapters.aiohttp_transport import AiohttpTransport, no_silent_resend
from wxcore.adapters.async_transport import AsyncTransport
from wxcore.adapters.httpx_transport import HttpxAsyncTransport, HttpxTransport
from wxcore.adapters.sandbox import SandboxServer


class Seen(WxResult, kw_only=True):
    http_version: str = ""
    size: int = 0


PROBE = Endpoint("test.probe", "GET", "/test/probe", Seen, auth=NO_AUTH)
POST = Endpoint("test.post", "POST", "/test/post", Seen, auth=NO_AUTH)


def send_once(transport: AsyncTransport, request: Any) -> int:
    async def main() -> int:
        try:
            return (await transport.send(request)).status
        finally:
            await transport.aclose()

    return asyncio.run(main())


# -- proxies ---------------------------------------------------------------------------------

def test_the_environments_proxy_is_read_once_when_the_transport_is_made(
        make_transport: Callable[..., AsyncTransport], proxy: ForwardingProxy,
        no_proxy_env: pytest.MonkeyPatch, sandbox_server: SandboxServer) -> None:
    no_proxy_env.setenv("HTTP_PROXY", proxy.base_url)
    transport = make_transport(base_urls={"*": [sandbox_server.base_url]})
    no_proxy_env.delenv("HTTP_PROXY")  # read when made: a later change is not seen
    assert send_once(transport, PROBE.call().request) == 404  # the sandbox, through the proxy
    assert proxy.forwarded == [sandbox_server.base_url + "/test/probe"]


def test_no_proxy_bypasses_the_environments_proxy(
        make_transport: Callable[..., AsyncTransport], proxy: ForwardingProxy,
        no_proxy_env: pytest.MonkeyPatch, sandbox_server: SandboxServer) -> None:
    no_proxy_env.setenv("http_proxy", proxy.base_url)
    no_proxy_env.setenv("no_proxy", "localhost,127.0.0.1")
    transport = make_transport(base_urls={"*": [sandbox_server.base_url]})
    assert send_once(transport, PROBE.call().request) == 404
    assert proxy.forwarded == [] and sandbox_server.sandbox.calls["/test/probe"] == 1


def test_an_explicit_proxy_wins_and_false_means_none(
        make_transport: Callable[..., AsyncTransport], proxy: ForwardingProxy,
        no_proxy_env: pytest.MonkeyPatch, sandbox_server: SandboxServer) -> None:
    no_proxy_env.setenv("NO_PROXY", "*")
    base = {"*": [sandbox_server.base_url]}
    send_once(make_transport(base_urls=base, proxy=proxy.base_url), PROBE.call().request)
    assert len(proxy.forwarded) == 1
    no_proxy_env.setenv("HTTP_PROXY", proxy.base_url)
    no_proxy_env.delenv("NO_PROXY")
    send_once(make_transport(base_urls=base, proxy=False), PROBE.call().request)
    assert len(proxy.forwarded) == 1 and sandbox_server.sandbox.calls["/test/probe"] == 2


def test_https_through_the_environments_proxy_is_a_tunnel(
        make_transport: Callable[..., AsyncTransport], proxy: ForwardingProxy,
        no_proxy_env: pytest.MonkeyPatch, tls_pair: tuple[str, str]) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", proxy.base_url)
    with RawServer(answer(), tls=tls_pair) as server:
        transport = make_transport(base_urls={"*": [server.base_url]}, ca_certs=tls_pair[0])
        assert send_once(transport, POST.call(json={}).request) == 200
        assert proxy.forwarded == [f"CONNECT 127.0.0.1:{server.port}"] and server.arrivals == 1


def test_bad_proxy_settings_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="proxy must be"):
        AiohttpTransport(proxy=3128)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="your own client"):
        HttpxTransport(__import__("httpx").Client(), proxy="http://127.0.0.1:3128")


# -- HTTP/2 over TLS ---------------------------------------------------------------------------

async def _echo_version(scope: dict[str, Any], receive: Callable[..., Any],
                        send: Callable[..., Any]) -> None:
    """An ASGI app answering which HTTP version and which client port a request came on."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = json.dumps({"errcode": 0, "errmsg": "ok", "http_version": scope["http_version"],
                       "size": size, "port": scope["client"][1]}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def h2_server(tls_pair: tuple[str, str]) -> Iterator[str]:
    """hypercorn serving :func:`_echo_version` over TLS (h2 and http/1.1 by ALPN)."""
    config = Config()
    port = free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = tls_pair
    config.accesslog = config.errorlog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete,
        args=(serve(_echo_version, config, shutdown_trigger=stop.wait),),  # type: ignore[arg-type]
        daemon=True)
    thread.start()
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            threading.Event().wait(0.02)
    yield f"https://127.0.0.1:{port}"
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=5)


def test_http2_over_tls_multiplexes_on_one_connection(h2_server: str,
                                                      tls_pair: tuple[str, str]) -> None:
    async def main() -> list[Any]:
        transport = HttpxAsyncTransport.for_base_url(h2_server, http2=True, ca_certs=tls_pair[0])
        try:
            first = await transport.send(POST.call(json={"a": 1}).request)
            rest = await asyncio.gather(*(transport.send(PROBE.call().request)
                                          for _ in range(20)))
        finally:
            await transport.aclose()
        return [json.loads(r.body) for r in (first, *rest)]

    answers = asyncio.run(main())
    assert {a["http_version"] for a in answers} == {"2"}
    assert answers[0]["size"] == len(b'{"a":1}')
    assert len({a["port"] for a in answers}) == 1  # 21 streams, one TLS connection


def test_http2_on_the_sync_transport_and_http1_without_it(h2_server: str,
                                                         tls_pair: tuple[str, str]) -> None:
    with HttpxTransport.for_base_url(h2_server, http2=True, ca_certs=tls_pair[0]) as sync:
        assert PROBE.call().parse(sync.send(PROBE.call().request)).http_version == "2"
    with HttpxTransport.for_base_url(h2_server, ca_certs=tls_pair[0]) as plain:
        assert PROBE.call().parse(plain.send(PROBE.call().request)).http_version == "1.1"
    with pytest.raises(ConnectError):  # verification stays on: the test's CA is not trusted
        HttpxTransport.for_base_url(h2_server, http2=True).send(PROBE.call().request)


# -- the URL on the wire ------------------------------------------------------------------------

#: Values every one of whose awkward characters encode_query percent-encodes: reserved
#: delimiters, an already-encoded-looking "%41", non-ASCII, spaces and "+".
AWKWARD_QUERY = (("a", "x y+z/~!*'()"), ("b", "中文"), ("c", "%41&=;:@,$"),
                 ("d", '[]|^`{}"<>\\#?'), ("access_token", "tok/en+=="))


def _request_lines(make_transport: Callable[..., AsyncTransport],
                   request: Request) -> list[bytes]:
    """The request line of each request ``request`` made arrive at a loopback server."""
    lines: list[bytes] = []
    reply = answer()

    def record(conn: socket.socket, raw: bytes) -> None:
        lines.append(raw.split(b"\r\n", 1)[0])
        reply(conn, raw)

    with RawServer(record) as server:
        send_once(make_transport(base_urls={"*": [server.base_url]}), request)
    return lines


def test_the_query_reaches_the_server_byte_for_byte_as_encoded(
        make_transport: Callable[..., AsyncTransport]) -> None:
    """What encode_query built is what the server reads: aiohttp is handed the URL as
    already encoded (a str would be requoted by yarl, %2F back to /, %3F to ?, ...)."""
    request = Request(method="GET", path="/cgi-bin/probe", endpoint="test.query",
                      query=AWKWARD_QUERY, auth=NO_AUTH)
    assert "%2F" in request.target and "%3F" in request.target
    lines = _request_lines(make_transport, request)
    assert lines == [f"GET {request.target} HTTP/1.1".encode()]


def test_a_hand_written_path_is_still_quoted_and_its_query_kept(
        make_transport: Callable[..., AsyncTransport]) -> None:
    """A Request built by hand with a space or non-ASCII in its path goes out quoted, as
    before; the query stays as encode_query wrote it."""
    request = Request(method="GET", path="/p/a b/中", endpoint="test.path",
                      query=(("q", "1/2"),), auth=NO_AUTH)
    assert _request_lines(make_transport, request) == [
        b"GET /p/a%20b/%E4%B8%AD?q=1%2F2 HTTP/1.1"]


# -- aiohttp never resends by itself -------------------------------------------------------------

KEEP_ALIVE_OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
                 b"\r\n" + b'{"errcode":0,"errmsg":"ok"}')


@pytest.fixture
def drops_second_request() -> Iterator[tuple[RawServer, list[int]]]:
    """Each connection: the first request answered (kept alive), the second read, then the
    connection closed without an answer (what a server restarting under a pool does)."""
    dropped: list[int] = []

    def behaviour(conn: socket.socket, request: bytes) -> None:
        conn.sendall(KEEP_ALIVE_OK)
        if read_request(conn):
            dropped.append(1)

    with RawServer(behaviour) as server:
        yield server, dropped


def _twice(session_for: Callable[[], aiohttp.ClientSession | None],
           base: str) -> list[int | str]:
    async def main() -> list[int | str]:
        session = session_for()
        transport = AiohttpTransport.for_base_url(base, session=session)
        outcomes: list[int | str] = []
        try:
            for _ in range(2):
                try:
                    outcomes.append((await transport.send(PROBE.call().request)).status)
                except ReadError as exc:
                    outcomes.append(type(exc).__name__)
        finally:
            await transport.aclose()
            if session is not None:
                await session.close()
        return outcomes

    return asyncio.run(main())


@pytest.mark.parametrize("switch", [True, False], ids=["aiohttp's switch", "middleware"])
def test_a_dropped_keep_alive_get_is_reported_not_resent(
        drops_second_request: tuple[RawServer, list[int]], switch: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A session made by the transport does not resend, by aiohttp's own switch where it
    has one and by the middleware where it has not."""
    assert aiohttp_transport.RESEND_SWITCH  # the installed aiohttp has it: the default path
    monkeypatch.setattr(aiohttp_transport, "RESEND_SWITCH", switch)
    server, dropped = drops_second_request
    assert _twice(lambda: None, server.base_url) == [200, "ReadError"]
    assert server.arrivals == 1 and dropped == [1]  # the dropped GET was not sent again


def test_the_middleware_does_the_same_for_a_users_session(
        drops_second_request: tuple[RawServer, list[int]]) -> None:
    server, dropped = drops_second_request
    assert _twice(lambda: aiohttp.ClientSession(middlewares=(no_silent_resend,)),
                  server.base_url) == [200, "ReadError"]
    assert server.arrivals == 1


def test_aiohttp_itself_still_resends_which_is_why_the_middleware_exists(
        drops_second_request: tuple[RawServer, list[int]]) -> None:
    """If this fails, aiohttp stopped resending a dropped GET by itself (or changed how):
    revisit ``no_silent_resend`` and docs/async.md."""
    server, dropped = drops_second_request
    assert _twice(aiohttp.ClientSession, server.base_url) == [200, 200]
    assert server.arrivals == 2 and dropped == [1]  # resent on a new connection, answered
