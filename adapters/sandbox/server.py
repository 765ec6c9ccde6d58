"""The sandbox over real loopback HTTP, for integration, concurrency and fault tests.

:class:`SandboxServer` serves a :class:`WeChatSandbox` with the standard library's threading
HTTP server (HTTP/1.1, keep-alive) on 127.0.0.1 and a free port. Besides WeChat's own paths it
answers a few control paths under ``/sandbox/`` so that a program outside the test process
(a Mini Program back end under development, say) can mint codes and inject faults:

=====================  ======================================================
``POST /sandbox/login_code``  ``{"user": "alice"}`` -> ``{"code": "..."}``
``POST /sandbox/phone_code``  ``{"phone": "13800138000"}`` -> ``{"code": "..."}``
``POST /sandbox/fault``       a :class:`Fault` as JSON (``kind``, ``times``, ``path``, ...)
``POST /sandbox/revoke``      ``{"appid": "..."}``: cut that app's tokens short
``GET /sandbox/stats``        requests counted per path
=====================  ======================================================
"""

from __future__ import annotations

import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import msgspec

from wxcore.http import Response

from wxcore.adapters.httpserver import BackgroundServer, QuietThreadingServer
from wxcore.adapters.sandbox import miniprogram
from wxcore.adapters.sandbox.core import Fault, NetworkFault, WeChatSandbox, json_response

__all__ = ["SandboxServer"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Answers are small: send them at once instead of waiting for a delayed ACK (~40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read counters
        pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self) -> None:
        body = self._read_body()
        sandbox = self.server.sandbox
        if self.path.startswith("/sandbox/"):
            response = _control(sandbox, self.command, self.path, body)
        else:
            try:
                response = sandbox.handle(self.command, self.path, body,
                                          {k.lower(): v for k, v in self.headers.items()},
                                          pause=time.sleep)
            except NetworkFault:
                # Abort with RST: the client sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = _answer
    do_POST = _answer


def _control(sandbox: WeChatSandbox, method: str, path: str, body: bytes) -> Response:
    args: dict[str, Any] = msgspec.json.decode(body) if body else {}
    name = path.partition("?")[0]
    if name == "/sandbox/login_code":
        return json_response({"code": miniprogram.login_code(sandbox, args.get("user", "alice"),
                                                             args.get("appid"))})
    if name == "/sandbox/phone_code":
        return json_response({"code": miniprogram.phone_code(
            sandbox, args.get("phone", "13800138000"), args.get("country_code", "86"),
            args.get("appid"))})
    if name == "/sandbox/fault":
        sandbox.inject(Fault(**args))
        return json_response({"ok": True})
    if name == "/sandbox/revoke":
        return json_response({"revoked": sandbox.revoke_tokens(
            args.get("appid", sandbox.default_app.appid))})
    if name == "/sandbox/stats":
        return json_response({"calls": dict(sandbox.calls)})
    return Response(status=404, body=b"unknown control path")


class _Server(QuietThreadingServer):
    sandbox: WeChatSandbox


class SandboxServer(BackgroundServer):
    """Serves ``sandbox`` on ``host:port`` (port 0: a free one) in a background thread.

    Use as a context manager; :attr:`base_url` is what to give
    ``Urllib3Transport.for_base_url``.
    """

    thread_name = "wxcore-sandbox"

    def __init__(self, sandbox: WeChatSandbox | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.sandbox = sandbox if sandbox is not None else WeChatSandbox()
        server = _Server((host, port), _Handler)
        server.sandbox = self.sandbox
        super().__init__(server)
