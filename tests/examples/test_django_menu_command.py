"""examples/message_server_django's ``wechat_menu`` command against the sandbox over loopback
HTTP: the menu it pushes is the sandbox's menu, show prints it back, delete removes it, and a
bad file is one clear error with nothing sent."""

from __future__ import annotations

import io
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from wxcore import WeChatSandbox
from wxcore.adapters.sandbox.oa_menus import menus_of

MENU = {"button": [
    {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY"},
    {"name": "菜单", "sub_button": [
        {"type": "view", "name": "搜索", "url": "https://www.soso.com/"},
        {"type": "click", "name": "赞一下我们", "key": "V1001_GOOD"}]}]}


@pytest.fixture
def sandbox(django_example: None, wechat: tuple[WeChatSandbox, str]) -> Iterator[WeChatSandbox]:
    """The sandbox the command talks to (``WECHAT_API_BASE``), with its default account."""
    from django.test import override_settings

    sandbox, base_url = wechat
    with override_settings(WECHAT_API_BASE=base_url, WECHAT_APPID=None, WECHAT_SECRET=""):
        yield sandbox


def run(*args: str) -> str:
    """``manage.py wechat_menu ARGS``: what it printed."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("wechat_menu", *args, stdout=out)
    return out.getvalue()


def menu_file(tmp_path: pathlib.Path, document: Any, name: str = "menu.json") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document),
                    encoding="utf-8")
    return str(path)


def stored_buttons(sandbox: WeChatSandbox) -> list[dict[str, Any]] | None:
    """The sandbox's default menu without the ``sub_button: []`` it adds to leaf buttons."""
    default = menus_of(sandbox).default
    if default is None:
        return None
    return json.loads(json.dumps(default).replace(', "sub_button": []', ""))


def test_push_sets_the_sandbox_menu_and_show_prints_it_back(
        sandbox: WeChatSandbox, tmp_path: pathlib.Path) -> None:
    assert run("show").strip() == "no menu is set through the API"
    assert run("push", menu_file(tmp_path, MENU)).strip() == "menu set (2 top button(s))"
    assert stored_buttons(sandbox) == MENU["button"]
    shown = json.loads(run("show"))
    assert shown == MENU  # the file format push takes: show > menu.json round-trips
    again = run("push", menu_file(tmp_path, shown, "again.json"))
    assert "menu set" in again and stored_buttons(sandbox) == MENU["button"]


def test_a_file_with_a_matchrule_adds_a_conditional_menu(
        sandbox: WeChatSandbox, tmp_path: pathlib.Path) -> None:
    run("push", menu_file(tmp_path, MENU))
    conditional = {"button": [{"type": "click", "name": "VIP", "key": "VIP"}],
                   "matchrule": {"tag_id": "2"}}
    printed = run("push", menu_file(tmp_path, conditional, "vip.json"))
    (added,) = menus_of(sandbox).conditional
    assert printed.strip() == f"conditional menu {added['menuid']} added (1 top button(s))"
    assert added["matchrule"] == {"tag_id": "2"}
    everything = json.loads(run("show", "--all"))
    assert [m["matchrule"]["tag_id"] for m in everything["conditionalmenu"]] == ["2"]
    run("delete", "--conditional", str(added["menuid"]))
    assert menus_of(sandbox).conditional == [] and stored_buttons(sandbox) == MENU["button"]


def test_delete_removes_the_menu(sandbox: WeChatSandbox, tmp_path: pathlib.Path) -> None:
    run("push", menu_file(tmp_path, MENU))
    assert run("delete").strip() == "menu deleted (conditional menus too)"
    assert stored_buttons(sandbox) is None
    assert run("show").strip() == "no menu is set through the API"


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ('{"button": [', "not JSON (Expecting value at line 1, column 13)"),
    ("[1, 2]", 'a menu is a JSON object with "button" (got a list)'),
    ({"button": [{"type": "click", "name": "这是一个很长的菜单名", "key": "k"}]},
     "button[0].name may have at most 16 bytes in UTF-8 (got 30"),
    ({"button": [{"type": "view", "name": "搜索", "key": "k"}]},
     "button[0]: a view button takes url, not key"),
    ({"button": [{"type": "click", "name": "A", "key": "A"}], "matchrule": {"sex": "1"}},
     "matchrule.sex: WeChat no longer matches menus on sex"),
])
def test_a_bad_file_is_one_clear_error_and_nothing_is_sent(
        sandbox: WeChatSandbox, tmp_path: pathlib.Path, content: Any, message: str) -> None:
    from django.core.management import CommandError

    path = str(tmp_path / "missing.json") if content is None else menu_file(tmp_path, content)
    with pytest.raises(CommandError) as caught:
        run("push", path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert stored_buttons(sandbox) is None and menus_of(sandbox).conditional == []
    assert not [path for path in sandbox.calls if "menu" in path]


def test_check_only_checks(sandbox: WeChatSandbox, tmp_path: pathlib.Path) -> None:
    printed = run("push", "--check", menu_file(tmp_path, MENU))
    assert "a valid menu with 2 top button(s); nothing sent" in printed
    assert stored_buttons(sandbox) is None


def test_wechat_refusing_shows_its_errcode(sandbox: WeChatSandbox) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"WeChat refused: errcode 65301"):
        run("delete", "--conditional", "404")  # no such conditional menu
