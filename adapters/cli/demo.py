"""``wxcore demo``: the main job, end to end, against the embedded sandbox.

It starts the offline WeChat on a loopback port, points a real Mini Program client at it
(urllib3 transport, retries, cached token) and walks through what a back end does, printing
what happened on the wire after each step. No WeChat account is needed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from wxcore.errors import APIError, WxError
from wxcore.officialaccount.oauth import UserInfoResult

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox.oa_messages import mark_interaction
from wxcore.adapters.sandbox.oa_oauth import authorize
from wxcore.adapters.sandbox.oa_qrcode import scan
from wxcore.adapters.sandbox import Fault, SandboxServer, WeChatSandbox, login_code, phone_code
from wxcore.adapters.transport import Urllib3Transport

STABLE = "/cgi-bin/stable_token"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the main job against the embedded sandbox (no WeChat account needed)"
    )
    parser.add_argument("--quiet-logs", action="store_true", help="hide wxcore's own log lines")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out  # looked up per run: tests swap sys.stdout
    if not args.quiet_logs:
        handler = logging.StreamHandler(out)
        handler.setFormatter(logging.Formatter("      log: %(name)s: %(message)s"))
        logger = logging.getLogger("wxcore")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        return _demo(out)
    except WxError as exc:
        print(f"demo failed: {type(exc).__name__}: {exc}", file=out)
        return 1


def _demo(out: TextIO) -> int:
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    sandbox = WeChatSandbox()
    app = sandbox.default_app
    with SandboxServer(sandbox) as server:
        say(f"Sandbox WeChat listening on {server.base_url} (app {app.appid})\n")
        mp = MiniProgram(app.appid, app.secret,
                         transport=Urllib3Transport.for_base_url(server.base_url))

        say("1. A user logs in: code2session exchanges the wx.login code (no access token).")
        session = mp.code2session(login_code(sandbox, "alice"))
        say(f"   openid={session.openid} unionid={session.unionid} session_key=<hidden>")

        say("2. Three phone-number lookups share one access token.")
        for phone in ("13800138000", "13912345678", "13700000001"):
            info = mp.get_phone_number(phone_code(sandbox, phone)).phone_info
            say(f"   phone {info.purePhoneNumber} (+{info.countryCode})")
        say(f"   token fetches so far: {sandbox.calls[STABLE]} (stable_token)")

        say("3. WeChat is busy: errcode -1 twice, then a 503 from the gateway.")
        sandbox.inject(Fault("errcode", times=2, path="/cgi-bin/ticket/getticket"))
        ticket = mp.get_jsapi_ticket()
        say(f"   jsapi_ticket obtained after {sandbox.calls['/cgi-bin/ticket/getticket']} "
            f"attempts ({len(ticket)} chars)")
        sandbox.inject(Fault("status", status=503, times=1, path=STABLE))

        say("4. WeChat revokes the token early; the next call renews it once and succeeds.")
        sandbox.revoke_tokens(app.appid)
        info = mp.get_phone_number(phone_code(sandbox, "13800138000")).phone_info
        say(f"   phone {info.purePhoneNumber} read with a renewed token")

        say("5. A connection reset on a token fetch is retried transparently.")
        sandbox.revoke_tokens(app.appid)
        sandbox.inject(Fault("reset", times=1, path=STABLE))
        mp.get_phone_number(phone_code(sandbox))
        say("   call succeeded")

        _official_account(say, sandbox, server.base_url)

        say("\nWhat the sandbox saw:")
        for path, count in sorted(sandbox.calls.items()):
            say(f"   {count:3d} x {path}")
        mp.close()
    return 0


def _official_account(say: Any, sandbox: WeChatSandbox, base_url: str) -> None:
    """The Official Account part: a menu set and read back, a QR code scanned, the follower."""
    app = sandbox.default_app
    oa = OfficialAccount(app.appid, app.secret, transport=Urllib3Transport.for_base_url(base_url))
    say("6. Official Account: a menu is created (checked locally first) and read back.")
    oa.create_menu({"button": [
        {"type": "click", "name": "今日推荐", "key": "TODAY"},
        {"name": "服务", "sub_button": [
            {"type": "view", "name": "官网", "url": "https://example.com/"}]}]})
    menu = oa.get_menu().menu
    say(f"   menu {menu.menuid}: " + ", ".join(
        b.name + (f" [{', '.join(s.name for s in b.sub_button)}]" if b.sub_button else "")
        for b in menu.button))
    say("7. A user scans a temporary QR code with a scene, follows, and is looked up.")
    code = oa.create_temporary_qrcode("poster-7", expire_seconds=600)
    image = oa.show_qrcode(code.ticket)
    openid = scan(sandbox, code.ticket, "alice")
    info = oa.get_user_info(openid)
    followers = sum(1 for _ in oa.iter_followers())
    say(f"   QR image {len(image.content)} bytes from mp.weixin.qq.com; {openid} came by "
        f"{info.subscribe_scene} (scene {info.qr_scene_str!r}); {followers} followers in all")
    say("8. She logs in on the account's web page (网页授权): redirect, consent, profile.")
    callback_url = "https://shop.example.com/wechat/callback"
    redirect = oa.authorize_userinfo(callback_url)  # no code yet: where to send the browser
    if isinstance(redirect, UserInfoResult):
        raise RuntimeError("a first visit without a code must redirect to WeChat")
    answer = dict(parse_qsl(urlsplit(authorize(sandbox, redirect.url, "alice")).query))
    profile = oa.authorize_userinfo(callback_url, answer["code"], answer["state"])
    if not isinstance(profile, UserInfoResult):
        raise RuntimeError("the callback with a fresh code must give the profile")
    same = "the same openid as the follower" if profile.openid == openid else "another openid"
    say(f"   {profile.nickname} signed in: {same}; state checked, user token kept for next time")
    say("9. A customer-service reply (客服消息) works only within 48 hours of her last message.")
    try:
        oa.send_text_message(openid, "欢迎！")
    except APIError as exc:
        say(f"   before she writes: errcode {exc.errcode} ({type(exc).__name__})")
    mark_interaction(sandbox, openid)  # she writes to the account
    oa.send_text_message(openid, "欢迎！您的订单已发货。")
    say("   after she writes: the reply is sent")
    oa.close()
