"""Sandbox routes for messages an Official Account sends: customer-service, template,
subscription notifications and mass messages, with the event pushes WeChat sends after.

* Customer-service messages (``message/custom/send``, ``custom/typing``) go through only
  inside the user's window: within 48 hours of :func:`mark_interaction` (the user wrote to
  the account), five messages at most, or within a minute of a menu click, follow or scan
  (``mark_interaction(..., event=True)``), three; otherwise 45015 (45047 past the count).
* Template messages need a template the app added (``api_add_template``; else 40037) and
  answer a ``msgid``; subscription notifications need an added template too, and the user's
  consent, one message per :func:`grant_subscription` (else 43101).
* Mass messages answer ``msg_id``; their status is SEND_SUCCESS at once.
* After a template send WeChat pushes ``TEMPLATESENDJOBFINISH``, after a mass send
  ``MASSSENDJOBFINISH`` (and after publishing ``PUBLISHJOBFINISH``, from ``oa_drafts``) to
  the app's message server. When one is set with
  :func:`set_message_server` (or as the console's push target) the sandbox signs (and in safe mode encrypts) that push with
  :class:`~wxcore.adapters.sandbox.pushes.PushSender` and POSTs it before answering the
  API call (WeChat sends it a moment later); every attempt is kept in :func:`event_log`.

"""

from __future__ import annotations

import secrets
import threading
import time
import urllib.error
from dataclasses import dataclass, field
from typing import Any

from wxcore.messages import PushSettings

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route
from wxcore.adapters.sandbox.oa_console import oa_part
from wxcore.adapters.sandbox.push_console import target_sender
from wxcore.adapters.sandbox.pushes import PushSender, event_push

__all__ = [
    "REPLY_WINDOW",
    "REPLY_WINDOW_MESSAGES",
    "EVENT_WINDOW",
    "EVENT_WINDOW_MESSAGES",
    "MessageState",
    "message_state",
    "mark_interaction",
    "grant_subscription",
    "set_message_server",
    "event_log",
    "next_id",
    "push_event",
    "record_sent",
    "state_snapshot",
]

#: A user's customer-service window: 48 hours after the user's last message, five messages.
REPLY_WINDOW = 48 * 3600.0
REPLY_WINDOW_MESSAGES = 5
#: After a menu click, a follow or a QR scan: one minute, three messages.
EVENT_WINDOW = 60.0
EVENT_WINDOW_MESSAGES = 3

_INDUSTRIES = {1: ("IT科技", "互联网|电子商务"), 2: ("IT科技", "IT软件与服务"),
               4: ("IT科技", "电子技术"), 10: ("交通工具", "汽车相关"), 16: ("金融业", "银行")}
_CUSTOM_TYPES = ("text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle",
                 "msgmenu", "wxcard", "miniprogrampage")


@dataclass
class MessageState:
    #: (appid, openid) -> [window closes at, messages it allows, messages sent in it]
    windows: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)  # every message sent, oldest first
    industries: dict[str, tuple[int, int]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # template_id -> info
    subscribe_templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    consents: dict[tuple[str, str, str], int] = field(default_factory=dict)
    mass: dict[int, dict[str, Any]] = field(default_factory=dict)  # msg_id -> job
    speed: dict[str, int] = field(default_factory=dict)
    senders: dict[str, PushSender] = field(default_factory=dict)  # appid -> message server
    events: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1_000_000_000
    lock: threading.Lock = field(default_factory=threading.Lock)


def message_state(sb: WeChatSandbox) -> MessageState:
    return sb.group("oa_messages", MessageState)


def _openid(sb: WeChatSandbox, appid: str, user: str) -> str:
    return user if len(user) == 28 and user.startswith("o") else sb.openid_for(appid, user)


def mark_interaction(sb: WeChatSandbox, user: str = "alice", appid: str | None = None, *,
                     event: bool = False) -> str:
    """The user ``user`` (a name or an openid) wrote to the account now: opens their
    customer-service window, 48 hours and five messages; with ``event`` the user clicked a
    menu, followed or scanned instead: one minute, three messages. Answers the openid."""
    appid = appid or sb.default_app.appid
    openid = _openid(sb, appid, user)
    length, allowed = ((EVENT_WINDOW, EVENT_WINDOW_MESSAGES) if event
                       else (REPLY_WINDOW, REPLY_WINDOW_MESSAGES))
    message_state(sb).windows[(appid, openid)] = [sb.clock() + length, allowed, 0]
    return openid


def grant_subscription(sb: WeChatSandbox, template_id: str, user: str = "alice",
                       appid: str | None = None) -> str:
    """The user agreed to one subscription notification of ``template_id``; answers the
    openid."""
    appid = appid or sb.default_app.appid
    openid = _openid(sb, appid, user)
    key = (appid, openid, template_id)
    state = message_state(sb)
    state.consents[key] = state.consents.get(key, 0) + 1
    return openid


def set_message_server(sb: WeChatSandbox, url: str, settings: PushSettings,
                       appid: str | None = None) -> PushSender:
    """Send ``appid``'s event pushes to the message server at ``url`` (with its Token and,
    in safe mode, EncodingAESKey, as set in WeChat's admin console)."""
    sender = PushSender(url, settings)  # signed with the real time the server checks
    message_state(sb).senders[appid or sb.default_app.appid] = sender
    return sender


def event_log(sb: WeChatSandbox) -> list[dict[str, Any]]:
    """Every event push the sandbox sent (or could not send), oldest first."""
    return list(message_state(sb).events)


@oa_part("messages")
def state_snapshot(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """What the console shows of ``appid``'s messages: open windows, sends, templates."""
    state, now = message_state(sb), sb.clock()
    windows = [{"openid": openid, "closes_at": int(closes), "left": int(allowed - used)}
               for (app, openid), (closes, allowed, used) in state.windows.items()
               if app == appid and now < closes]
    sent = [m for m in state.sent if m["appid"] == appid]
    templates = [t for t in state.templates.values() if t["appid"] == appid]
    if not windows and not sent and not templates:
        return {}
    return {"windows": windows, "sent": [{k: v for k, v in m.items() if k != "appid"}
                                         for m in sent[-20:]],
            "templates": [t["template_id"] for t in templates]}


def next_id(sb: WeChatSandbox) -> int:
    state = message_state(sb)
    with state.lock:
        state.next_id += 1
        return state.next_id


def push_event(sb: WeChatSandbox, appid: str, openid: str, event: str,
               xml: str = "", **fields: str | int) -> None:
    """Sign and POST one event push to ``appid``'s message server, if it has one.

    ``fields`` are the event's flat elements; ``xml`` adds nested ones, already XML
    (PUBLISHJOBFINISH's ``PublishEventInfo``).
    """
    state = message_state(sb)
    sender = state.senders.get(appid) or target_sender(sb, appid)
    if sender is None:
        return
    body = event_push(sb.apps[appid].original_id, openid, event,
                      create_time=int(sb.clock()), **fields)
    if xml:
        body = body.removesuffix(b"</xml>") + xml.encode() + b"</xml>"
    outcome: dict[str, Any] = {"appid": appid, "event": event, "fields": dict(fields),
                               "sent_at": time.time()}
    try:
        reply = sender.post(body)
    except (urllib.error.URLError, OSError) as exc:
        outcome["error"] = f"could not reach the message server: {exc}"
    else:
        outcome.update(status=reply.status, reply=reply.plaintext.decode("utf-8", "replace"))
    state.events.append(outcome)


def record_sent(sb: WeChatSandbox, appid: str, kind: str, **details: Any) -> None:
    message_state(sb).sent.append({"appid": appid, "kind": kind, "at": sb.clock(), **details})


def _touser(body: dict[str, Any]) -> str:
    touser = body.get("touser")
    if not isinstance(touser, str) or not touser:
        raise WxFail(40003, "invalid openid")
    return touser


# -- customer-service messages ----------------------------------------------------------------


def _use_window(sb: WeChatSandbox, appid: str, openid: str, count: bool) -> None:
    window = message_state(sb).windows.get((appid, openid))
    if window is None or sb.clock() >= window[0]:
        raise WxFail(45015, "response out of time limit or subscription is canceled")
    if count:
        if window[2] >= window[1]:
            raise WxFail(45047, "out of response count limit")
        window[2] += 1


@route("POST", "/cgi-bin/message/custom/send")
def send_custom_message(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    openid = _touser(body)
    msgtype = body.get("msgtype")
    if msgtype not in _CUSTOM_TYPES or not isinstance(body.get(msgtype), dict):
        raise WxFail(40008, "invalid message type")
    if msgtype == "news" and len(body["news"].get("articles") or []) != 1:
        raise WxFail(45008, "article size out of limit")
    _use_window(sb, req.appid, openid, count=True)
    kf = (body.get("customservice") or {}).get("kf_account")
    record_sent(sb, req.appid, "custom", openid=openid, msgtype=msgtype, kf_account=kf,
            payload=body[msgtype])
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/message/custom/typing")
def send_typing(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    openid = _touser(body)
    if body.get("command") not in ("Typing", "CancelTyping"):
        raise WxFail(40097, "invalid args: command")
    _use_window(sb, req.appid, openid, count=False)
    return {"errcode": 0, "errmsg": "ok"}


# -- template messages -----------------------------------------------------------------------


@route("POST", "/cgi-bin/template/api_set_industry")
def set_industry(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    try:
        ids = int(body["industry_id1"]), int(body["industry_id2"])
    except (KeyError, TypeError, ValueError):
        raise WxFail(40097, "invalid args: industry_id") from None
    if not all(1 <= i <= 41 for i in ids):
        raise WxFail(40097, "invalid args: industry_id")
    message_state(sb).industries[req.appid] = ids
    return {"errcode": 0, "errmsg": "ok"}


@route("GET", "/cgi-bin/template/get_industry")
def get_industry(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    ids = message_state(sb).industries.get(req.appid, (1, 2))
    first, second = (_INDUSTRIES.get(i, ("其它", "其它")) for i in ids)
    return {"primary_industry": {"first_class": first[0], "second_class": first[1]},
            "secondary_industry": {"first_class": second[0], "second_class": second[1]}}


@route("POST", "/cgi-bin/template/api_add_template")
def add_template(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    short = body.get("template_id_short")
    if not isinstance(short, str) or not short:
        raise WxFail(40037, "invalid template_id")
    template_id = secrets.token_urlsafe(32)
    keywords = body.get("keyword_name_list") or ["keyword1", "keyword2"]
    message_state(sb).templates[template_id] = {
        "appid": req.appid, "template_id": template_id, "title": f"Template {short}",
        "primary_industry": "IT科技", "deputy_industry": "互联网|电子商务",
        "content": "\n".join(f"{k}:{{{{{k}.DATA}}}}" for k in keywords), "example": ""}
    return {"errcode": 0, "errmsg": "ok", "template_id": template_id}


@route("GET", "/cgi-bin/template/get_all_private_template")
def get_all_private_template(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    mine = [{k: v for k, v in t.items() if k != "appid"}
            for t in message_state(sb).templates.values() if t["appid"] == req.appid]
    return {"template_list": mine}


def _template(sb: WeChatSandbox, req: SandboxRequest, template_id: object,
              store: dict[str, dict[str, Any]]) -> dict[str, Any]:
    found = store.get(str(template_id))
    if found is None or found["appid"] != req.appid:
        raise WxFail(40037, "invalid template_id")
    return found


@route("POST", "/cgi-bin/template/del_private_template")
def del_private_template(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = message_state(sb)
    found = _template(sb, req, req.json().get("template_id"), state.templates)
    del state.templates[found["template_id"]]
    return {"errcode": 0, "errmsg": "ok"}


def _data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict) or not data or not all(
            isinstance(v, dict) and "value" in v for v in data.values()):
        raise WxFail(47003, "argument invalid! data.value invalid")
    return data


@route("POST", "/cgi-bin/message/template/send")
def send_template_message(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    openid = _touser(body)
    _template(sb, req, body.get("template_id"), message_state(sb).templates)
    data = _data(body)
    client_msg_id = body.get("client_msg_id")
    for earlier in message_state(sb).sent:  # a retried send with the same id goes out once
        if client_msg_id and earlier.get("client_msg_id") == client_msg_id \
                and earlier["appid"] == req.appid:
            return {"errcode": 0, "errmsg": "ok", "msgid": earlier["msgid"]}
    msgid = next_id(sb)
    record_sent(sb, req.appid, "template", openid=openid, msgid=msgid,
            template_id=body["template_id"], data=data,
            client_msg_id=client_msg_id)
    push_event(sb, req.appid, openid, "TEMPLATESENDJOBFINISH", MsgID=msgid, Status="success")
    return {"errcode": 0, "errmsg": "ok", "msgid": msgid}


# -- subscription notifications (订阅通知) -------------------------------------------------

_CATEGORIES = [{"id": 616, "name": "公交"}, {"id": 617, "name": "交通服务"}]
_LIBRARY = {
    "99": {"title": "付款成功通知", "type": 2, "categoryId": "616",
           "keywords": [(1, "物品名称", "名称", "thing"), (2, "付款金额", "1.00", "amount"),
                        (3, "付款时间", "2024-01-01 12:00", "time")]},
    "1003": {"title": "乘车提醒", "type": 3, "categoryId": "617",
             "keywords": [(1, "线路", "1路", "thing"), (2, "到站时间", "12:00", "time"),
                          (3, "备注", "请准备下车", "thing")]},
}


@route("GET", "/wxaapi/newtmpl/getcategory")
def get_category(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", "data": _CATEGORIES}


@route("GET", "/wxaapi/newtmpl/getpubtemplatetitles")
def get_pub_template_titles(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    ids = set(req.query.get("ids", "").split(","))
    try:
        start, limit = int(req.query.get("start", "0")), int(req.query.get("limit", "30"))
    except ValueError:
        raise WxFail(40097, "invalid args") from None
    titles = [{"tid": int(tid), "title": t["title"], "type": t["type"],
               "categoryId": t["categoryId"]}
              for tid, t in _LIBRARY.items() if t["categoryId"] in ids]
    return {"errcode": 0, "errmsg": "ok", "count": len(titles),
            "data": titles[start:start + limit]}


def _library(tid: object) -> dict[str, Any]:
    found = _LIBRARY.get(str(tid))
    if found is None:
        raise WxFail(200014, "invalid tid")  # the newtmpl APIs' code for an unknown tid
    return found


@route("GET", "/wxaapi/newtmpl/getpubtemplatekeywords")
def get_pub_template_keywords(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    keywords = _library(req.query.get("tid"))["keywords"]
    return {"errcode": 0, "errmsg": "ok", "count": len(keywords),
            "data": [{"kid": k, "name": n, "example": e, "rule": r} for k, n, e, r in keywords]}


@route("POST", "/wxaapi/newtmpl/addtemplate")
def add_subscribe_template(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    library = _library(body.get("tid"))
    chosen = {k: (n, r) for k, n, _, r in library["keywords"]}
    kids = body.get("kidList")
    if not isinstance(kids, list) or not 2 <= len(kids) <= 5 or any(k not in chosen for k in kids):
        raise WxFail(200015, "invalid kidList")
    pri_id = secrets.token_urlsafe(32)
    content = "\n".join(f"{chosen[k][0]}:{{{{{chosen[k][1]}{k}.DATA}}}}" for k in kids)
    message_state(sb).subscribe_templates[pri_id] = {
        "appid": req.appid, "priTmplId": pri_id, "title": library["title"], "content": content,
        "example": "", "type": library["type"]}
    return {"errcode": 0, "errmsg": "ok", "priTmplId": pri_id}


@route("GET", "/wxaapi/newtmpl/gettemplate")
def get_subscribe_templates(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    mine = [{k: v for k, v in t.items() if k != "appid"}
            for t in message_state(sb).subscribe_templates.values() if t["appid"] == req.appid]
    return {"errcode": 0, "errmsg": "ok", "data": mine}


@route("POST", "/wxaapi/newtmpl/deltemplate")
def delete_subscribe_template(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    state = message_state(sb)
    found = state.subscribe_templates.get(str(req.json().get("priTmplId")))
    if found is None or found["appid"] != req.appid:
        raise WxFail(40037, "invalid template_id")
    del state.subscribe_templates[found["priTmplId"]]
    return {"errcode": 0, "errmsg": "ok"}


@route("POST", "/cgi-bin/message/subscribe/bizsend")
def send_subscribe_message(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    openid = _touser(body)
    state = message_state(sb)
    template = state.subscribe_templates.get(str(body.get("template_id")))
    if template is None or template["appid"] != req.appid:
        raise WxFail(40037, "invalid template_id")
    data = _data(body)
    key = (req.appid, openid, template["priTmplId"])
    if state.consents.get(key, 0) <= 0:
        raise WxFail(43101, "user refuse to accept the msg")
    if template["type"] == 2:  # a one-off subscription is spent by the message
        state.consents[key] -= 1
    record_sent(sb, req.appid, "subscribe", openid=openid, template_id=template["priTmplId"],
            data=data)
    return {"errcode": 0, "errmsg": "ok"}
