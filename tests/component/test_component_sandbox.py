"""The component against the in-process sandbox: tickets, tokens, authorization, acting for
authorizers, revocation (WeChat's side played by adapters/sandbox/component_*.py)."""

from __future__ import annotations

import pathlib

import pytest
from component_support import AUTHORIZER, COMPONENT_APPID, Platformed, make_component

from wxcore.adapters.component import AuthorizerMiniProgram, AuthorizerOfficialAccount
from wxcore.adapters.sandbox.component_platform import authorize, push_ticket, unauthorize
from wxcore.component.errors import (
    AuthorizationRevokedError,
    InvalidAuthorizationCodeError,
    NotAuthorizedError,
    NoVerifyTicketError,
)
from wxcore.errors import UsageError
from wxcore.messages import Router
from wxcore.messages.models import AuthorizedPush, GenericMessage


def _authorized(p: Platformed, appid: str = AUTHORIZER) -> str:
    """Run a merchant's authorization; returns the authorization code from the redirect."""
    pre = p.component.create_preauthcode().pre_auth_code
    url = p.component.login_page_url(pre, "https://platform.example.com/authorized")
    redirect = authorize(p.sandbox, url, appid)
    assert redirect.startswith("https://platform.example.com/authorized?auth_code=")
    return redirect.split("auth_code=", 1)[1].split("&", 1)[0].replace("%40", "@")


MENU = {"button": [{"type": "click", "name": "Today", "key": "V1001_TODAY"}]}


def test_no_ticket_yet_is_a_clear_error(platformed: Platformed) -> None:
    with pytest.raises(NoVerifyTicketError, match="no component_verify_ticket has arrived"):
        platformed.component.get_component_access_token()


def test_ticket_push_is_stored_and_answered_success(platformed: Platformed) -> None:
    ticket = push_ticket(platformed.sandbox, COMPONENT_APPID)
    assert platformed.platform.replies[-1] == b"success"
    assert platformed.component.verify_ticket() == ticket
    token = platformed.component.get_component_access_token()
    assert token in platformed.platform.tokens
    # cached: a second read makes no second api_component_token call
    platformed.component.get_component_access_token()
    assert platformed.sandbox.calls["/cgi-bin/component/api_component_token"] == 1


def test_expired_ticket_names_when_the_last_one_came(platformed: Platformed) -> None:
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    platformed.clock.advance(13 * 3600)  # tickets live 12 hours
    with pytest.raises(NoVerifyTicketError, match=r"the last one came at 2023-11-14 22:13:20 UTC"):
        platformed.component.get_component_access_token()


def test_start_push_ticket_makes_wechat_push_one(platformed: Platformed) -> None:
    platformed.component.start_push_ticket()
    assert platformed.component.verify_ticket() == platformed.platform.tickets[-1][0]


def test_authorization_and_acting_for_an_official_account(platformed: Platformed) -> None:
    seen: list[AuthorizedPush] = []
    router = Router()
    router.info("authorized")(seen.append)
    server = platformed.component.push_server("componentpushtoken",
                                              "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", router)
    platformed.platform.target = lambda q, b: server.respond("POST", q, b)[2]
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    code = _authorized(platformed)
    assert [(p.AuthorizerAppid, p.AuthorizationCode) for p in seen] == [(AUTHORIZER, code)]

    oa = platformed.component.official_account_from_code(code)
    assert isinstance(oa, AuthorizerOfficialAccount) and oa.appid == AUTHORIZER
    assert platformed.component.authorizer_refresh_token(AUTHORIZER) == \
        platformed.platform.authorizers[AUTHORIZER].refresh_token
    oa.create_menu(MENU)
    assert oa.get_menu().menu.button[0].name == "Today"
    assert platformed.sandbox.calls["/cgi-bin/component/api_authorizer_token"] == 0  # query_auth's token
    assert platformed.component.official_account(AUTHORIZER) is oa  # made once

    with pytest.raises(InvalidAuthorizationCodeError):  # a code works once
        platformed.component.query_auth(code)


def test_authorizer_token_refreshed_ahead_of_expiry_and_after_rejection(
        platformed: Platformed) -> None:
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    oa = platformed.component.official_account_from_code(_authorized(platformed))
    first = oa.get_access_token()
    platformed.clock.advance(7200 - 200)  # inside the refresh margin
    second = oa.get_access_token()
    assert second != first
    assert platformed.sandbox.calls["/cgi-bin/component/api_authorizer_token"] == 1
    platformed.sandbox.revoke_tokens(AUTHORIZER)  # WeChat cuts the token short: 40001
    oa.create_menu(MENU)  # renewed once, resent
    assert platformed.sandbox.calls["/cgi-bin/component/api_authorizer_token"] == 2


def test_mini_program_client_and_authorizer_info(platformed: Platformed) -> None:
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    pre = platformed.component.create_preauthcode().pre_auth_code
    authorize(platformed.sandbox, platformed.component.bind_component_url(
        pre, "https://platform.example.com/cb", auth_type=2), "wx7d1c3e5a9b2f4068",
        kind="miniprogram")
    code = platformed.platform.authorizers["wx7d1c3e5a9b2f4068"]
    assert code.kind == "miniprogram"
    auth_code = next(iter(platformed.platform.codes))
    mp = platformed.component.mini_program_from_code(auth_code)
    assert isinstance(mp, AuthorizerMiniProgram)
    info = platformed.component.get_authorizer_info("wx7d1c3e5a9b2f4068")
    assert info.authorizer_info.is_mini_program
    assert info.authorization_info.func_ids == [1, 15]


def test_options_and_the_paged_authorizer_list(platformed: Platformed) -> None:
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    appids = [f"wx{i:016x}" for i in range(5)]
    for appid in appids:
        platformed.component.query_auth(_authorized(platformed, appid))
    platformed.component.set_authorizer_option(appids[0], "voice_recognize", "1")
    assert platformed.component.get_authorizer_option(
        appids[0], "voice_recognize").option_value == "1"
    assert [a.authorizer_appid for a in platformed.component.iter_authorizers(page_size=2)] == appids
    assert platformed.sandbox.calls["/cgi-bin/component/api_get_authorizer_list"] == 3
    with pytest.raises(UsageError, match="option_value"):
        platformed.component.set_authorizer_option(appids[0], "voice_recognize", "2")


def test_unauthorized_push_forgets_the_authorizer(platformed: Platformed) -> None:
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    oa = platformed.component.official_account_from_code(_authorized(platformed))
    oa.create_menu(MENU)
    unauthorize(platformed.sandbox, COMPONENT_APPID, AUTHORIZER)
    assert platformed.component.authorizer_refresh_token(AUTHORIZER) is None
    with pytest.raises(NotAuthorizedError, match="has not authorized component"):
        oa.get_menu()


def test_refresh_refused_when_revoked_without_the_push(platformed: Platformed) -> None:
    """The unauthorized push is lost: the refresh token is refused (61003) and dropped."""
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    oa = platformed.component.official_account_from_code(_authorized(platformed))
    platformed.platform.target = None  # pushes no longer arrive
    unauthorize(platformed.sandbox, COMPONENT_APPID, AUTHORIZER)
    with pytest.raises(AuthorizationRevokedError) as caught:
        oa.get_menu()
    assert caught.value.errcode == 61003
    assert platformed.component.authorizer_refresh_token(AUTHORIZER) is None


def test_unknown_info_type_keeps_every_field(platformed: Platformed) -> None:
    from wxcore.adapters.sandbox.component_platform import _deliver
    from wxcore.adapters.sandbox.pushes import component_push

    seen: list[object] = []
    router = Router()
    router.default(seen.append)
    server = platformed.component.push_server("componentpushtoken",
                                              "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", router)
    platformed.platform.target = lambda q, b: server.respond("POST", q, b)[2]
    _deliver(platformed.sandbox, platformed.platform, component_push(
        COMPONENT_APPID, "notify_third_fasteregister", create_time=1700000000,
        appid="wx9a8b7c6d5e4f3021", status=0, auth_code="xyz", msg="OK"))
    assert platformed.platform.replies[-1] == b"success"
    push = seen[0]
    assert isinstance(push, GenericMessage) and push.InfoType == "notify_third_fasteregister"
    assert push.raw["auth_code"] == "xyz" and push.raw["msg"] == "OK"


def test_plaintext_pushes_are_refused(platformed: Platformed) -> None:
    status, _, _ = platformed.server.respond("POST", {"signature": "x", "timestamp": "1",
                                                      "nonce": "1"}, b"<xml/>")
    assert status == 403


def test_tickets_and_refresh_tokens_survive_a_restart(platformed: Platformed,
                                                      tmp_path: pathlib.Path) -> None:
    push_ticket(platformed.sandbox, COMPONENT_APPID)
    platformed.component.query_auth(_authorized(platformed))
    again = make_component(platformed.sandbox, platformed.clock, tmp_path / "credentials.sqlite3")
    assert again.verify_ticket() == platformed.component.verify_ticket()
    assert again.official_account(AUTHORIZER).get_access_token()  # via the stored refresh token
    assert platformed.sandbox.calls["/cgi-bin/component/api_authorizer_token"] == 1


def test_refreshing_many_authorizers_is_bounded(platformed: Platformed) -> None:
    """Many due tokens refresh with at most max_workers requests in flight at once."""
    import threading
    import time

    push_ticket(platformed.sandbox, COMPONENT_APPID)
    appids = [f"wx{i:016x}" for i in range(24)]
    for appid in appids:
        platformed.component.query_auth(_authorized(platformed, appid))
    platformed.component.forget_authorizer(appids[-1])  # one failure among them
    platformed.clock.advance(7201)
    inner = platformed.component.transport
    in_flight, peak, guard = [0], [0], threading.Lock()

    class Counting:
        def send(self, request):  # type: ignore[no-untyped-def]
            with guard:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            try:
                time.sleep(0.02)
                return inner.send(request)
            finally:
                with guard:
                    in_flight[0] -= 1

        def close(self) -> None:
            pass

    platformed.component.transport = Counting()  # type: ignore[assignment]
    results = platformed.component.refresh_authorizer_tokens(appids, max_workers=3)
    assert isinstance(results[appids[-1]], NotAuthorizedError)
    assert all(not isinstance(results[a], Exception) for a in appids[:-1])
    calls = [r for r in platformed.sandbox.requests
             if r.path == "/cgi-bin/component/api_authorizer_token"]
    assert len(calls) == 23
    assert 1 < peak[0] <= 3
