"""Throughput of one WeChat call through wxcore, beside hand-written baselines.

Run by hand (numbers from a shared machine are noisy; the ratios are what matter, and each is
measured within one run):

    python benchmarks/bench_client.py [--instructions]

1. Loopback: calls per second through ``MiniProgram`` + ``Urllib3Transport`` (+ retries)
   against a minimal keep-alive HTTP server in another process, beside raw urllib3 + json
   making the same request. Target: wxcore >= 90% of raw urllib3.
2. In-process: the cost of one call through the facade with a transport answering from
   memory, beside hand-written floors (build the URL, JSON-encode a body, one msgspec
   decode): a GET with a query (target >= 0.8 of the floor) and a POST with a JSON body
   (target >= 0.6), as the median and spread of paired rounds. ``--instructions`` also
   gives the ratios of instructions per call under callgrind (instructions.py, the same
   counting as ``run.py --instructions``), which stay steady when the machine is busy.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import statistics
import sys
from collections.abc import Callable
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


def _serve(port_queue: multiprocessing.Queue[int]) -> None:
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
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
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


PHONE_BODY = (b'{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"+8613123456789",'
              b'"purePhoneNumber":"13123456789","countryCode":"86","watermark":'
              b'{"timestamp":1637744274,"appid":"wx1234567890abcdef"}}}')
UNIONID_BODY = b'{"errcode":0,"errmsg":"ok","unionid":"oTmHYjg-tElZ68xxxxxxxxhy1Rgk"}'
OPENID = "oGZUI0egBJY1zhBYw2KhdUfwVJJE"


def in_process_cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """name -> (floor, wxcore): one call each, the transport answering from memory.

    * ``get``: ``get_paid_unionid(openid, transaction_id)``, a GET with a query (like
      user/info); floor: urlencode the query and the token, one msgspec decode.
    * ``post_json``: ``get_phone_number(code)``; floor: urlencode the token, JSON-encode the
      body, one msgspec decode.
    """
    from wxcore.adapters.miniprogram import MiniProgram
    from wxcore.miniprogram.login import PaidUnionidResult, PhoneNumberResult

    def client(body: bytes) -> MiniProgram:
        mp = MiniProgram(APPID, transport=MemoryTransport(Response(status=200, body=body)),
                         retry=None)
        mp.set_access_token(TOKEN)
        return mp

    get_mp, post_mp = client(UNIONID_BODY), client(PHONE_BODY)
    unionid = msgspec.json.Decoder(PaidUnionidResult)
    phone = msgspec.json.Decoder(PhoneNumberResult)
    encode = msgspec.json.Encoder().encode
    get_base = "https://api.weixin.qq.com/wxa/getpaidunionid?"
    post_base = "https://api.weixin.qq.com/wxa/business/getuserphonenumber?"

    def get_floor() -> object:
        url = get_base + urlencode({"openid": OPENID, "transaction_id": "4200001",
                                    "access_token": TOKEN})
        assert url
        return unionid.decode(UNIONID_BODY).unionid

    def post_floor() -> object:
        url = post_base + urlencode({"access_token": TOKEN})
        assert url and encode({"code": "abc123"})
        return phone.decode(PHONE_BODY).phone_info

    return {
        "get": (get_floor, lambda: get_mp.get_paid_unionid(OPENID, "4200001").unionid),
        "post_json": (post_floor, lambda: post_mp.get_phone_number("abc123").phone_info),
    }


def bench_in_process(rounds: int = 7) -> dict[str, list[float]]:
    """Per case, the wxcore/floor ratio of each paired round (order alternating)."""
    ratios: dict[str, list[float]] = {}
    for name, (floor, wx) in in_process_cases().items():
        for index in range(rounds):
            first, second = (floor, wx) if index % 2 == 0 else (wx, floor)
            a, b = best_rate(first, 0.2, warmup=200), best_rate(second, 0.2, warmup=200)
            floor_rate, wx_rate = (a, b) if index % 2 == 0 else (b, a)
            ratios.setdefault(name, []).append(wx_rate / floor_rate)
    return ratios


def instruction_ratios(calls: int = 2000) -> dict[str, float]:
    """Per case, wxcore's calls per instruction over the floor's (instructions.py)."""
    import instructions

    return {case: instructions.ratio(("sides:side", (case, "wxcore")),
                                     ("sides:side", (case, "floor")), calls)
            for case in in_process_cases()}


def main() -> None:
    targets = {"get": 0.8, "post_json": 0.6}
    print("in-process (transport answers from memory): wxcore calls/s over the floor's")
    for name, ratios in bench_in_process().items():
        print(f"  {name:10s} median {statistics.median(ratios):.2f}  "
              f"(spread {min(ratios):.2f}-{max(ratios):.2f}; target >= {targets[name]})")
    if "--instructions" in sys.argv:
        print("in-process, instructions per call (callgrind; steady on a busy machine)")
        for name, ratio in instruction_ratios().items():
            print(f"  {name:10s} {ratio:.2f} of the floor's (target >= {targets[name]})")
    raw_rate, wx_rate = bench_loopback()
    print("loopback HTTP (minimal keep-alive server in another process)")
    print(f"  raw urllib3 + json              {raw_rate:12,.0f} calls/s")
    print(f"  wxcore client + urllib3         {wx_rate:12,.0f} calls/s")
    print(f"  ratio {wx_rate / raw_rate:.2f} of raw urllib3 (target >= 0.90)")


if __name__ == "__main__":
    main()
