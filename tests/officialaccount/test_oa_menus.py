"""Menus: WeChat's rules checked before sending, typed results, the sandbox's stored menus."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import WeChatSandbox
from wxcore.adapters.sandbox.oa_users import users_of
from wxcore.errors import UsageError
from wxcore.officialaccount import menus
from wxcore.officialaccount.errors import MenuError

MENU: dict[str, Any] = {"button": [
    {"type": "click", "name": "今日推荐", "key": "V1001_TODAY"},
    {"name": "服务", "sub_button": [
        {"type": "view", "name": "官网", "url": "https://example.com/"},
        {"type": "miniprogram", "name": "小程序", "url": "https://example.com/fallback",
         "appid": "wx8f16a5e5b1a9c7d2", "pagepath": "pages/index/index"}]}]}


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def with_button(button: dict[str, Any], *, sub: bool = False) -> dict[str, Any]:
    if sub:
        return {"button": [{"name": "菜单", "sub_button": [button]}]}
    return {"button": [button]}


def test_create_menu_sends_the_documented_body() -> None:
    call = menus.create_menu(MENU)
    assert (call.request.method, call.request.path) == ("POST", "/cgi-bin/menu/create")
    assert body(call) == MENU
    assert "今日推荐".encode() in call.request.body  # UTF-8, not \\u escapes


@pytest.mark.parametrize(("name", "sub", "ok"), [
    ("一二三四五", False, True),      # 15 bytes
    ("一二三四五六", False, False),   # 18 bytes > 16
    ("abcdefghijklmnop", False, True),
    ("abcdefghijklmnopq", False, False),
    ("一" * 20, True, True),          # 60 bytes
    ("一" * 20 + "a", True, False),
])
def test_names_are_counted_in_utf8_bytes(name: str, sub: bool, ok: bool) -> None:
    data = with_button({"type": "click", "name": name, "key": "K"}, sub=sub)
    if ok:
        menus.create_menu(data)
    else:
        with pytest.raises(UsageError, match=r"name may have at most (16|60) bytes"):
            menus.create_menu(data)


@pytest.mark.parametrize(("button", "message"), [
    ({"type": "view", "name": "a"}, r"button\[0\]\.url must be a non-empty string"),
    ({"type": "view", "name": "a", "url": "example.com"}, "http:// or https://"),
    ({"type": "click", "name": "a"}, r"\.key must be"),
    ({"type": "pic_weixin", "name": "a"}, r"\.key must be"),
    ({"type": "location_select", "name": "a", "key": "k" * 129}, "at most 128 bytes"),
    ({"type": "miniprogram", "name": "a", "appid": "wx1", "url": "https://a.b/"}, "pagepath"),
    ({"type": "media_id", "name": "a"}, r"\.media_id must be"),
    ({"type": "view_limited", "name": "a", "media_id": "m"}, None),
    ({"type": "article_view_limited", "name": "a"}, r"\.article_id must be"),
    ({"type": "click", "name": "a", "key": "k", "url": "https://x/"}, "takes key, not url"),
    ({"type": "tap", "name": "a"}, "type must be one of"),
    ({"name": "a"}, "type must be one of"),
    ({"type": "click", "name": "a", "key": "k", "value": "x"}, "does not know: value"),
])
def test_each_type_needs_its_own_keys(button: dict[str, Any], message: str | None) -> None:
    if message is None:
        assert body(menus.create_menu(with_button(button)))["button"][0] == button
        return
    with pytest.raises(UsageError, match=message):
        menus.create_menu(with_button(button))


def test_counts_and_the_shape_of_a_sub_menu() -> None:
    click = {"type": "click", "name": "a", "key": "k"}
    with pytest.raises(UsageError, match="1 to 3 buttons .got 4"):
        menus.create_menu({"button": [click] * 4})
    with pytest.raises(UsageError, match="1 to 3 buttons .got 0"):
        menus.create_menu({"button": []})
    with pytest.raises(UsageError, match="1 to 5 buttons .got 6"):
        menus.create_menu({"button": [{"name": "m", "sub_button": [click] * 6}]})
    with pytest.raises(UsageError, match="has sub_button, so it has no type"):
        menus.create_menu({"button": [{"type": "click", "name": "m", "key": "k",
                                       "sub_button": [click]}]})
    nested = {"name": "n", "sub_button": [click]}
    with pytest.raises(UsageError, match="cannot have sub-buttons"):
        menus.create_menu({"button": [{"name": "m", "sub_button": [nested]}]})
    with pytest.raises(UsageError, match="use add_conditional_menu"):
        menus.create_menu({**MENU, "matchrule": {"tag_id": 2}})


def test_matchrule_rules() -> None:
    good = {**MENU, "matchrule": {"tag_id": 2, "client_platform_type": "1"}}
    assert body(menus.add_conditional_menu(good))["matchrule"] == {"tag_id": "2",
                                                                   "client_platform_type": "1"}
    for rule, message in [({}, "needs tag_id"), ({"sex": "1"}, "sex.*65320"),
                          ({"tag_id": 2, "country": "中国"}, "country"),
                          ({"group_id": 2}, "groups were retired"),
                          ({"client_platform_type": 4}, "1 .iOS., 2 .Android. or 3"),
                          ({"tag_id": "vip"}, "tag_id must be a tag's id"),
                          ({"tag": 2}, "does not know: tag")]:
        with pytest.raises(UsageError, match=message):
            menus.add_conditional_menu({**MENU, "matchrule": rule})
    with pytest.raises(UsageError, match="matchrule must be a mapping"):
        menus.add_conditional_menu(MENU)


def test_menu_data_of_the_wrong_kind_is_named() -> None:
    with pytest.raises(UsageError, match="menu_data"):
        menus.create_menu([MENU])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="menuid must be"):
        menus.delete_conditional_menu("abc")


def test_sandbox_stores_and_returns_the_menu(oa: OfficialAccount) -> None:
    with pytest.raises(MenuError) as missing:
        oa.get_menu()
    assert missing.value.errcode == 46003
    oa.create_menu(MENU)
    got = oa.get_menu()
    assert [b.name for b in got.menu.button] == ["今日推荐", "服务"]
    assert got.menu.button[1].sub_button[1].pagepath == "pages/index/index"
    assert got.menu.menuid > 0 and got.conditionalmenu == []
    current = oa.get_current_selfmenu_info()
    assert current.is_menu_open == 1
    sub = current.selfmenu_info.button[1].sub_button
    assert sub is not None and [b.name for b in sub.list] == ["官网", "小程序"]
    # the typed menu goes back as it came: edit a name and send it again
    got.menu.button[0].name = "推荐"
    oa.create_menu(got.menu)
    assert oa.get_menu().menu.button[0].name == "推荐"
    oa.delete_menu()
    assert oa.get_current_selfmenu_info().is_menu_open == 0


def test_conditional_menus_match_the_users_tags(oa: OfficialAccount,
                                                sandbox: WeChatSandbox) -> None:
    vip_button = {"type": "click", "name": "VIP", "key": "VIP"}
    with pytest.raises(MenuError) as no_default:  # conditional menus need a default menu
        oa.add_conditional_menu({"button": [vip_button], "matchrule": {"tag_id": 2}})
    assert no_default.value.errcode == 65303
    oa.create_menu(MENU)
    vip = oa.create_tag("VIP").tag.id
    vip_menu = oa.add_conditional_menu({"button": [vip_button], "matchrule": {"tag_id": vip}})
    ios_menu = oa.add_conditional_menu({"button": [{**vip_button, "name": "iOS"}],
                                        "matchrule": {"client_platform_type": 1}})
    alice, bob, carol = list(users_of(sandbox).users)[:3]
    oa.tag_users(vip, [alice, bob])
    users_of(sandbox).users[bob].platform = 1
    assert oa.try_match_menu(alice).button[0].name == "VIP"
    assert oa.try_match_menu(bob).button[0].name == "iOS"  # the newest matching rule wins
    assert oa.try_match_menu(carol).button[0].name == "今日推荐"  # no rule fits: the default
    assert [m.menuid for m in oa.get_menu().conditionalmenu] == [int(vip_menu.menuid),
                                                                 int(ios_menu.menuid)]
    oa.delete_conditional_menu(ios_menu.menuid)
    assert oa.try_match_menu(bob).button[0].name == "VIP"
    with pytest.raises(MenuError) as gone:
        oa.delete_conditional_menu(ios_menu.menuid)
    assert gone.value.errcode == 65301
    with pytest.raises(MenuError) as nobody:
        oa.try_match_menu("not-a-follower")
    assert nobody.value.errcode == 65302


def test_sandbox_refuses_what_the_builder_would_have(oa: OfficialAccount) -> None:
    raw = menus.CREATE_MENU.call(json={"button": [{"type": "click", "name": "一二三四五六",
                                                   "key": "k"}]})
    with pytest.raises(MenuError) as refused:
        oa.call(raw)
    assert refused.value.errcode == 40018


def test_the_console_section_shows_the_stored_menu(oa: OfficialAccount,
                                                   sandbox: WeChatSandbox) -> None:
    appid = sandbox.default_app.appid
    assert "menu" not in sandbox.app_state(appid).get("official_account", {})
    oa.create_menu(MENU)
    section = sandbox.app_state(appid)["official_account"]
    assert [b["name"] for b in section["menu"]["button"]] == ["今日推荐", "服务"]
    assert section["menu"]["button"][1]["sub_button"][0]["url"] == "https://example.com/"
