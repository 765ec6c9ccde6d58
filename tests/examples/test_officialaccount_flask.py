"""examples/officialaccount_flask against the sandbox over loopback HTTP, through Flask's client:
the redirect, WeChat's callback, the kept token on the next visit, and a forged state."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient
from officialaccount_flask.app import create_app

from wxcore import OfficialAccount, WeChatSandbox
from wxcore.adapters.sandbox.oa_oauth import authorize
from wxcore.adapters.transport import Urllib3Transport


@pytest.fixture
def browser(wechat: tuple[WeChatSandbox, str]) -> Iterator[FlaskClient]:
    sandbox, base_url = wechat
    app = sandbox.default_app
    oa = OfficialAccount(app.appid, app.secret, transport=Urllib3Transport.for_base_url(base_url))
    yield create_app(oa).test_client()
    oa.close()


def callback(sandbox: WeChatSandbox, location: str, user: str) -> str:
    """The path and query WeChat sends the browser back to after ``user`` consents."""
    back = urlsplit(authorize(sandbox, location, user))
    return f"{back.path}?{back.query}"


def test_a_first_visit_goes_to_wechat_and_comes_back_logged_in(
        browser: FlaskClient, wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, _ = wechat
    first = browser.get("/")
    assert first.status_code == 302
    location = first.headers["Location"]
    assert location.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert dict(parse_qsl(urlsplit(location).query))["scope"] == "snsapi_userinfo"
    back = browser.get(callback(sandbox, location, "alice"))
    assert back.status_code == 200, back.get_json()
    profile = back.get_json()
    assert profile["openid"] == sandbox.openid_for(sandbox.default_app.appid, "alice")
    # The next visit reuses the kept token: no second trip through WeChat.
    again = browser.get("/")
    assert again.status_code == 200 and again.get_json() == profile


def test_a_state_from_another_browser_is_refused(
        browser: FlaskClient, wechat: tuple[WeChatSandbox, str]) -> None:
    sandbox, _ = wechat
    location = browser.get("/").headers["Location"]
    browser.delete_cookie("browser")  # the callback arrives in another browser
    answer = browser.get(callback(sandbox, location, "alice"))
    assert answer.status_code == 403 and answer.get_json() == {"error": "bad state"}
