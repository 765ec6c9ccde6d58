"""Small real servers on loopback for transport tests: raw HTTP(S) and a forwarding proxy.

:class:`RawServer` accepts connections (optionally over TLS with a self-signed certificate
from :func:`self_signed`), reads each request in full, counts it, and hands the connection to
a behaviour function that answers -- or misbehaves. :class:`ForwardingProxy` is an HTTP proxy
that forwards absolute-URI requests and counts them.
"""

from __future__ import annotations

import datetime
import ipaddress
import pathlib
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wxcore.adapters.httpserver import BackgroundServer, QuietThreadingServer


def self_signed(directory: pathlib.Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, written to ``directory``: (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def read_request(conn: socket.socket) -> bytes:
    """Read one HTTP request (head and Content-Length body); b"" if the peer went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


Behaviour = Callable[[socket.socket, bytes], None]


class RawServer:
    """A loopback server: each request read in full is counted in ``arrivals``, then
    ``behaviour(conn, request)`` answers or breaks the connection (one request per
    connection). With ``tls`` (cert, key) the connection is TLS."""

    def __init__(self, behaviour: Behaviour, tls: tuple[str, str] | None = None) -> None:
        self.behaviour = behaviour
        self.arrivals = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        if tls is not None:
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(*tls)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        scheme = "https" if tls else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self.connections += 1
        try:
            if self._context is not None:
                conn.settimeout(5)
                conn = self._context.wrap_socket(conn, server_side=True)
            request = read_request(conn)
            if not request:
                return
            with self._lock:
                self.arrivals += 1
            self.behaviour(conn, request)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._listener.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def answer(status: int = 200, body: bytes = b'{"errcode":0,"errmsg":"ok"}',
           headers: dict[str, str] | None = None) -> Behaviour:
    """A behaviour sending one complete HTTP answer."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    raw = (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body

    def send(conn: socket.socket, request: bytes) -> None:
        conn.sendall(raw)

    return send


def half_answer(conn: socket.socket, request: bytes) -> None:
    """A behaviour promising a 100-byte body, sending a few bytes of it and closing: the
    answer breaks after the request arrived (so a resend could repeat what it did)."""
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')


def break_tls(conn: socket.socket, request: bytes) -> None:
    """After the TLS handshake and the request: write a forged TLS record under the TLS
    layer, so the client's read fails with a TLS error (bad record MAC)."""
    raw = socket.socket(fileno=conn.fileno())  # the same descriptor, below TLS
    try:
        raw.sendall(b"\x17\x03\x03\x00\x20" + bytes(range(32)))
    finally:
        raw.detach()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        with self.server.lock:
            self.server.forwarded.append(self.path)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "connection", "host")}
        upstream = self.server.pool.request(self.command, self.path, body=body, headers=headers,
                                            retries=False, redirect=False, timeout=5)
        self.send_response(upstream.status)
        for name, value in upstream.headers.items():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(upstream.data)))
        self.end_headers()
        self.wfile.write(upstream.data)

    do_GET = _forward
    do_POST = _forward

    def do_CONNECT(self) -> None:
        """A tunnel (for https URLs): connect upstream, say 200, then copy bytes both ways."""
        host, _, port = self.path.rpartition(":")
        with self.server.lock:
            self.server.forwarded.append(f"CONNECT {self.path}")
        upstream = socket.create_connection((host, int(port)), timeout=5)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True

        def pipe(source: socket.socket, sink: socket.socket) -> None:
            try:
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
            except OSError:
                pass
            finally:
                for sock in (source, sink):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pipe, args=(upstream, self.connection), daemon=True)
        back.start()
        pipe(self.connection, upstream)
        back.join(timeout=5)
        upstream.close()


class _ProxyServer(QuietThreadingServer):
    forwarded: list[str]
    lock: threading.Lock
    pool: urllib3.PoolManager


class ForwardingProxy(BackgroundServer):
    """An HTTP proxy on loopback: forwards absolute-URI requests (http URLs) and tunnels
    ``CONNECT`` (https URLs); ``forwarded`` lists what it carried."""

    def __init__(self) -> None:
        server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        server.forwarded = []
        server.lock = threading.Lock()
        server.pool = urllib3.PoolManager()
        self.forwarded = server.forwarded
        super().__init__(server)


class Blackhole:
    """A loopback address that never answers a connect: its listen backlog is full and it
    never accepts, so a new connection hangs until the client's connect timeout."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._filler = socket.create_connection(self._listener.getsockname(), timeout=1)

    def close(self) -> None:
        self._filler.close()
        self._listener.close()

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
