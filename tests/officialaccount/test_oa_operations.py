"""Operations (运维) on both account types: IPs, callback check, quotas, rid lookups."""

from __future__ import annotations

import json

import pytest

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.sandbox.oa_operations import CLEARS_PER_MONTH
from wxcore.adapters.sandbox.push_console import PushTargetBody, set_target
from wxcore.adapters.transport import Urllib3Transport
from wxcore.errors import CredentialError, QuotaError, UsageError
from wxcore.officialaccount import operations
from wxcore.officialaccount.errors import (
    CallbackCheckError,
    QuotaClearLimitError,
    RidError,
    ShortKeyError,
)


def test_builders() -> None:
    assert json.loads(operations.check_callback("dns", "UNICOM").request.body) == {
        "action": "dns", "check_operator": "UNICOM"}
    v2 = operations.clear_quota_by_app_secret("wx1").request
    assert (v2.path, v2.auth.kind, v2.auth.param, v2.auth.place.value) == (
        "/cgi-bin/clear_quota/v2", "app_secret", "appsecret", "body")
    assert json.loads(v2.body) == {"appid": "wx1"}  # the secret is bound later, never here
    with pytest.raises(UsageError, match="check_operator must be one of"):
        operations.check_callback("all", "CMCC")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="cgi_path must be an API path"):
        operations.get_api_quota("https://api.weixin.qq.com/cgi-bin/menu/get")
    with pytest.raises(UsageError, match="rid must be hex groups"):
        operations.get_rid("not a rid")


def test_both_facades_have_the_operations(oa: OfficialAccount, mp: MiniProgram) -> None:
    assert oa.get_callback_ip().ip_list and mp.get_api_domain_ip().ip_list
    assert MiniProgram.get_rid.__doc__ == OfficialAccount.get_rid.__doc__


def test_quota_counts_and_clears(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    for _ in range(3):
        oa.get_tags()
    counted = oa.get_api_quota("/cgi-bin/tags/get").quota
    assert counted.used == 3 and counted.remain == counted.daily_limit - 3
    sandbox.quotas["/cgi-bin/tags/get"] = 4
    oa.get_tags()
    with pytest.raises(QuotaError):
        oa.get_tags()
    assert oa.get_api_quota("/cgi-bin/tags/get").quota.remain == 0
    oa.clear_quota()
    assert oa.get_api_quota("/cgi-bin/tags/get").quota.used == 0
    oa.get_tags()  # works again
    for _ in range(CLEARS_PER_MONTH - 2):
        oa.clear_quota_by_app_secret()
    oa.clear_quota()  # the tenth
    with pytest.raises(QuotaClearLimitError):
        oa.clear_quota_by_app_secret()


def test_clear_quota_by_secret_needs_the_right_secret(sandbox: WeChatSandbox) -> None:
    from wxcore.adapters.sandbox import SandboxTransport

    wrong = OfficialAccount(sandbox.default_app.appid, "not-the-secret",
                            transport=SandboxTransport(sandbox))
    with pytest.raises(CredentialError):
        wrong.clear_quota_by_app_secret()


def test_rid_of_a_failed_call(oa: OfficialAccount, sandbox: WeChatSandbox,
                              clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShortKeyError) as failed:
        oa.fetch_short_key("no-such-key")
    told = oa.get_rid(failed.value.rid).request
    assert "no-such-key" in told.request_body
    assert str(failed.value.errcode) in told.response_body
    assert "access_token=***" in told.request_url
    assert oa.token_provider.get().value not in told.request_url  # the token never shows
    other = sandbox.add_app("wx0123456789abcdef", "other0secret0for0the0sandbox0000")
    from wxcore.adapters.sandbox import SandboxTransport

    stranger = OfficialAccount(other.appid, other.secret, clock=clock,
                               transport=SandboxTransport(sandbox))
    with pytest.raises(RidError) as not_theirs:
        stranger.get_rid(failed.value.rid)
    assert not_theirs.value.errcode == 76003
    clock.advance(8 * 86400)
    with pytest.raises(RidError) as too_old:
        oa.get_rid(failed.value.rid)
    assert too_old.value.errcode == 76001


def test_callback_check_over_loopback(sandbox_server: SandboxServer) -> None:
    sandbox = sandbox_server.sandbox
    app = sandbox.default_app
    oa = OfficialAccount(app.appid, app.secret,
                         transport=Urllib3Transport.for_base_url(sandbox_server.base_url))
    with pytest.raises(CallbackCheckError) as no_url:
        oa.check_callback()
    assert no_url.value.errcode == 40201
    set_target(sandbox, PushTargetBody(url=f"{sandbox_server.base_url}/wechat", token="tok3n"))
    result = oa.check_callback("all", "CHINANET")
    assert [d.ip for d in result.dns] == ["127.0.0.1"]
    assert result.ping[0].package_loss == "0%" and result.ping[0].from_operator == "CHINANET"
