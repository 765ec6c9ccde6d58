"""The urllib3 transport and the retrying wrapper over real loopback sockets (the error
tree, timeouts and fail-over every transport shares: ``test_transport_errors.py``)."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest
import urllib3
from netkit import ForwardingProxy, RawServer, answer, break_tls, half_answer

from wxcore.endpoint import Endpoint, WxResult
from wxcore.errors import ConnectError, ReadError, ReadTimeoutError
from wxcore.http import NO_AUTH, Request
from wxcore.multipart import File

from wxcore.adapters.retry import RetryingTransport, RetryPolicy
from wxcore.adapters.sandbox import Fault, SandboxServer
from wxcore.adapters.sandbox.core import ROUTES, route
from wxcore.adapters.transport import Urllib3Transport


class Echo(WxResult, kw_only=True):
    size: int


UPLOAD = Endpoint("test.upload", "POST", "/test/upload", Echo, auth=NO_AUTH, idempotent=True)


@pytest.fixture
def upload_route() -> Iterator[None]:
    @route("POST", "/test/upload", auth="none")
    def _upload(sb, req):  # type: ignore[no-untyped-def]
        return {"errcode": 0, "errmsg": "ok", "size": len(req.body)}

    yield
    ROUTES.pop(("POST", "/test/upload"))


def test_retried_upload_arrives_intact(sandbox_server: SandboxServer, upload_route: None) -> None:
    sandbox = sandbox_server.sandbox
    sandbox.inject(Fault("reset", path="/test/upload"))
    waits: list[float] = []
    transport = RetryingTransport(Urllib3Transport.for_base_url(sandbox_server.base_url),
                                  sleep=waits.append)
    content = bytes(range(256)) * 300
    call = UPLOAD.call(files={"img": File("photo.jpg", content, "image/jpeg")})
    result = call.parse(transport.send(call.request))
    assert result.size == len(call.request.body)
    bodies = [r.body for r in sandbox.requests if r.path == "/test/upload"]
    assert len(bodies) == 2 and bodies[0] == bodies[1] == call.request.body
    assert len(waits) == 1


def test_server_that_closes_mid_answer_is_not_retried_for_non_idempotent_requests() -> None:
    with RawServer(half_answer) as server:
        transport = RetryingTransport(Urllib3Transport.for_base_url(server.base_url),
                                      sleep=lambda s: None)
        post = Endpoint("test.post", "POST", "/x", Echo, auth=NO_AUTH)
        with pytest.raises(ReadError):
            transport.send(post.call(json={}).request)
        assert server.arrivals == 1


def test_sandbox_gateway_errors_are_retried_for_idempotent_requests(
    sandbox_server: SandboxServer, upload_route: None
) -> None:
    sandbox_server.sandbox.inject(Fault("status", status=502, times=2, path="/test/upload"))
    waits: list[float] = []
    transport = RetryingTransport(Urllib3Transport.for_base_url(sandbox_server.base_url),
                                  RetryPolicy(max_attempts=3, jitter=0.0), sleep=waits.append)
    response = transport.send(UPLOAD.call(json={}).request)
    assert response.status == 200
    assert waits == [0.2, 0.4]


def test_tls_verification_is_on_by_default() -> None:
    transport = Urllib3Transport()
    assert transport._pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"
    assert transport.timeout.connect_timeout == 5.0 and transport.timeout.read_timeout == 15.0



# -- what may be resent: decided by whether the request left, not by the exception's type --

POST = Endpoint("test.post", "POST", "/cgi-bin/message/subscribe/send", Echo, auth=NO_AUTH)
GET = Endpoint("test.get", "GET", "/cgi-bin/get", Echo, auth=NO_AUTH, idempotent=True)


def _retrying(bases: list[str], ca_certs: str | None = None, **policy: object) -> RetryingTransport:
    inner = Urllib3Transport(base_urls={"api.weixin.qq.com": bases}, ca_certs=ca_certs,
                             proxy=False, timeout=5.0)
    return RetryingTransport(inner, RetryPolicy(jitter=0.0, **policy),  # type: ignore[arg-type]
                             sleep=lambda s: None)


def test_a_tls_error_while_reading_the_answer_never_resends_a_post(
        tls_pair: tuple[str, str]) -> None:
    with RawServer(break_tls, tls=tls_pair) as server:
        transport = _retrying([server.base_url, server.base_url], ca_certs=tls_pair[0])
        with pytest.raises(ReadError) as info:
            transport.send(POST.call(json={"touser": "o1"}).request)
        assert not isinstance(info.value, ConnectError)
        assert server.arrivals == 1  # not 3 (retries), not 6 (retries x fail-over)


def test_a_tls_error_while_reading_is_retried_for_idempotent_requests_without_fail_over(
        tls_pair: tuple[str, str]) -> None:
    with RawServer(break_tls, tls=tls_pair) as server, RawServer(answer()) as spare:
        transport = _retrying([server.base_url, spare.base_url], ca_certs=tls_pair[0])
        with pytest.raises(ReadError):
            transport.send(GET.call().request)
        assert server.arrivals == 3 and spare.arrivals == 0


def test_a_failed_tls_handshake_is_a_connect_error_and_fails_over(
        tls_pair: tuple[str, str]) -> None:
    # No ca_certs: the self-signed certificate is not trusted, the handshake fails.
    with RawServer(answer(), tls=tls_pair) as untrusted, RawServer(answer()) as good:
        transport = _retrying([untrusted.base_url, good.base_url])
        assert transport.send(POST.call(json={}).request).status == 200
        assert untrusted.connections >= 1 and untrusted.arrivals == 0
        assert good.arrivals == 1


def test_a_reset_after_the_request_was_read_never_resends_a_post() -> None:
    def reset(conn: socket.socket, request: bytes) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with RawServer(reset) as server:
        transport = _retrying([server.base_url, server.base_url])
        with pytest.raises(ReadError):
            transport.send(POST.call(json={}).request)
        assert server.arrivals == 1


def test_a_redirect_is_returned_not_followed() -> None:
    with RawServer(answer()) as elsewhere:
        moved = answer(302, b"", {"Location": elsewhere.base_url + "/cgi-bin/get"})
        with RawServer(moved) as server:
            transport = Urllib3Transport.for_base_url(server.base_url, proxy=False)
            response = transport.send(GET.call().request)
            assert response.status == 302 and response.headers["location"].startswith(
                elsewhere.base_url)
            assert server.arrivals == 1 and elsewhere.arrivals == 0


def test_a_base_url_with_a_path_prefixes_every_request_line() -> None:
    lines: list[bytes] = []

    def record(conn: socket.socket, request: bytes) -> None:
        lines.append(request.split(b"\r\n", 1)[0])
        answer()(conn, request)

    with RawServer(record) as server:
        transport = Urllib3Transport.for_base_url(server.base_url + "/gateway/", proxy=False)
        transport.send(GET.call(query={"a": "1"}).request)
        transport.send(GET.call().request)
    assert lines == [b"GET /gateway/cgi-bin/get?a=1 HTTP/1.1", b"GET /gateway/cgi-bin/get HTTP/1.1"]


def test_more_hosts_than_urllib3_keeps_pools_for_are_all_still_reached() -> None:
    # urllib3's pool manager closes the least recently used of more than 10 pools; the
    # transport must not keep sending to a pool it closed
    servers = [RawServer(answer()) for _ in range(12)]
    try:
        transport = Urllib3Transport(
            base_urls={f"h{i}.example": [s.base_url] for i, s in enumerate(servers)},
            proxy=False)
        for _ in range(2):
            for i in range(12):
                request = Request(method="GET", path="/x", endpoint="t", host=f"h{i}.example")
                assert transport.send(request).status == 200
        assert [s.arrivals for s in servers] == [2] * 12
        transport.close()  # closes every pool; the next send opens new ones
        assert transport.send(request).status == 200 and servers[-1].arrivals == 3
    finally:
        for s in servers:
            s.close()


def test_timeouts_are_cut_only_when_the_deadline_is_nearer_than_they_reach() -> None:
    transport = Urllib3Transport(timeout=urllib3.Timeout(connect=2.0, read=3.0))
    assert transport._timeout(None) is transport.timeout
    assert transport._timeout(5.0) is transport.timeout  # connect + read fit: nothing to cut
    cut = transport._timeout(4.0)
    assert (cut.total, cut.connect_timeout, cut.read_timeout) == (4.0, 2.0, 3.0)
    assert transport.timeout.total is None  # the transport's own timeout is not changed


def test_a_float_timeout_is_the_connect_and_the_read_timeout() -> None:
    transport = Urllib3Transport(timeout=1.5)
    assert transport.timeout.connect_timeout == 1.5 and transport.timeout.read_timeout == 1.5


def test_the_deadline_bounds_one_send_with_its_retries() -> None:
    def silent(conn: socket.socket, request: bytes) -> None:
        time.sleep(3)

    with RawServer(silent) as server:
        transport = _retrying([server.base_url], max_attempts=10, deadline=0.5)
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            transport.send(GET.call().request)
        # The 5 s read timeout was cut to the deadline, and no retry was started after it.
        assert time.monotonic() - started < 2.5
        assert server.arrivals == 1


# -- proxies from the environment, or an explicit one ----------------------------------------

def test_http_proxy_from_the_environment_is_used(
        proxy: ForwardingProxy, no_proxy_env: pytest.MonkeyPatch,
        sandbox_server: SandboxServer) -> None:
    no_proxy_env.setenv("HTTP_PROXY", proxy.base_url)
    transport = Urllib3Transport.for_base_url(sandbox_server.base_url)
    assert transport.send(GET.call().request).status == 404  # the sandbox answered, via proxy
    assert proxy.forwarded == [sandbox_server.base_url + "/cgi-bin/get"]
    assert transport.proxy_for("https://api.weixin.qq.com/x") is None  # no HTTPS_PROXY set


def test_no_proxy_bypasses_the_environment_proxy(
        proxy: ForwardingProxy, no_proxy_env: pytest.MonkeyPatch,
        sandbox_server: SandboxServer) -> None:
    no_proxy_env.setenv("http_proxy", proxy.base_url)
    no_proxy_env.setenv("no_proxy", "localhost,127.0.0.1")
    transport = Urllib3Transport.for_base_url(sandbox_server.base_url)
    assert transport.send(GET.call().request).status == 404
    assert proxy.forwarded == [] and sandbox_server.sandbox.calls["/cgi-bin/get"] == 1


def test_an_explicit_proxy_wins_and_false_means_none(
        proxy: ForwardingProxy, no_proxy_env: pytest.MonkeyPatch,
        sandbox_server: SandboxServer) -> None:
    no_proxy_env.setenv("NO_PROXY", "*")
    explicit = Urllib3Transport.for_base_url(sandbox_server.base_url, proxy=proxy.base_url)
    explicit.send(GET.call().request)
    assert len(proxy.forwarded) == 1
    no_proxy_env.setenv("HTTP_PROXY", proxy.base_url)
    no_proxy_env.delenv("NO_PROXY")
    direct = Urllib3Transport.for_base_url(sandbox_server.base_url, proxy=False)
    direct.send(GET.call().request)
    assert len(proxy.forwarded) == 1 and sandbox_server.sandbox.calls["/cgi-bin/get"] == 2


def test_https_proxy_from_the_environment_tunnels_tls(
        proxy: ForwardingProxy, no_proxy_env: pytest.MonkeyPatch,
        tls_pair: tuple[str, str]) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", proxy.base_url)
    with RawServer(answer(), tls=tls_pair) as server:
        transport = Urllib3Transport.for_base_url(server.base_url, ca_certs=tls_pair[0])
        assert transport.send(POST.call(json={}).request).status == 200
        assert proxy.forwarded == [f"CONNECT 127.0.0.1:{server.port}"]
        assert server.arrivals == 1
        # Through the tunnel, an untrusted certificate is still a handshake (connect) failure.
        untrusted = RetryingTransport(Urllib3Transport.for_base_url(server.base_url),
                                      RetryPolicy(max_attempts=2, jitter=0.0),
                                      sleep=lambda s: None)
        with pytest.raises(ConnectError):
            untrusted.send(POST.call(json={}).request)
        assert server.arrivals == 1
