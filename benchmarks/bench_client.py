"""Throughput of one WeChat call through wxcore, beside hand-written baselines.

Run by hand (numbers from a shared machine are noisy; the ratios are what matter, and each is
measured within one run):

    python benchmarks/bench_client.py

1. Loopback: calls per second through ``MiniProgram`` + ``Urllib3Transport`` (+ retries)
   against a minimal keep-alive HTTP server in another process, beside raw urllib3 + json
   making the same request. Target: wxcore >= 90% of raw urllib3.
2. In-process: the cost of one call through the client with a transport answering from
   memory, beside a hand-written floor (build the URL, one msgspec decode).
   Target: wxcore >= 50% of the floor's calls per second.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
from urllib.parse import urlencode

import msgspec
import urllib3

from wxcore.http import Request, Response
from wxcore.tokens import TicketResult, fetch_ticket

from wxcore.adapters.client import Client
from wxcore.adapters.transport import Urllib3Transport

from timing import best_rate

BODY = b'{"errcode":0,"errmsg":"ok","ticket":"HoagFKDcsGMVCIY2vOjf9nGrTm","expires_in":7200}'
TOKEN = "81_" + "T" * 120
APPID = "wx1234567890abcdef"


def _serve(port_queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """A minimal HTTP/1.1 keep-alive server: one canned JSON answer to every request."""
    import threading

    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
              + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port_queue.put(listener.getsockname()[1])

    def handle(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    conn.close()
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            while len(buffer) < length:
                buffer += conn.recv(65536)
            buffer = buffer[length:]
            conn.sendall(answer)

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def bench_loopback() -> tuple[float, float]:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{queue.get(timeout=10)}"
    try:
        pool = urllib3.PoolManager(maxsize=4)
        url = f"{base}/cgi-bin/ticket/getticket?" + urlencode({"type": "jsapi", "access_token": TOKEN})

        def raw() -> object:
            return json.loads(pool.request("GET", url, retries=False).data)["ticket"]

        client = Client(APPID, transport=Urllib3Transport.for_base_url(base))
        client.set_access_token(TOKEN)
        call = fetch_ticket("jsapi")

        def wx() -> object:
            return client.call(call).ticket

        # Interleave to share the machine's noise fairly; keep the best of each.
        raw_rate = wx_rate = 0.0
        for _ in range(3):
            raw_rate = max(raw_rate, best_rate(raw, 1.0, slices=2))
            wx_rate = max(wx_rate, best_rate(wx, 1.0, slices=2))
        return raw_rate, wx_rate
    finally:
        server.terminate()


class MemoryTransport:
    def __init__(self, response: Response) -> None:
        self.response = response

    def send(self, request: Request) -> Response:
        request.target  # a real transport builds the target; so does this one
        return self.response

    def close(self) -> None:
        pass


def bench_in_process() -> tuple[float, float]:
    decoder = msgspec.json.Decoder(TicketResult)
    base = "https://api.weixin.qq.com/cgi-bin/ticket/getticket?"

    def floor() -> object:
        url = base + urlencode({"type": "jsapi", "access_token": TOKEN})
        assert url
        return decoder.decode(BODY).ticket

    client = Client(APPID, transport=MemoryTransport(Response(status=200, body=BODY)))
    client.set_access_token(TOKEN)

    def wx() -> object:
        return client.call(fetch_ticket("jsapi")).ticket

    floor_rate = wx_rate = 0.0
    for _ in range(3):
        floor_rate = max(floor_rate, best_rate(floor, 0.5, slices=2))
        wx_rate = max(wx_rate, best_rate(wx, 0.5, slices=2))
    return floor_rate, wx_rate


def main() -> None:
    floor_rate, wx_rate = bench_in_process()
    print("in-process (transport answers from memory)")
    print(f"  floor (URL + one msgspec decode) {floor_rate:12,.0f} calls/s")
    print(f"  wxcore Client.call              {wx_rate:12,.0f} calls/s")
    print(f"  ratio {wx_rate / floor_rate:.2f} of the floor (target >= 0.50)")
    raw_rate, wx_rate = bench_loopback()
    print("loopback HTTP (minimal keep-alive server in another process)")
    print(f"  raw urllib3 + json              {raw_rate:12,.0f} calls/s")
    print(f"  wxcore client + urllib3         {wx_rate:12,.0f} calls/s")
    print(f"  ratio {wx_rate / raw_rate:.2f} of raw urllib3 (target >= 0.90)")


if __name__ == "__main__":
    main()
