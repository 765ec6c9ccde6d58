"""The sandbox's JSON control API: everything a test, a script or the console does to it.

Each control path is declared once with :func:`control`: its method, the Struct its JSON
body (or, for GET, its query) decodes into, and a function of the sandbox and that body.
:func:`answer_control` validates and dispatches; a body that does not decode, or that a
function refuses with :class:`ControlError`, is answered ``400 {"error": reason}`` (404 for
an unknown path, 405 for a wrong method). docs/sandbox.md lists every path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from wxcore.http import Response

from wxcore.adapters.sandbox import console, miniprogram, mp_services, push_console
from wxcore.adapters.sandbox.control_bodies import (
    AppRef,
    ControlError,
    EncryptDataBody,
    FaultBody,
    LogQuery,
    MediaCheckPushBody,
    PaidOrderBody,
    PhoneCodeBody,
    RefuseSubscribeBody,
    RiskRankBody,
    UserRef,
)
from wxcore.adapters.sandbox.core import Fault, WeChatSandbox, json_response

__all__ = ["answer_control", "CONTROLS", "control"]

@dataclass(frozen=True)
class Control:
    method: str
    path: str
    body: Any  # a Struct type (or a union of them), or None for no body
    fn: Callable[[WeChatSandbox, Any], Any]


#: path -> Control
CONTROLS: dict[str, Control] = {}


def control(method: str, path: str, body: Any = None) -> Callable[[Callable[..., Any]], Any]:
    """Declare control path ``method path`` whose body decodes into ``body``."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        CONTROLS[path] = Control(method, path, body, fn)
        return fn

    return register


def _error(status: int, reason: str) -> Response:
    return json_response({"error": reason}, status=status)


def _decode(entry: Control, query: Mapping[str, str], body: bytes) -> Any:
    """The request's arguments: a GET's query, a POST's JSON body; nothing else is taken."""
    if entry.method == "POST" and query:
        raise ControlError(f"{entry.path} takes its arguments as a JSON body, not a query "
                           f"({', '.join(sorted(query))})")
    if entry.body is None:
        if body.strip() not in (b"", b"{}") or query:
            raise ControlError(f"{entry.path} takes no arguments")
        return None
    if entry.method == "GET":
        if body.strip():
            raise ControlError(f"{entry.path} takes its arguments as a query, not a body")
        return msgspec.convert(dict(query), entry.body, strict=False)
    return msgspec.json.decode(body.strip() or b"{}", type=entry.body)


def answer_control(sb: WeChatSandbox, method: str, target: str, body: bytes) -> Response:
    """Answer one control request (``target``: the path under ``/sandbox/``, with query)."""
    path, _, query_string = target.partition("?")
    entry = CONTROLS.get(path)
    if entry is None:
        return _error(404, f"unknown control path {path}; docs/sandbox.md lists them")
    if method != entry.method:
        return _error(405, f"{path} takes {entry.method}, not {method}")
    try:
        args = _decode(entry, dict(parse_qsl(query_string, keep_blank_values=True)), body)
        answer = entry.fn(sb, args)
    except msgspec.DecodeError as exc:  # ValidationError included
        part = "query" if entry.method == "GET" else "body"
        return _error(400, f"bad request {part} for {path}: {exc}")
    except ControlError as exc:
        return _error(exc.status, exc.reason)
    return answer if isinstance(answer, Response) else json_response(answer)


def _appid(sb: WeChatSandbox, ref: AppRef) -> str:
    appid = ref.appid or sb.default_app.appid
    if appid not in sb.apps:
        raise ControlError(f"unknown appid {appid!r}; the sandbox has {sorted(sb.apps)}")
    return appid


# -- state, log, faults -------------------------------------------------------------------------


@control("GET", "/sandbox/state")
def _state(sb: WeChatSandbox, _: None) -> dict[str, Any]:
    return console.snapshot(sb)


@control("GET", "/sandbox/log", LogQuery)
def _log(sb: WeChatSandbox, query: LogQuery) -> dict[str, Any]:
    return {"calls": sb.log.entries(query.after, query.limit)}


@control("GET", "/sandbox/stats")
def _stats(sb: WeChatSandbox, _: None) -> dict[str, Any]:
    return {"calls": dict(sb.calls)}


@control("POST", "/sandbox/reveal_secret", AppRef)
def _reveal(sb: WeChatSandbox, ref: AppRef) -> dict[str, Any]:
    return {"appid": _appid(sb, ref), "secret": sb.apps[_appid(sb, ref)].secret}


@control("POST", "/sandbox/fault", FaultBody)
def _fault(sb: WeChatSandbox, body: FaultBody) -> dict[str, Any]:
    fault = sb.inject(Fault(**msgspec.structs.asdict(body)))
    return {"ok": True, "fault": console.fault_view(fault)}


@control("POST", "/sandbox/faults/clear")
def _clear_faults(sb: WeChatSandbox, _: None) -> dict[str, Any]:
    return {"cleared": sb.clear_faults()}


@control("POST", "/sandbox/revoke", AppRef)
def _revoke(sb: WeChatSandbox, ref: AppRef) -> dict[str, Any]:
    return {"revoked": sb.revoke_tokens(_appid(sb, ref))}


# -- Mini Program hooks -------------------------------------------------------------------------


@control("POST", "/sandbox/login_code", UserRef)
def _login_code(sb: WeChatSandbox, ref: UserRef) -> dict[str, Any]:
    return {"code": miniprogram.login_code(sb, ref.user, _appid(sb, ref))}


@control("POST", "/sandbox/phone_code", PhoneCodeBody)
def _phone_code(sb: WeChatSandbox, body: PhoneCodeBody) -> dict[str, Any]:
    return {"code": miniprogram.phone_code(sb, body.phone, body.country_code, _appid(sb, body))}


@control("POST", "/sandbox/plugin_code", UserRef)
def _plugin_code(sb: WeChatSandbox, ref: UserRef) -> dict[str, Any]:
    return {"code": miniprogram.plugin_code(sb, ref.user, _appid(sb, ref))}


@control("POST", "/sandbox/active_openid", UserRef)
def _active_openid(sb: WeChatSandbox, ref: UserRef) -> dict[str, Any]:
    return {"openid": miniprogram.active_openid(sb, ref.user, _appid(sb, ref))}


@control("POST", "/sandbox/paid_order", PaidOrderBody)
def _paid_order(sb: WeChatSandbox, body: PaidOrderBody) -> dict[str, Any]:
    return {"openid": miniprogram.paid_order(
        sb, body.user, transaction_id=body.transaction_id, mch_id=body.mch_id,
        out_trade_no=body.out_trade_no, appid=_appid(sb, body))}


@control("POST", "/sandbox/encrypt_data", EncryptDataBody)
def _encrypt_data(sb: WeChatSandbox, body: EncryptDataBody) -> dict[str, Any]:
    encrypted, iv = miniprogram.encrypt_data(sb, body.session_key, body.payload,
                                             _appid(sb, body))
    return {"encryptedData": encrypted, "iv": iv}


@control("POST", "/sandbox/media_check_push", MediaCheckPushBody)
def _media_check_push(sb: WeChatSandbox, body: MediaCheckPushBody) -> Response:
    trace_id = push_console.media_check_trace(sb, None, body.trace_id)
    push = mp_services.media_check_push(sb, trace_id, suggest=body.suggest, label=body.label)
    return Response(status=200, body=push, headers={"content-type": "application/json"})


@control("POST", "/sandbox/refuse_subscribe", RefuseSubscribeBody)
def _refuse_subscribe(sb: WeChatSandbox, body: RefuseSubscribeBody) -> dict[str, Any]:
    mp_services.refuse_subscribe(sb, body.openid, body.template_id)
    return {"ok": True}


@control("POST", "/sandbox/risk_rank", RiskRankBody)
def _risk_rank(sb: WeChatSandbox, body: RiskRankBody) -> dict[str, Any]:
    mp_services.set_risk_rank(sb, body.openid, body.rank)
    return {"ok": True}


# -- pushes to a message server -----------------------------------------------------------------


@control("POST", "/sandbox/push/target", push_console.PushTargetBody)
def _push_target(sb: WeChatSandbox, body: push_console.PushTargetBody) -> dict[str, Any]:
    return {"target": push_console.set_target(sb, body)}


@control("POST", "/sandbox/push", push_console.PushBody)
def _push(sb: WeChatSandbox, body: push_console.PushBody) -> dict[str, Any]:
    return push_console.send_push(sb, body)

