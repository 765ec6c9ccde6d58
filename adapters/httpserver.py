"""A threading HTTP server run in the background: the lifecycle shared by wxcore's servers.

The sandbox and the token service both serve the standard library's ``ThreadingHTTPServer``
on a loopback port; :class:`BackgroundServer` gives them one way to start, stop, find their
port and be used as a context manager.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import TypeVar

__all__ = ["BackgroundServer", "QuietThreadingServer"]

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

    def __init__(self, server: ThreadingHTTPServer) -> None:
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
