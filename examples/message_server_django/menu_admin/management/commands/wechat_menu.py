"""``python manage.py wechat_menu``: the Official Account's custom menu (自定义菜单) from a file.

* ``push menu.json`` -- set the default menu from WeChat's JSON (``{"button": [...]}``); a
  file with a ``matchrule`` adds a conditional menu instead and prints its menuid.
  ``--check`` only checks the file against WeChat's rules, sending nothing.
* ``show`` -- print the default menu as a file ``push`` takes back; ``--all`` prints WeChat's
  whole answer, conditional menus included.
* ``delete`` -- delete the default menu and with it every conditional menu;
  ``--conditional MENUID`` deletes one conditional menu.

A file that is missing, not JSON, or breaks a menu rule is reported in one line naming the
file and what is wrong (the button, the field); WeChat's refusals show their errcode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wxcore import APIError, UsageError
from wxcore.officialaccount.menus import check_menu

from menu_admin.client import official_account

#: errcode of menu/get when the account has no menu set through the API
NO_MENU = 46003


def read_menu_file(path: str) -> dict[str, Any]:
    """The menu document in ``path``: a JSON object, or a CommandError saying what is wrong."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a directory, not a menu file") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno})") from None
    if not isinstance(document, dict):
        raise CommandError(f"{path}: a menu is a JSON object with \"button\" "
                           f"(got a {type(document).__name__})")
    return document


class Command(BaseCommand):
    help = "Push, show or delete the Official Account's custom menu (自定义菜单)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="push|show|delete")
        push = actions.add_parser("push", help="set the menu from a JSON file")
        push.add_argument("file", help='the menu: {"button": [...]}, with "matchrule" for a '
                                       "conditional menu")
        push.add_argument("--check", action="store_true",
                          help="only check the file against WeChat's rules; send nothing")
        show = actions.add_parser("show", help="print the menu set through the API")
        show.add_argument("--all", action="store_true",
                          help="WeChat's whole answer, conditional menus included")
        delete = actions.add_parser("delete", help="delete the menu (and conditional menus)")
        delete.add_argument("--conditional", metavar="MENUID",
                            help="delete only this conditional menu")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "push":
                self.push(options["file"], check_only=options["check"])
            elif action == "show":
                self.show(everything=options["all"])
            else:
                self.delete(options["conditional"])
        except UsageError as exc:  # a rule broken in the arguments, caught before sending
            raise CommandError(str(exc)) from None
        except APIError as exc:
            raise CommandError(f"WeChat refused: errcode {exc.errcode} ({exc.errmsg})") from None

    def push(self, path: str, *, check_only: bool) -> None:
        document = read_menu_file(path)
        conditional = "matchrule" in document
        try:
            body = check_menu(document, conditional=conditional)
        except UsageError as exc:
            raise CommandError(f"{path}: {exc}") from None
        buttons = len(body["button"])
        if check_only:
            self.stdout.write(f"{path}: a valid {'conditional ' if conditional else ''}menu "
                              f"with {buttons} top button(s); nothing sent")
            return
        with official_account() as oa:
            if conditional:
                menuid = oa.add_conditional_menu(body).menuid
                self.stdout.write(f"conditional menu {menuid} added ({buttons} top button(s))")
            else:
                oa.create_menu(body)
                self.stdout.write(f"menu set ({buttons} top button(s))")

    def show(self, *, everything: bool) -> None:
        with official_account() as oa:
            try:
                result = oa.get_menu()
            except APIError as exc:
                if exc.errcode != NO_MENU:
                    raise
                self.stdout.write("no menu is set through the API")
                return
        if everything:
            shown: Any = result.result_json
        else:
            shown = msgspec.to_builtins(result.menu)
            shown.pop("menuid", None)
        self.stdout.write(json.dumps(shown, ensure_ascii=False, indent=2))

    def delete(self, menuid: str | None) -> None:
        with official_account() as oa:
            if menuid is None:
                oa.delete_menu()
                self.stdout.write("menu deleted (conditional menus too)")
            else:
                oa.delete_conditional_menu(menuid)
                self.stdout.write(f"conditional menu {menuid} deleted")
