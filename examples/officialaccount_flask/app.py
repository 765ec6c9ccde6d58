"""Web login on an Official Account's page (网页授权) in Flask: one route, one call.

* ``GET /`` without a code: a redirect to WeChat's consent page, with a signed, expiring
  ``state`` tied to this browser's cookie (against CSRF);
* ``GET /?code=...&state=...`` (WeChat's callback): the user's profile as JSON, and the
  user's web token kept on the server so the next visit needs no trip through WeChat;
* a visit with a known ``openid`` cookie: the profile from the kept token (refreshed when it
  expires), without asking the user again.

Run it against the offline sandbox (no WeChat account needed)::

    wxcore sandbox &                                   # WeChat on http://127.0.0.1:8765
    WECHAT_API_BASE=http://127.0.0.1:8765 flask --app app run

Against WeChat, set ``WECHAT_APPID`` and ``WECHAT_SECRET`` and leave ``WECHAT_API_BASE`` out;
the page must be served from the account's authorized web domain.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, jsonify, redirect, request
from werkzeug.wrappers import Response  # redirect() gives one; jsonify() a subclass

from wxcore import APIError, OfficialAccount, WeChatSandbox
from wxcore.adapters.transport import Urllib3Transport
from wxcore.officialaccount.oauth import AuthorizationRefusedError, OAuthStateError, UserInfoResult

BROWSER_COOKIE = "browser"  # ties the state to this browser (the CSRF check)
OPENID_COOKIE = "openid"  # who logged in here before: lets the kept token be reused


def official_account_from_environment() -> OfficialAccount:
    """The client the environment describes: WeChat, or a sandbox at ``WECHAT_API_BASE``."""
    base = os.environ.get("WECHAT_API_BASE")
    appid = os.environ.get("WECHAT_APPID", WeChatSandbox.DEFAULT_APPID if base else "")
    secret = os.environ.get("WECHAT_SECRET", WeChatSandbox.DEFAULT_SECRET if base else "")
    transport = Urllib3Transport.for_base_url(base) if base else None
    return OfficialAccount(appid, secret, transport=transport)


def create_app(oa: OfficialAccount | None = None) -> Flask:
    app = Flask(__name__)
    client = oa if oa is not None else official_account_from_environment()

    @app.get("/")
    def login() -> Response | tuple[Response, int]:
        browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_hex(16)
        try:
            answer = client.authorize_userinfo(
                request.base_url, request.args.get("code"), request.args.get("state"),
                openid=request.cookies.get(OPENID_COOKIE), context=browser)
        except OAuthStateError:  # forged, expired, or from another browser: a CSRF attempt
            return jsonify(error="bad state"), 403
        except AuthorizationRefusedError:
            return jsonify(error="you declined to log in"), 403
        except APIError as exc:
            return jsonify(error="wechat refused", errcode=exc.errcode), 502
        if isinstance(answer, UserInfoResult):
            response: Response = jsonify(openid=answer.openid, nickname=answer.nickname)
            response.set_cookie(OPENID_COOKIE, answer.openid, httponly=True)
        else:
            response = redirect(answer.url)
        response.set_cookie(BROWSER_COOKIE, browser, httponly=True)
        return response

    return app


if __name__ == "__main__":  # pragma: no cover - ``flask --app app run`` is the usual way
    create_app().run()
