"""Mini Program code management: requests, checks, the audit pushes, and the clients that
carry the methods (authorizer Mini Programs, templates on the component)."""

from __future__ import annotations

import msgspec
import pytest

from wxcore.adapters.component import AuthorizerMiniProgram, AuthorizerOfficialAccount, Component
from wxcore.adapters.credentials import MemoryCredentialStore
from wxcore.component import code
from wxcore.errors import UsageError
from wxcore.http import bind
from wxcore.messages import parse_body
from wxcore.messages.models import WeappAuditDelayEvent, WeappAuditFailEvent, WeappAuditSuccessEvent


def test_templates_send_the_component_token_as_access_token() -> None:
    bound = bind(code.get_template_list(1).request, "cmp-token")
    assert bound.path == "/wxa/gettemplatelist"
    assert bound.query == (("template_type", "1"), ("access_token", "cmp-token"))
    assert code.get_template_list().request.auth.kind == "component_access_token"
    assert code.commit(1, "{}", "v1", "d").request.auth.kind == "access_token"  # the authorizer's


def test_commit_encodes_an_ext_json_dict_as_a_string() -> None:
    body = msgspec.json.decode(code.commit(7, {"extAppid": "wx1", "ext": {"a": 1}}, "V1.0",
                                           "first").request.body)
    assert body == {"template_id": 7, "ext_json": '{"extAppid":"wx1","ext":{"a":1}}',
                    "user_version": "V1.0", "user_desc": "first"}


@pytest.mark.parametrize(("build", "field"), [
    (lambda: code.commit(1, "{}", "", "d"), "user_version"),
    (lambda: code.change_visitstatus("hide"), "action"),  # type: ignore[arg-type]
    (lambda: code.modify_domain("add"), "at least one domain list"),
    (lambda: code.modify_domain("get", ["https://a"]), "takes no domain lists"),
    (lambda: code.setwebviewdomain("set"), "webviewdomain"),
    (lambda: code.unbind_tester(), "exactly one of wechatid, userstr"),
    (lambda: code.unbind_tester("a", "b"), "exactly one"),
    (lambda: code.submit_audit(version_desc="x", extra={"version_desc": "y"}), "extra repeats"),
    (lambda: code.add_to_template(1, 2), "template_type"),  # type: ignore[arg-type]
])
def test_bad_arguments_are_refused(build, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=field):
        build()


def test_audit_pushes_are_typed() -> None:
    head = ("<xml><ToUserName><![CDATA[gh_fb9688c2a4b2]]></ToUserName><FromUserName><![CDATA["
            "od1P50M-fNQI5Gcq-trm4a7apsU8]]></FromUserName><CreateTime>1488856741</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>")
    ok = parse_body(head + "<Event><![CDATA[weapp_audit_success]]></Event>"
                           "<SuccTime>1488856741</SuccTime></xml>")
    assert isinstance(ok, WeappAuditSuccessEvent) and ok.SuccTime == 1488856741
    fail = parse_body(head + "<Event><![CDATA[weapp_audit_fail]]></Event><Reason><![CDATA[1:x]]>"
                             "</Reason><FailTime>1488856591</FailTime><ScreenShot>xxx|yyy"
                             "</ScreenShot></xml>")
    assert isinstance(fail, WeappAuditFailEvent)
    assert (fail.Reason, fail.FailTime, fail.ScreenShot.split("|")) == ("1:x", 1488856591,
                                                                        ["xxx", "yyy"])
    delay = parse_body(head + "<Event><![CDATA[weapp_audit_delay]]></Event><Reason>queue</Reason>"
                              "<DelayTime>1488856600</DelayTime></xml>")
    assert isinstance(delay, WeappAuditDelayEvent) and delay.DelayTime == 1488856600


def test_code_management_only_on_authorizer_mini_programs() -> None:
    component = Component("wx3e9a7c1b5d2f8046", "secret",
                          credential_store=MemoryCredentialStore())
    mp = component.mini_program("wx7d1c3e5a9b2f4068")
    assert isinstance(mp, AuthorizerMiniProgram) and callable(mp.submit_audit)
    assert isinstance(component.official_account("wx5c2e8a1f7b3d9046"), AuthorizerOfficialAccount)
    assert not hasattr(component.official_account("wx5c2e8a1f7b3d9046"), "submit_audit")
    assert callable(component.get_template_draft_list)
