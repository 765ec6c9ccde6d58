"""The urllib3 transport and the retrying wrapper over real loopback sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from wxcore.endpoint import Endpoint, WxResult
from wxcore.errors import ConnectError, ReadError, ReadTimeoutError
from wxcore.http import NO_AUTH
from wxcore.multipart import File

from wxcore.adapters.retry import RetryingTransport, RetryPolicy
from wxcore.adapters.sandbox import Fault, SandboxServer
from wxcore.adapters.sandbox.core import ROUTES, route
from wxcore.adapters.transport import Urllib3Transport
from tests.conftest import free_port


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


def test_refused_connection_is_a_connect_error_without_secrets() -> None:
    transport = Urllib3Transport.for_base_url(f"http://127.0.0.1:{free_port()}")
    call = UPLOAD.call(query={"access_token": "SECRET_TOKEN"})
    with pytest.raises(ConnectError) as info:
        transport.send(call.request)
    assert "SECRET_TOKEN" not in str(info.value) and "SECRET_TOKEN" not in info.value.url
    assert info.value.__cause__ is None


def test_dead_primary_host_fails_over_and_stays_on_the_good_one(
    sandbox_server: SandboxServer,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    transport = Urllib3Transport(base_urls={"api.weixin.qq.com": [dead, sandbox_server.base_url]})
    request = UPLOAD.call().request
    assert transport.send(request).status == 404  # reached the sandbox (no such route)
    assert transport.send(request).status == 404
    assert sandbox_server.sandbox.calls["/test/upload"] == 2


def test_slow_answer_is_a_read_timeout(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.inject(Fault("slow", delay=1.0))
    transport = Urllib3Transport.for_base_url(sandbox_server.base_url, timeout=0.2)
    with pytest.raises(ReadTimeoutError):
        transport.send(UPLOAD.call().request)


def test_reset_connection_is_a_read_error(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.inject(Fault("reset"))
    transport = Urllib3Transport.for_base_url(sandbox_server.base_url)
    with pytest.raises(ReadError):
        transport.send(UPLOAD.call().request)


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
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[int] = []

    def serve() -> None:
        for _ in range(2):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    transport = RetryingTransport(Urllib3Transport.for_base_url(f"http://127.0.0.1:{port}"),
                                  sleep=lambda s: None)
    post = Endpoint("test.post", "POST", "/x", Echo, auth=NO_AUTH)
    with pytest.raises(ReadError):
        transport.send(post.call(json={}).request)
    listener.close()
    thread.join(timeout=2)
    assert accepted == [1]


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

