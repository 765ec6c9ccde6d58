"""wechatpy 1.8.18 doing the same work as wxcore's cases, for the comparison table.

Each function returns a zero-argument callable (one message, one call, ...) or a figure, so
:mod:`run` can time it beside wxcore in paired rounds. wechatpy is the ``bench`` extra;
:func:`available` says why it cannot be used when it is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

API_HOST = "https://api.weixin.qq.com"


def available() -> str | None:
    """None when wechatpy imports, else why not (the row is then skipped with that reason)."""
    try:
        import wechatpy  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the extra
        return f"wechatpy not installed (pip install -e '.[bench]'): {exc}"
    return None


def pipeline(token: str, aes_key: str, appid: str, query: dict[str, str],
             body: bytes) -> Callable[[], object]:
    """verify + decrypt + parse + reply + encrypt with wechatpy's WeChatCrypto (no routing:
    wechatpy has none, so the reply is made directly; that favours wechatpy slightly)."""
    from wechatpy import create_reply, parse_message
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(token, aes_key, appid)
    text = body.decode()

    def handle() -> object:
        plain = crypto.decrypt_message(text, query["msg_signature"], query["timestamp"],
                                       query["nonce"])
        message = parse_message(plain)
        reply = create_reply(f"you said: {message.content}", message)
        return crypto.encrypt_message(reply.render(), query["nonce"], query["timestamp"])

    return handle


def parse(push: bytes) -> Callable[[], object]:
    from wechatpy import parse_message

    text = push.decode()
    return lambda: parse_message(text)


def _answering_session(body: bytes) -> Any:
    """A ``requests.Session`` whose transport adapter answers ``body`` from memory: the same
    cut as wxcore's in-memory transport (everything above the wire still runs)."""
    import requests
    from requests.adapters import BaseAdapter

    class Answer(BaseAdapter):
        # requests' own send options (stream, timeout, ...), unused here
        def send(self, request: requests.PreparedRequest, *args: Any,
                 **kwargs: Any) -> requests.Response:
            response = requests.Response()
            response.status_code = 200
            response._content = body
            response.encoding = "utf-8"
            response.request = request
            response.url = request.url or ""
            return response

        def close(self) -> None:
            pass

    session = requests.Session()
    session.mount("https://", Answer())
    return session


def in_process(appid: str, token: str, unionid_body: bytes,
               phone_body: bytes) -> dict[str, Callable[[], object]]:
    """The two in-process cases through ``WeChatClient.get``/``post`` (what its API classes
    call), the HTTP session answering from memory."""
    from wechatpy import WeChatClient

    def client(body: bytes) -> Any:
        c = WeChatClient(appid, "secret", access_token=token)
        c._http = _answering_session(body)
        return c

    get_c, post_c = client(unionid_body), client(phone_body)
    return {
        "get": lambda: get_c.get(f"{API_HOST}/wxa/getpaidunionid", params={
            "openid": "oGZUI0egBJY1zhBYw2KhdUfwVJJE", "transaction_id": "4200001",
            "access_token": token})["unionid"],
        "post_json": lambda: post_c.post(
            f"{API_HOST}/wxa/business/getuserphonenumber",
            data={"code": "abc123"})["phone_info"],
    }


def _session_to(base_url: str) -> Any:
    """A ``requests.Session`` that sends WeChat's host to ``base_url`` (loopback)."""
    import requests

    class Redirected(requests.Session):
        # takes str URLs only (ignored: requests allows bytes); forwards the rest untouched
        def request(self, method: str, url: str,  # type: ignore[override]
                    *args: Any, **kwargs: Any) -> Any:
            return super().request(method, url.replace(API_HOST, base_url), *args, **kwargs)

    return Redirected()


def loopback_call(base_url: str, appid: str, token: str) -> Callable[[], object]:
    """One ``getticket`` GET over loopback through wechatpy's client (requests)."""
    from wechatpy import WeChatClient

    client = WeChatClient(appid, "secret", access_token=token)
    client._http = _session_to(base_url)
    return lambda: client.get("ticket/getticket", params={"type": "jsapi"})["ticket"]


def idle_client(appid: str, secret: str) -> object:
    from wechatpy import WeChatClient

    return WeChatClient(appid, secret)


def token_client(base_url: str, appid: str, secret: str, session: Any = None) -> Any:
    """A fresh wechatpy client that fetches its token from ``base_url`` (the sandbox), its
    tokens kept in ``session`` (a wechatpy session storage; None: its memory session)."""
    from wechatpy import WeChatClient

    client = WeChatClient(appid, secret, session=session)
    client._http = _session_to(base_url)
    return client
