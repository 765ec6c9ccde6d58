"""The sandbox over real loopback HTTP, for integration, concurrency and fault tests.

:class:`SandboxServer` serves a :class:`WeChatSandbox` with the standard library's threading
HTTP server (HTTP/1.1, keep-alive) on 127.0.0.1 and a free port. Besides WeChat's own paths
it serves the console page at ``/`` and the JSON control API under ``/sandbox/`` (see
:mod:`wxcore.adapters.sandbox.control` and docs/sandbox.md), so that a program outside the
test process (a back end under development, a script, a person with a browser) can mint
codes, inject faults, send pushes and watch the calls.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from wxcore.http import Response

from wxcore.adapters.httpserver import BackgroundServer, NoDelay, QuietThreadingServer
from wxcore.adapters.sandbox.console import page_file
from wxcore.adapters.sandbox.control import answer_control
from wxcore.adapters.sandbox.core import NetworkFault, WeChatSandbox, json_response

__all__ = ["SandboxServer"]

logger = logging.getLogger("wxcore.sandbox")

#: The largest request body the sandbox reads (WeChat's own upload limits are lower).
MAX_BODY = 64 * 1024 * 1024


class _Handler(NoDelay, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read counters
        pass

    def _read_body(self) -> bytes | None:
        """The request body; None (after answering 400) for a bad Content-Length."""
        raw = self.headers.get("Content-Length") or "0"
        if not raw.isdigit() or int(raw) > MAX_BODY:
            self.close_connection = True
            self._send(json_response({"error": f"bad Content-Length {raw!r} "
                                               f"(at most {MAX_BODY} bytes)"}, status=400))
            return None
        return self.rfile.read(int(raw)) if int(raw) else b""

    def _answer(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            response = self._respond(body)
        except NetworkFault:
            # Abort with RST: the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        except Exception as exc:  # a sandbox bug: say so instead of dropping the connection
            logger.exception("sandbox failed on %s %s", self.command, self.path.partition("?")[0])
            response = json_response({"error": f"sandbox error: {type(exc).__name__}: {exc}"},
                                     status=500)
        self._send(response)

    def _respond(self, body: bytes) -> Response:
        page = page_file(self.path.partition("?")[0]) if self.command == "GET" else None
        if page is not None:
            return page
        if self.path.startswith("/sandbox/"):
            return answer_control(self.server.sandbox, self.command, self.path, body)
        return self.server.sandbox.handle(self.command, self.path, body,
                                          {k.lower(): v for k, v in self.headers.items()},
                                          pause=time.sleep)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = _answer
    do_POST = _answer


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
