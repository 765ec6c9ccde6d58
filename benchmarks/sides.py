"""Both sides of every row that times one call: wxcore, its floor, its peer, made in one place.

``side(case, who)`` returns a zero-argument callable doing one unit of work (a push through
the pipeline, a parse, a call). run.py times it beside its reference in paired rounds; under
``--instructions`` a callgrind child (instructions.py) makes the same callable by the same
name, so a timed figure and a counted one measure the same code.

* cases ``pipeline``, ``parse``: wxcore, ``floor`` (bench_messages.py), ``wechatpy``;
* cases ``get``, ``post_json`` (transport answering from memory): wxcore, ``floor``
  (bench_client.py), ``wechatpy``;
* case ``loopback`` (a GET to the server at ``base``): wxcore, ``raw`` (urllib3 + json),
  ``wechatpy`` (requests).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import bench_client
import bench_messages
import peers

from wxcore.messages import PushPipeline, PushSettings, parse_body

Unit = Callable[[], object]

MESSAGE_CASES = ("pipeline", "parse")
CALL_CASES = ("get", "post_json")


def _message_side(case: str, who: str) -> Unit:
    m = bench_messages
    query, body = m.build_request()
    if who == "wechatpy":
        return (peers.pipeline(m.TOKEN, m.AES_KEY, m.APPID, query, body) if case == "pipeline"
                else peers.parse(m.PUSH))
    if who == "floor":
        return ((lambda: m.floor_pipeline(query, body)) if case == "pipeline"
                else lambda: m.floor_parse(m.PUSH))
    if case == "parse":
        return lambda: parse_body(m.PUSH)
    settings = PushSettings(token=m.TOKEN, encoding_aes_key=m.AES_KEY, appid=m.APPID)
    pipeline = PushPipeline(m.make_router(), settings)
    return lambda: pipeline.handle(query, body, now=m.NOW, random_bytes=m.cheap_random)


def _call_side(case: str, who: str) -> Unit:
    c = bench_client
    if who == "wechatpy":
        return peers.in_process(c.APPID, c.TOKEN, c.UNIONID_BODY, c.PHONE_BODY)[case]
    floor, ours = c.in_process_cases()[case]
    return floor if who == "floor" else ours


def _loopback_side(who: str, base: str) -> Unit:
    c = bench_client
    if who == "wechatpy":
        return peers.loopback_call(base, c.APPID, c.TOKEN)
    if who == "raw":
        import urllib3

        pool = urllib3.PoolManager(maxsize=16)
        url = f"{base}/cgi-bin/ticket/getticket?" + urlencode(
            {"type": "jsapi", "access_token": c.TOKEN})
        return lambda: json.loads(pool.request("GET", url, retries=False).data)["ticket"]
    from wxcore.tokens import fetch_ticket

    from wxcore.adapters.client import Client
    from wxcore.adapters.transport import Urllib3Transport

    client = Client(c.APPID, transport=Urllib3Transport.for_base_url(base))
    client.set_access_token(c.TOKEN)
    call = fetch_ticket("jsapi")
    return lambda: client.call(call).ticket


def side(case: str, who: str, base: str = "") -> Unit:
    """One unit of ``case`` done by ``who`` ("wxcore", "floor", "raw" or "wechatpy")."""
    if case in MESSAGE_CASES:
        return _message_side(case, who)
    if case in CALL_CASES:
        return _call_side(case, who)
    if case == "loopback":
        return _loopback_side(who, base)
    raise ValueError(f"no case {case!r}")
