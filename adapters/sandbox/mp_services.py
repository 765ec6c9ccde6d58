"""Sandbox routes for Mini Program services: content security, risk rank, subscribe and
updatable messages, links and SOTER.

Test hooks (all plain functions on a sandbox):

* :func:`risky_words` -- the words msg_sec_check flags, with their labels (editable);
* :func:`media_check_push` -- the ``wxa_media_check`` push body WeChat would send later for
  a trace_id from media_check_async, to feed a message handler;
* :func:`refuse_subscribe` -- make a user refuse a template (43101);
* :func:`sent_messages` -- the subscribe and updatable messages sent so far;
* :func:`set_risk_rank` -- the risk rank getuserriskrank reports for an openid;
* :func:`soter_signature` -- a signature the sandbox's SOTER check accepts.

Users must be known (40003) and, for the security APIs, active in the last two hours (61010):
see ``active_openid`` in :mod:`wxcore.adapters.sandbox.miniprogram`.

Link errcodes are WeChat's answers as its community quotes them; the API pages we could read
show no table for them: 40066 "invalid url" for a bad short-link ``page_url``
(https://developers.weixin.qq.com/community/develop/doc/000c685e7b4968c7a08d92a8a51c00),
85401 "time limit between 1min and 1year" for a bad expiry
(https://developers.weixin.qq.com/community/develop/doc/0004a88350ceb047369b60d1c5c000) and
40212 "invalid query" for a bad ``query``
(https://developers.weixin.qq.com/community/develop/doc/0000e8a4678f685bbfeb49eca51000).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import msgspec

from wxcore.adapters.sandbox.core import SandboxRequest, WeChatSandbox, WxFail, route, snapshot
from wxcore.adapters.sandbox.miniprogram import check_openid
from wxcore.adapters.sandbox.miniprogram import state as mp_state

ACTIVITY_LIFETIME = 86400
MAX_LINK_DAYS = 30


@dataclass
class ServiceState:
    risky_words: dict[str, int] = field(default_factory=lambda: {
        "敏感词": 20006, "赌博": 20006, "色情": 20002, "加微信": 10001, "risky": 21000})
    media_checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: set[tuple[str, str]] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    risk_ranks: dict[str, int] = field(default_factory=dict)
    assessments: int = 0


def service_state(sb: WeChatSandbox) -> ServiceState:
    return sb.group("mp_services", ServiceState)


def risky_words(sb: WeChatSandbox) -> dict[str, int]:
    """Words msg_sec_check answers ``risky`` for, mapped to their label (edit freely)."""
    return service_state(sb).risky_words


def refuse_subscribe(sb: WeChatSandbox, openid: str, template_id: str) -> None:
    """From now on ``openid`` refuses ``template_id`` (send answers 43101)."""
    service_state(sb).refused.add((openid, template_id))


def sent_messages(sb: WeChatSandbox) -> list[dict[str, Any]]:
    """Every subscribe message and updatable-message change accepted so far."""
    return service_state(sb).sent


def set_risk_rank(sb: WeChatSandbox, openid: str, rank: int) -> None:
    service_state(sb).risk_ranks[openid] = rank


def soter_signature(json_string: str) -> str:
    """The ``json_signature`` the sandbox accepts for ``json_string`` (not real SOTER)."""
    return base64.b64encode(hashlib.sha256(json_string.encode()).digest()).decode()


@snapshot("miniprogram")
def _snapshot(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    """The console's Mini Program section: users seen lately, open codes, media checks."""
    mp, services, now = mp_state(sb), service_state(sb), sb.clock()
    users = [{"user": mp.users.get(key, ""), "openid": key[1], "seen_ago": int(now - seen)}
             for key, seen in mp.active.items() if key[0] == appid]
    open_codes = {name: sum(1 for c in codes.values()
                            if c.appid == appid and not c.used and c.expires_at > now)
                  for name, codes in (("login", mp.login_codes), ("phone", mp.phone_codes),
                                      ("plugin", mp.plugin_codes))}
    checks = [{"trace_id": tid, "openid": c["openid"], "media_url": c["media_url"]}
              for tid, c in services.media_checks.items() if c["appid"] == appid]
    sent = sum(1 for m in services.sent if m.get("appid") == appid)
    if not users and not checks and not sent and not any(open_codes.values()):
        return {}
    return {"users": users[-20:], "open_codes": open_codes, "media_checks": checks[-10:],
            "messages_sent": sent}


def _ok(**fields: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **fields}


def _trace_id() -> str:
    raw = secrets.token_hex(12)
    return f"{raw[:8]}-{raw[8:16]}-{raw[16:]}"


_SCENES = (1, 2, 3, 4)


def _scene(value: object) -> int:
    if value not in _SCENES:
        raise WxFail(40129, "invalid scene")
    return _SCENES[_SCENES.index(value)]


# -- content security -----------------------------------------------------------------------


@route("POST", "/wxa/msg_sec_check")
def msg_sec_check(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    content = body.get("content")
    if not content or not isinstance(content, str):
        raise WxFail(44002, "empty post data")
    if body.get("version") != 2:
        raise WxFail(47001, "data format error: version must be 2")
    _scene(body.get("scene"))
    check_openid(sb, req.appid, body.get("openid"), recent=True)
    text = " ".join(str(body.get(k) or "") for k in ("title", "nickname", "signature", "content"))
    hits = [(word, label) for word, label in risky_words(sb).items() if word in text]
    detail = [{"strategy": "content_model", "errcode": 0,
               "suggest": "risky" if hits else "pass",
               "label": hits[0][1] if hits else 100, "prob": 90 if hits else 0}]
    detail += [{"strategy": "keyword", "errcode": 0, "suggest": "risky", "label": label,
                "level": 20, "keyword": word} for word, label in hits]
    result = {"suggest": "risky", "label": hits[0][1]} if hits else {"suggest": "pass",
                                                                       "label": 100}
    return _ok(result=result, detail=detail, trace_id=_trace_id())


@route("POST", "/wxa/media_check_async")
def media_check_async(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    url = body.get("media_url")
    if not url or not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise WxFail(47001, "data format error: media_url")
    if body.get("media_type") not in (1, 2) or body.get("version") != 2:
        raise WxFail(47001, "data format error")
    _scene(body.get("scene"))
    openid = check_openid(sb, req.appid, body.get("openid"), recent=True)
    trace_id = _trace_id()
    service_state(sb).media_checks[trace_id] = {"appid": req.appid, "openid": openid,
                                                "media_url": url, "time": sb.clock()}
    return _ok(trace_id=trace_id)


def media_check_push(sb: WeChatSandbox, trace_id: str, *, suggest: str = "pass",
                     label: int = 100) -> bytes:
    """The JSON ``wxa_media_check`` push for ``trace_id``, as WeChat posts it later."""
    check = service_state(sb).media_checks[trace_id]
    app = sb.apps[check["appid"]]
    return msgspec.json.encode({
        "ToUserName": app.original_id, "FromUserName": check["openid"],
        "CreateTime": int(sb.clock()), "MsgType": "event", "Event": "wxa_media_check",
        "appid": app.appid, "trace_id": trace_id, "version": 2,
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest,
                    "label": label, "prob": 90}],
        "errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label},
    })


@route("POST", "/wxa/getuserriskrank")
def getuserriskrank(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    if body.get("appid") != req.appid:
        raise WxFail(43104, "appid does not match the access_token")
    if body.get("scene") not in (0, 1):
        raise WxFail(40129, "invalid scene")
    if not body.get("client_ip"):
        raise WxFail(47001, "data format error: client_ip")
    openid = check_openid(sb, req.appid, body.get("openid"), recent=True)
    state = service_state(sb)
    with sb.lock:
        state.assessments += 1
        unoin_id = 100000 + state.assessments
    return {"errcode": 0, "errmsg": "getuserriskrank succ",
            "risk_rank": state.risk_ranks.get(openid, 0), "unoin_id": unoin_id}


# -- subscribe and updatable messages -------------------------------------------------------

_LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32,
           "phone_number": 17, "car_number": 8, "phrase": 5, "name": 20}


@route("POST", "/cgi-bin/message/subscribe/send")
def subscribe_send(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    openid = check_openid(sb, req.appid, body.get("touser"), recent=False)
    template_id = body.get("template_id")
    if not template_id or not isinstance(template_id, str):
        raise WxFail(40037, "invalid template_id")
    if (openid, template_id) in service_state(sb).refused:
        raise WxFail(43101, "user refuse to accept the msg")
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or page.startswith("/")):
        raise WxFail(41030, "invalid page")
    data = body.get("data")
    if not isinstance(data, dict) or not data:
        raise WxFail(47001, "data format error")
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str):
            raise WxFail(47003, f'argument invalid! data.{key}.value is empty')
        kind = re.sub(r"\d+$", "", key)
        if len(value) > _LIMITS.get(kind, 10_000):
            raise WxFail(47003, f'argument invalid! data.{key}.value exceeds the length limit')
        if kind == "number" and not re.fullmatch(r"[+-]?\d+(\.\d+)?", value):
            raise WxFail(47003, f'argument invalid! data.{key}.value must be a number')
    if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
        raise WxFail(47001, "data format error: miniprogram_state")
    service_state(sb).sent.append({"kind": "subscribe", "appid": req.appid, **body})
    return _ok()


@route("GET", "/cgi-bin/message/wxopen/activityid/create")
def create_activity_id(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    if req.query.get("openid"):
        check_openid(sb, req.appid, req.query["openid"], recent=False)
    activity_id = f"1042_{secrets.token_urlsafe(12)}"
    expires = int(sb.clock()) + ACTIVITY_LIFETIME
    service_state(sb).activities[activity_id] = {"appid": req.appid, "expires": expires,
                                                 "state": None}
    return {"activity_id": activity_id, "expiration_time": expires, "errcode": 0,
            "errmsg": "ok"}


@route("POST", "/cgi-bin/message/wxopen/updatablemsg/send")
def set_updatable_msg(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    activity = service_state(sb).activities.get(str(body.get("activity_id")))
    if activity is None or activity["appid"] != req.appid or sb.clock() > activity["expires"]:
        raise WxFail(40097, "invalid args: activity_id")
    target = body.get("target_state")
    info = body.get("template_info") or {}
    params = {p.get("name"): p.get("value") for p in info.get("parameter_list") or []
              if isinstance(p, dict)}
    needed = {0: ("member_count", "room_limit"), 1: ("path", "version_type")}.get(
        target if isinstance(target, int) else -1)
    if needed is None or any(not params.get(name) for name in needed):
        raise WxFail(40097, "invalid args: template_info")
    if target == 1 and params["version_type"] not in ("develop", "trial", "release"):
        raise WxFail(40097, "invalid args: version_type")
    activity["state"] = target
    service_state(sb).sent.append({"kind": "updatable", "appid": req.appid, **body})
    return _ok()


# -- links ------------------------------------------------------------------------------------


@route("POST", "/wxa/genwxashortlink")
def genwxashortlink(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    page_url = body.get("page_url")
    if not page_url or not isinstance(page_url, str) or len(page_url) > 1024 \
            or page_url.startswith("/"):
        raise WxFail(40066, "invalid url")
    title = str(body.get("page_title") or "")[:20]
    app = sb.apps[req.appid]
    return _ok(link=f"#小程序://{app.name}/{title}/{secrets.token_urlsafe(11)[:15]}")


def _check_expiry(sb: WeChatSandbox, body: dict[str, Any]) -> None:
    expire_type = body.get("expire_type", 0)
    if expire_type == 1:
        interval = body.get("expire_interval")
        if not isinstance(interval, int) or not 1 <= interval <= MAX_LINK_DAYS:
            raise WxFail(85401, "time limit between 1min and 1year")
    elif expire_type == 0 and "expire_time" in body:
        expire_time = body["expire_time"]
        now = sb.clock()
        if not isinstance(expire_time, int) or not now < expire_time <= now + MAX_LINK_DAYS * 86400:
            raise WxFail(85401, "time limit between 1min and 1year")
    elif expire_type not in (0, 1):
        raise WxFail(47001, "data format error: expire_type")


def _check_jump(path: object, query: object) -> None:
    if path is not None and (not isinstance(path, str) or "?" in path or path.startswith("/")):
        raise WxFail(40165, "invalid weapp pagepath")
    if query is not None and (not isinstance(query, str) or len(query) > 1024):
        raise WxFail(40212, "invalid query")


@route("POST", "/wxa/generate_urllink")
def generate_urllink(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    _check_jump(body.get("path"), body.get("query"))
    _check_expiry(sb, body)
    return _ok(url_link=f"https://wxaurl.cn/{secrets.token_urlsafe(8)[:11]}")


@route("POST", "/wxa/generatescheme")
def generatescheme(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    jump = body.get("jump_wxa") or {}
    if not isinstance(jump, dict):
        raise WxFail(47001, "data format error: jump_wxa")
    _check_jump(jump.get("path"), jump.get("query"))
    _check_expiry(sb, body)
    return _ok(openlink=f"weixin://dl/business/?t={secrets.token_urlsafe(8)[:10]}")


# -- SOTER ------------------------------------------------------------------------------------


@route("POST", "/cgi-bin/soter/verify_signature")
def soter_verify_signature(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    body = req.json()
    check_openid(sb, req.appid, body.get("openid"), recent=False)
    json_string, signature = body.get("json_string"), body.get("json_signature")
    if not isinstance(json_string, str) or not isinstance(signature, str):
        raise WxFail(47001, "data format error")
    return _ok(is_ok=secrets.compare_digest(soter_signature(json_string), signature))
