"""Pushes from the console: play a WeChat user against a message server under development.

``POST /sandbox/push/target`` sets the message server (URL, Token, EncodingAESKey, plain or
safe mode); ``POST /sandbox/push`` builds one push from a small JSON description (a text
message, subscribe, menu click, scan, ...), signs and in safe mode encrypts it with
:class:`~wxcore.adapters.sandbox.pushes.PushSender`, POSTs it, and reports the server's
reply decrypted and parsed (:func:`wxcore.messages.decode_body`), with the time it took.
The last replies are kept for the console.
"""

from __future__ import annotations

import secrets
import time
import urllib.error
from collections import deque
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

import msgspec

from wxcore.errors import UsageError
from wxcore.messages import MessageError, PushSettings, decode_body
from wxcore.redact import mask

from wxcore.adapters.sandbox import oa_users
from wxcore.adapters.sandbox.calllog import BODY_LIMIT
from wxcore.adapters.sandbox.control_bodies import Appid, Body, ControlError, NonEmpty
from wxcore.adapters.sandbox.core import WeChatSandbox
from wxcore.adapters.sandbox.mp_services import media_check_push, service_state
from wxcore.adapters.sandbox.pushes import PushSender, component_push, event_push, text_push

__all__ = ["PushTargetBody", "PushBody", "set_target", "send_push", "push_snapshot",
           "target_sender"]

HISTORY = 30


class PushTargetBody(Body, kw_only=True):
    """Where pushes go and how they are protected (as set in WeChat's admin console)."""

    url: Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$", max_length=2048)]
    token: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{3,32}$")]
    mode: Literal["plain", "safe"] = "plain"
    encoding_aes_key: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{43}$")] | None = None
    appid: Appid | None = None  # the appid the server decrypts for; default: the first app

    def __post_init__(self) -> None:
        if self.mode == "safe" and self.encoding_aes_key is None:
            raise ValueError("safe mode needs encoding_aes_key (43 letters and digits)")


class _PushBase(Body, tag_field="kind", kw_only=True):
    user: NonEmpty = "alice"
    appid: Appid | None = None  # the sandbox app the user writes to (ToUserName)


class TextPush(_PushBase, tag="text", kw_only=True):
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]


class SubscribePush(_PushBase, tag="subscribe", kw_only=True):
    scene: Annotated[str, msgspec.Meta(max_length=64)] = ""  # via a QR code: qrscene_<scene>


class UnsubscribePush(_PushBase, tag="unsubscribe", kw_only=True):
    pass


class ClickPush(_PushBase, tag="click", kw_only=True):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class ScanPush(_PushBase, tag="scan", kw_only=True):
    scene: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    ticket: Annotated[str, msgspec.Meta(max_length=256)] = ""


class LocationPush(_PushBase, tag="location", kw_only=True):
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    precision: Annotated[float, msgspec.Meta(ge=0)] = 30.0


class TemplateFinishedPush(_PushBase, tag="template_finished", kw_only=True):
    msg_id: Annotated[int, msgspec.Meta(ge=1)]
    status: Literal["success", "failed:user block", "failed: system failed"] = "success"


class MediaCheckPush(_PushBase, tag="media_check", kw_only=True):
    trace_id: NonEmpty | None = None  # None: the app's latest media_check_async call
    suggest: Literal["pass", "risky", "review"] = "pass"
    label: Annotated[int, msgspec.Meta(ge=0)] = 100


class ComponentTicketPush(_PushBase, tag="component_ticket", kw_only=True):
    ticket: NonEmpty | None = None  # None: a fresh one


PushBody = Union[TextPush, SubscribePush, UnsubscribePush, ClickPush, ScanPush, LocationPush,
                 TemplateFinishedPush, MediaCheckPush, ComponentTicketPush]


@dataclass
class _Target:
    body: PushTargetBody
    sender: PushSender


@dataclass
class _PushState:
    target: _Target | None = None
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    sent: int = 0
    last_create_time: int = 0


def _state(sb: WeChatSandbox) -> _PushState:
    return sb.group("pushes", _PushState)


def _app(sb: WeChatSandbox, appid: str | None) -> str:
    appid = appid or sb.default_app.appid
    if appid not in sb.apps:
        raise ControlError(f"unknown appid {appid!r}")
    return appid


def set_target(sb: WeChatSandbox, body: PushTargetBody) -> dict[str, Any]:
    """Send later pushes to ``body.url``; answers the target as the console shows it."""
    appid = body.appid or sb.default_app.appid
    key = body.encoding_aes_key if body.mode == "safe" else None
    try:
        settings = PushSettings(token=body.token, encoding_aes_key=key,
                                appid=appid if key else None)
    except UsageError as exc:
        raise ControlError(str(exc)) from None
    sender = PushSender(body.url, settings)
    target = _Target(msgspec.structs.replace(body, appid=appid), sender)
    with sb.lock:
        _state(sb).target = target
    return _target_view(target)


def target_sender(sb: WeChatSandbox, appid: str) -> PushSender | None:
    """The console's push target's sender when it is set for ``appid`` (other route modules
    push their events, such as TEMPLATESENDJOBFINISH, through it)."""
    target = _state(sb).target
    return target.sender if target is not None and target.body.appid == appid else None


def _target_view(target: _Target) -> dict[str, Any]:
    body = target.body
    key = body.encoding_aes_key if body.mode == "safe" else None
    return {"url": body.url, "mode": body.mode, "appid": body.appid, "token": mask(body.token),
            "encoding_aes_key": None if key is None else mask(key)}


def _create_time(sb: WeChatSandbox) -> int:
    """Now, but strictly after the previous push: two clicks in one second are two events
    (a message server de-duplicates events by user, time and key)."""
    with sb.lock:
        state = _state(sb)
        state.last_create_time = max(int(time.time()), state.last_create_time + 1)
        return state.last_create_time


def build_push(sb: WeChatSandbox, push: PushBody, target_appid: str) -> bytes:
    """The plaintext body WeChat would send for ``push``."""
    if isinstance(push, ComponentTicketPush):
        ticket = push.ticket or "ticket@@@" + secrets.token_urlsafe(40)
        return component_push(target_appid, "component_verify_ticket",
                              create_time=_create_time(sb), ComponentVerifyTicket=ticket)
    appid = _app(sb, push.appid)
    if isinstance(push, MediaCheckPush):
        trace_id = media_check_trace(sb, appid, push.trace_id)
        return media_check_push(sb, trace_id, suggest=push.suggest, label=push.label)
    account, user = sb.apps[appid].original_id, sb.openid_for(appid, push.user)
    created = _create_time(sb)
    if isinstance(push, TextPush):
        msg_id = time.time_ns() // 1000  # unique across restarts, like WeChat's 64-bit ids
        return text_push(account, user, push.content, msg_id=msg_id, create_time=created)
    extra: dict[str, str | int] = {}
    if isinstance(push, SubscribePush):
        event = "subscribe"
        _follow(sb, push, appid)
        if push.scene:
            extra = {"EventKey": f"qrscene_{push.scene}", "Ticket": "gQ" + secrets.token_hex(12)}
    elif isinstance(push, UnsubscribePush):
        event = "unsubscribe"
        with sb.lock:
            follower = oa_users.users_of(sb, appid).users.get(user)
            if follower is not None:
                follower.following = False
    elif isinstance(push, ClickPush):
        event, extra = "CLICK", {"EventKey": push.key}
    elif isinstance(push, ScanPush):
        event = "SCAN"
        extra = {"EventKey": push.scene, "Ticket": push.ticket or "gQ" + secrets.token_hex(12)}
    elif isinstance(push, LocationPush):
        event = "LOCATION"
        extra = {"Latitude": f"{push.latitude:.6f}", "Longitude": f"{push.longitude:.6f}",
                 "Precision": f"{push.precision:.6f}"}
    else:
        event, extra = "TEMPLATESENDJOBFINISH", {"MsgID": push.msg_id, "Status": push.status}
    return event_push(account, user, event, create_time=created, **extra)


def _follow(sb: WeChatSandbox, push: SubscribePush, appid: str) -> None:
    """Record the follow in the Official Account sandbox first, as WeChat does before it pushes."""
    scene = push.scene
    if not scene:
        oa_users.follow(sb, push.user, appid, scene="ADD_SCENE_OTHERS")
    elif scene.isdigit():
        oa_users.follow(sb, push.user, appid, qr_scene=int(scene))
    else:
        oa_users.follow(sb, push.user, appid, qr_scene_str=scene)


def media_check_trace(sb: WeChatSandbox, appid: str | None, trace_id: str | None) -> str:
    """``trace_id`` if media_check_async returned it; None: ``appid``'s latest one."""
    checks = service_state(sb).media_checks
    if trace_id is not None:
        if trace_id not in checks:
            raise ControlError(f"unknown trace_id {trace_id!r}: "
                               "media_check_async never returned it")
        return trace_id
    mine = [tid for tid, check in checks.items() if check["appid"] == appid]
    if not mine:
        raise ControlError(f"no media_check_async call for {appid} yet: its push answers "
                           "the trace_id that call returned", status=409)
    return mine[-1]


def _clip(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "..."


def send_push(sb: WeChatSandbox, push: PushBody) -> dict[str, Any]:
    """Build, sign, send ``push``; the outcome as JSON (kept for the console too).

    Raises :class:`ControlError` (409) with no target set, and 502 when the server could
    not be reached (the outcome, with the error, is kept in the history all the same).
    """
    target = _state(sb).target
    if target is None:
        raise ControlError("no message server yet: POST /sandbox/push/target first", 409)
    plaintext = build_push(sb, push, str(target.body.appid))
    with sb.lock:
        _state(sb).sent += 1
        seq = _state(sb).sent
    outcome: dict[str, Any] = {"seq": seq, "kind": push.__struct_config__.tag, "user": push.user,
                               "mode": target.body.mode, "url": target.body.url,
                               "sent_at": time.time(), "push": _clip(plaintext)}
    started = time.perf_counter()
    try:
        signed = target.sender.sign(plaintext)
        reply = target.sender.send(signed)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        outcome.update(elapsed_ms=_ms(started), status=None,
                       error=f"could not reach {target.body.url}: {reason}")
    except MessageError as exc:
        outcome.update(elapsed_ms=_ms(started), status=None, error=f"bad encrypted reply: {exc}")
    else:
        outcome.update(elapsed_ms=_ms(started), status=reply.status, encrypted=signed.encrypted,
                       reply_body=_clip(reply.body), reply=_clip(reply.plaintext),
                       signature_ok=reply.signature_ok, reply_fields=_fields(reply.plaintext))
    _state(sb).history.append(outcome)
    if "error" in outcome:
        raise ControlError(outcome["error"], 502)
    return outcome


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _fields(plaintext: bytes) -> dict[str, Any] | None:
    """The reply parsed into fields (None for ``success``, empty or unparsable replies)."""
    if plaintext.lstrip()[:1] not in (b"<", b"{"):
        return None
    try:
        return decode_body(plaintext)
    except MessageError:
        return None


def push_snapshot(sb: WeChatSandbox) -> dict[str, Any]:
    """The target (secrets masked) and the latest outcomes, newest first."""
    state = _state(sb)
    with sb.lock:
        return {"target": None if state.target is None else _target_view(state.target),
                "history": list(reversed(state.history))}
