"""The component lifecycle, over loopback HTTP, across a process restart.

WeChat is the sandbox served on a loopback port (its clock faked, so tokens can expire); the
platform's authorization event URL is a real WSGI server in this process; the "restarted
platform" is a fresh Python process sharing only the SQLite credential file:

ticket push → component token → pre-auth code → authorization → query_auth → a call for the
authorizer → authorizer token expiry → refresh → a call again → process restart (ticket and
refresh token read from SQLite) → unauthorized push → calls refused with a typed error.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from component_support import AES_KEY, AUTHORIZER, COMPONENT_APPID, COMPONENT_SECRET, PUSH_TOKEN
from support import FakeClock

from wxcore.adapters.component import Component
from wxcore.adapters.httpserver import BackgroundServer
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.sandbox.component_platform import add_component, authorize, unauthorize
from wxcore.adapters.transport import Urllib3Transport
from wxcore.component.errors import NotAuthorizedError

MENU = {"button": [{"type": "click", "name": "Today", "key": "V1001_TODAY"}]}

# The restarted platform: only the SQLite file and the sandbox's URL are shared.
CHILD = textwrap.dedent("""
    import json, sys
    from wxcore import Component
    from wxcore.adapters.transport import Urllib3Transport
    from wxcore.component.errors import NotAuthorizedError
    db, base_url, component_appid, secret, authorizer = sys.argv[1:6]
    component = Component(component_appid, secret, credential_store=db,
                          transport=Urllib3Transport.for_base_url(base_url), retry=None)
    try:
        menu = component.official_account(authorizer).get_menu()
        print(json.dumps({"menu": menu.menu.button[0].name}))
    except NotAuthorizedError as exc:
        print(json.dumps({"refused": type(exc).__name__, "message": str(exc)}))
""")


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def push_url() -> Iterator[tuple[str, dict[str, MessageServer]]]:
    """A loopback WSGI server for the authorization event URL (its app set by the test)."""
    holder: dict[str, MessageServer] = {}

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        return holder["server"].wsgi_app(environ, start_response)

    with BackgroundServer(make_server("127.0.0.1", 0, app, handler_class=_Quiet)) as served:
        yield f"{served.base_url}/wechat/component", holder


def _restarted(db: pathlib.Path, base_url: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), base_url, COMPONENT_APPID, COMPONENT_SECRET,
         AUTHORIZER], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_component_lifecycle(tmp_path: pathlib.Path,
                             push_url: tuple[str, dict[str, MessageServer]]) -> None:
    url, holder = push_url
    clock = FakeClock()
    sandbox = WeChatSandbox(clock=clock)
    db = tmp_path / "platform.sqlite3"
    with SandboxServer(sandbox) as wechat:
        platform = add_component(sandbox, COMPONENT_APPID, COMPONENT_SECRET, token=PUSH_TOKEN,
                                 encoding_aes_key=AES_KEY, target=url)
        component = Component(COMPONENT_APPID, COMPONENT_SECRET, credential_store=str(db),
                              transport=Urllib3Transport.for_base_url(wechat.base_url),
                              retry=None, clock=clock, sleep=clock.sleep)
        holder["server"] = component.push_server(PUSH_TOKEN, AES_KEY)

        # ticket push (WeChat pushes on request) → component token
        component.start_push_ticket()
        assert platform.replies[-1].body == b"success"  # type: ignore[union-attr]
        assert component.get_component_access_token() in platform.tokens

        # pre-auth code → the merchant authorizes → query_auth
        pre = component.create_preauthcode().pre_auth_code
        redirect = authorize(sandbox, component.login_page_url(
            pre, "https://platform.example.com/authorized"), AUTHORIZER)
        code = dict(parse_qsl(urlsplit(redirect).query))["auth_code"]
        oa = component.official_account_from_code(code)

        # a call for the authorizer
        oa.create_menu(MENU)
        assert oa.get_menu().menu.button[0].name == "Today"

        # the authorizer token expires → refreshed from the stored refresh token → call again
        refreshes = sandbox.calls["/cgi-bin/component/api_authorizer_token"]
        clock.advance(7201)
        assert oa.get_menu().menu.button[0].name == "Today"
        assert sandbox.calls["/cgi-bin/component/api_authorizer_token"] == refreshes + 1

        # process restart: a new process, only the SQLite file shared
        token_fetches = sandbox.calls["/cgi-bin/component/api_component_token"]
        assert _restarted(db, wechat.base_url) == {"menu": "Today"}
        assert sandbox.calls["/cgi-bin/component/api_component_token"] == token_fetches + 1

        # the merchant revokes: the unauthorized push reaches the event URL
        unauthorize(sandbox, COMPONENT_APPID, AUTHORIZER)
        assert platform.replies[-1].body == b"success"  # type: ignore[union-attr]
        with pytest.raises(NotAuthorizedError, match=AUTHORIZER):
            oa.get_menu()
        restarted = _restarted(db, wechat.base_url)
        assert restarted["refused"] == "NotAuthorizedError"
