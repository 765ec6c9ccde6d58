"""Play WeChat's side of the message server: build and POST signed (and encrypted) pushes.

Self-contained: builds push bodies in WeChat's documented shapes, signs the query as WeChat
does, encrypts in safe mode, POSTs over HTTP (standard library only) and decrypts the
encrypted reply. Used by the loopback tests and usable from the sandbox or by hand::

    settings = PushSettings(token="T", encoding_aes_key="43 chars", appid="wx...")
    sender = PushSender("http://127.0.0.1:8000/wechat", settings)   # the server's settings
    reply = sender.post(text_push("gh_account", "o_user", "hello", msg_id=1))
    reply.status, reply.plaintext          # the decrypted reply XML (or b"success")
"""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import msgspec

from wxcore.messages import PushSettings, decode_body, sha1_signature
from wxcore.messages.models import is_json
from wxcore.messages.xml import cdata

# Never route loopback pushes through an environment proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

__all__ = [
    "PushSender",
    "PushReply",
    "SignedPush",
    "text_push",
    "event_push",
    "component_push",
]


def _fields_xml(fields: dict[str, str | int]) -> str:
    return "".join(
        f"<{name}>{value}</{name}>" if isinstance(value, int) else f"<{name}>{cdata(value)}</{name}>"
        for name, value in fields.items()
    )


def text_push(to_user: str, from_user: str, content: str, *, msg_id: int,
              create_time: int | None = None) -> bytes:
    """A text message push as WeChat sends it (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html)."""
    created = int(time.time()) if create_time is None else create_time
    return ("<xml>" + _fields_xml({"ToUserName": to_user, "FromUserName": from_user,
                                   "CreateTime": created, "MsgType": "text", "Content": content,
                                   "MsgId": msg_id}) + "</xml>").encode()


def event_push(to_user: str, from_user: str, event: str, *, create_time: int | None = None,
               **extra: str | int) -> bytes:
    """An event push; ``extra`` adds fields such as ``EventKey``.

    Shape: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
    """
    created = int(time.time()) if create_time is None else create_time
    return ("<xml>" + _fields_xml({"ToUserName": to_user, "FromUserName": from_user,
                                   "CreateTime": created, "MsgType": "event", "Event": event,
                                   **extra}) + "</xml>").encode()


def component_push(component_appid: str, info_type: str, *, create_time: int | None = None,
                   **extra: str | int) -> bytes:
    """An Open Platform component push, such as ``component_verify_ticket``.

    Shape: https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/component_verify_ticket.html
    """
    created = int(time.time()) if create_time is None else create_time
    return ("<xml>" + _fields_xml({"AppId": component_appid, "CreateTime": created,
                                   "InfoType": info_type, **extra}) + "</xml>").encode()


@dataclass(frozen=True)
class SignedPush:
    """A push ready to send: the query parameters and the body."""

    query: dict[str, str]
    body: bytes
    encrypted: bool


@dataclass
class PushReply:
    """The server's answer; ``plaintext`` is the reply decrypted (or the body if plain)."""

    status: int
    body: bytes
    plaintext: bytes = b""
    signature_ok: bool | None = None  # for encrypted replies: MsgSignature verified
    headers: dict[str, str] = field(default_factory=dict)


class PushSender:
    """Signs, encrypts and POSTs pushes to one message-server URL, as WeChat would."""

    def __init__(
        self,
        url: str,
        settings: PushSettings,
        *,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.token = settings.token
        self.crypto = settings.crypto()
        self.clock = clock
        self.random_bytes = random_bytes
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"PushSender(url={self.url!r}, encrypted={self.crypto is not None})"

    def sign(self, body: bytes, *, openid: str = "", timestamp: str | None = None,
             nonce: str | None = None, envelope_id: tuple[str, str] | None = None) -> SignedPush:
        """Build the query (and, in safe mode, the encrypted envelope) for ``body``.

        ``envelope_id`` is the plaintext element beside ``Encrypt``: ``("ToUserName", gh_id)``
        for account pushes (the default, read from the body) or ``("AppId", appid)`` for
        component pushes.
        """
        timestamp = timestamp or str(int(self.clock()))
        nonce = nonce or str(int.from_bytes(self.random_bytes(4), "big"))
        query = {"signature": sha1_signature(self.token, timestamp, nonce),
                 "timestamp": timestamp, "nonce": nonce}
        if openid:
            query["openid"] = openid
        if self.crypto is None:
            return SignedPush(query, body, False)
        if envelope_id is None:
            fields = decode_body(body)
            envelope_id = (("ToUserName", str(fields["ToUserName"])) if "ToUserName" in fields
                           else ("AppId", str(fields.get("AppId", ""))))
        encrypt = self.crypto.encrypt(body, self.random_bytes(16))
        query["encrypt_type"] = "aes"
        query["msg_signature"] = self.crypto.sign(timestamp, nonce, encrypt)
        name, value = envelope_id
        if is_json(body):  # a Mini Program JSON push: the envelope is JSON too
            return SignedPush(query, msgspec.json.encode({name: value, "Encrypt": encrypt}), True)
        envelope = f"<xml><{name}>{cdata(value)}</{name}><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
        return SignedPush(query, envelope.encode(), True)

    def send(self, push: SignedPush) -> PushReply:
        """POST a signed push; decrypt and verify the reply when it is encrypted."""
        content_type = "application/json" if is_json(push.body) else "text/xml; charset=utf-8"
        request = urllib.request.Request(
            f"{self.url}?{urlencode(push.query)}", data=push.body, method="POST",
            headers={"Content-Type": content_type},
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                status, body, headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return PushReply(error.code, error.read(), headers=dict(error.headers))
        reply = PushReply(status, body, plaintext=body, headers=headers)
        if push.encrypted and self.crypto is not None and body.lstrip()[:1] in (b"<", b"{"):
            fields = decode_body(body)
            if "Encrypt" in fields:
                encrypt = str(fields["Encrypt"])
                expected = self.crypto.sign(str(fields.get("TimeStamp", "")),
                                            str(fields.get("Nonce", "")), encrypt)
                reply.signature_ok = expected == fields.get("MsgSignature")
                reply.plaintext = self.crypto.decrypt(encrypt)
        return reply

    def post(self, body: bytes, *, openid: str = "", timestamp: str | None = None,
             nonce: str | None = None, envelope_id: tuple[str, str] | None = None) -> PushReply:
        """Sign (and encrypt) ``body`` and POST it: :meth:`sign` then :meth:`send`."""
        return self.send(self.sign(body, openid=openid, timestamp=timestamp, nonce=nonce,
                                   envelope_id=envelope_id))

    def verify_url(self, echostr: str = "wxcore-echo") -> PushReply:
        """Send the server-URL verification GET; a working server answers ``echostr``."""
        timestamp = str(int(self.clock()))
        nonce = str(int.from_bytes(self.random_bytes(4), "big"))
        query = {"signature": sha1_signature(self.token, timestamp, nonce), "timestamp": timestamp,
                 "nonce": nonce, "echostr": echostr}
        try:
            with _OPENER.open(f"{self.url}?{urlencode(query)}", timeout=self.timeout) as resp:
                body = resp.read()
                return PushReply(resp.status, body, plaintext=body)
        except urllib.error.HTTPError as error:
            return PushReply(error.code, error.read())
