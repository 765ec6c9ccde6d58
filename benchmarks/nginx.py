"""A compiled loopback HTTP server for the loopback benchmarks: Debian's nginx.

nginx answers every request with one canned JSON body (``return 200``) on a free loopback
port, from a config in a temporary directory, started and stopped by the benchmark. It
answers tens of thousands of requests per second on one core, so the client is what is
measured. Without nginx on PATH (``apt-get install nginx-light``), the benchmark falls back
to the minimal Python server in :mod:`bench_client` and says so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from timing import wait_listening

CONFIG = """daemon off;
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {{
        listen 127.0.0.1:{port} reuseport;
        location / {{
            default_type application/json;
            return 200 '{body}';
        }}
    }}
}}
"""


def binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def version() -> str:
    nginx = binary()
    if nginx is None:
        return "none"
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    return out.strip().split("/")[-1]


@contextmanager
def nginx_server(body: bytes) -> Iterator[str]:
    """The base URL of an nginx answering ``body`` to every request, for the block's length."""
    nginx = binary()
    if nginx is None:
        raise RuntimeError("nginx not found (apt-get install nginx-light)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="wxcore-bench-nginx-")
    conf = Path(workdir, "nginx.conf")
    conf.write_text(CONFIG.format(dir=workdir, port=port, body=body.decode()))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc, "nginx")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
