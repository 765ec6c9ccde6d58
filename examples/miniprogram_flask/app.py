"""A Mini Program back end in Flask: ``wx.login()`` codes become sessions, phone-number button
codes become phone numbers.

Endpoints (JSON in, JSON out):

* ``POST /api/login`` ``{"code": "<wx.login code>"}`` -> ``{"session": ..., "openid": ...}``
* ``POST /api/phone`` ``{"code": "<getPhoneNumber code>"}`` with ``Authorization: Bearer
  <session>`` -> ``{"phone": "13800138000", "country_code": "86"}``

Run it against the offline sandbox (no WeChat account needed)::

    wxcore sandbox &                                   # WeChat on http://127.0.0.1:8765
    WECHAT_API_BASE=http://127.0.0.1:8765 flask --app app run

Against WeChat, set ``WECHAT_APPID`` and ``WECHAT_SECRET`` and leave ``WECHAT_API_BASE`` out.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request

from wxcore import APIError, MiniProgram, UsageError, WeChatSandbox
from wxcore.adapters.transport import Urllib3Transport
from wxcore.miniprogram.errors import InvalidCodeError


@dataclass(frozen=True)
class Session:
    """Who a session belongs to. ``session_key`` stays on the server: never send it out."""

    openid: str
    session_key: str


def mini_program_from_environment() -> MiniProgram:
    """The client the environment describes: WeChat, or a sandbox at ``WECHAT_API_BASE``."""
    base = os.environ.get("WECHAT_API_BASE")
    appid = os.environ.get("WECHAT_APPID", WeChatSandbox.DEFAULT_APPID if base else "")
    secret = os.environ.get("WECHAT_SECRET", WeChatSandbox.DEFAULT_SECRET if base else "")
    transport = Urllib3Transport.for_base_url(base) if base else None
    return MiniProgram(appid, secret, transport=transport)


def create_app(mp: MiniProgram | None = None) -> Flask:
    app = Flask(__name__)
    client = mp if mp is not None else mini_program_from_environment()
    sessions: dict[str, Session] = {}  # a real app keeps these in its database or Redis

    def fail(status: int, reason: str, **details: Any) -> tuple[Response, int]:
        return jsonify(error=reason, **details), status

    def code_from_body() -> str | None:
        body = request.get_json(silent=True)
        code = body.get("code") if isinstance(body, dict) else None
        return code if isinstance(code, str) and code else None

    @app.post("/api/login")
    def login() -> Any:
        code = code_from_body()
        if code is None:
            return fail(400, "send {\"code\": <the wx.login() code>}")
        try:
            result = client.code2session(code)
        except InvalidCodeError:
            return fail(401, "the login code is invalid or was used already")
        session = secrets.token_urlsafe(24)
        sessions[session] = Session(result.openid, result.session_key)
        return jsonify(session=session, openid=result.openid)

    @app.post("/api/phone")
    def phone() -> Any:
        user = sessions.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if user is None:
            return fail(401, "log in first: Authorization: Bearer <session>")
        code = code_from_body()
        if code is None:
            return fail(400, "send {\"code\": <the getPhoneNumber code>}")
        try:
            info = client.get_phone_number(code, openid=user.openid).phone_info
        except InvalidCodeError:
            return fail(401, "the phone-number code is invalid or was used already")
        return jsonify(phone=info.purePhoneNumber, country_code=info.countryCode)

    @app.errorhandler(UsageError)
    def bad_request(exc: UsageError) -> Any:
        return fail(400, str(exc))

    @app.errorhandler(APIError)
    def wechat_refused(exc: APIError) -> Any:
        # errcode and rid are what WeChat's support asks for; the message holds no secret
        return fail(502, "WeChat refused the call", errcode=exc.errcode, rid=exc.rid)

    return app


if __name__ == "__main__":  # pragma: no cover - `flask --app app run` is the usual way
    create_app().run()
