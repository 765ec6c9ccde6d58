"""HTTP servers run in the background: the pieces shared by wxcore's servers.

The sandbox serves the standard library's ``ThreadingHTTPServer`` on a loopback port, the
token service a WSGI application on :class:`PooledWSGIServer` (a bounded pool of workers,
socket timeouts); :class:`BackgroundServer` gives both one way to start, stop, find their
port and be used as a context manager, and :class:`NoDelay` is how their handlers turn off
Nagle's algorithm.
"""

from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import HTTPServer, ThreadingHTTPServer
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

__all__ = ["BackgroundServer", "QuietThreadingServer", "NoDelay", "PooledWSGIServer"]

logger = logging.getLogger("wxcore.httpserver")


class NoDelay:
    """Request-handler mix-in (put it first among the bases): TCP_NODELAY on every connection.

    The handlers write the status and headers, then the body; with Nagle's algorithm on, the
    body waits for the client's delayed ACK of the first write (~40 ms a request on Linux).
    ``socketserver.StreamRequestHandler`` sets the option when this attribute is true.
    """

    disable_nagle_algorithm = True

_S = TypeVar("_S", bound="BackgroundServer")


class QuietThreadingServer(ThreadingHTTPServer):
    """Daemon request threads, address reuse, and a listen backlog large enough for the
    stampede tests (the default of 5 resets connections when 128 clients arrive at once)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class BackgroundServer:
    """Runs ``server`` in a daemon thread between :meth:`start` and :meth:`stop` (or in the
    calling thread with :meth:`serve_forever`)."""

    thread_name = "wxcore-server"

    def __init__(self, server: HTTPServer) -> None:
        self._server = server
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.port}"

    def start(self: _S) -> _S:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.serve_forever(poll_interval=0.5)

    def stop(self) -> None:
        """Stop a server started with :meth:`start` and close its socket."""
        self._server.shutdown()
        self.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def close(self) -> None:
        """Close the listening socket (after :meth:`serve_forever` returned)."""
        self._server.server_close()

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _PooledHandler(NoDelay, WSGIRequestHandler):
    server: PooledWSGIServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.socket_timeout)  # every read and write

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class PooledWSGIServer(WSGIServer):
    """Serves a WSGI application with at most ``workers`` threads.

    Up to ``waiting`` further connections queue for a worker; beyond that a connection is
    answered ``503`` at once and closed, so a flood of clients costs sockets, not threads.
    Every connection has ``socket_timeout``: a client that sends half a request (or nothing)
    is dropped after that many seconds instead of holding a worker forever. One request per
    connection (HTTP/1.0 answers), as the standard library's WSGI server does.
    """

    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], *, workers: int = 16, waiting: int = 64,
                 socket_timeout: float = 10.0) -> None:
        if workers < 1 or waiting < 0 or socket_timeout <= 0:
            raise ValueError("workers >= 1, waiting >= 0 and socket_timeout > 0 are required")
        self.socket_timeout = socket_timeout
        self.workers = workers
        self._slots = threading.BoundedSemaphore(workers + waiting)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="wxcore-worker")
        super().__init__(address, _PooledHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (socket.getfqdn), which can take
        # seconds with a slow resolver; the address is all the WSGI environ needs.
        self.socket.bind(self.server_address)
        host, port = self.socket.getsockname()[:2]
        self.server_address = (host, port)
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        self._pool.submit(self._work, request, client_address)

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError as exc:  # a timed-out or vanished client: routine, not an error
            logger.debug("connection from %s ended: %s", client_address, exc)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        logger.warning("token-server: all %d workers busy and the queue full; refused a "
                       "connection", self.workers)
        body = b'{"error": "server busy"}'
        try:
            request.settimeout(1.0)
            request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: "
                            b"application/json\r\nRetry-After: 1\r\nContent-Length: "
                            + str(len(body)).encode() + b"\r\n\r\n" + body)
        except OSError:
            pass
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("token-server: error while serving %s", client_address)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)
