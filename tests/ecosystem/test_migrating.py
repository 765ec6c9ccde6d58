"""docs/migrating.md: every wxcore name in a row that is not marked planned exists."""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

import wxcore

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "migrating.md"
ROW = re.compile(r"^\| `(?P<old>[^`]+)` \| (?P<new>`[^`]+`|—) \| (?P<note>.*) \|$")


def rows() -> list[tuple[str, str, str]]:
    found = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            match = ROW.match(line)
            assert match, f"a table row not of the form | `old` | `new` or — | note |: {line}"
            found.append((match["old"], match["new"].strip("`"), match["note"]))
    return found


def resolve(name: str) -> object:
    """``Class.method`` for a top-level wxcore name, else ``package.module[.Class].attr``."""
    head, *rest = name.split(".")
    if head in vars(wxcore)["_LAZY_NAMES"]:
        target: object = getattr(wxcore, head)
    else:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                target = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            rest = parts[cut:]
            break
        else:
            raise LookupError(f"{name}: no such module")
    for attr in rest:
        target = getattr(target, attr)
    return target


def test_the_tables_cover_each_library() -> None:
    olds = [old for old, _, _ in rows()]
    for prefix, at_least in [("MPTools.", 40), ("OATools.", 10), ("check.", 1),
                             ("WechatBasic.", 40), ("client.", 80), ("WeChatComponent.", 12),
                             ("WeChatOAuth.", 6), ("WeChatCrypto.", 2)]:
        assert sum(old.startswith(prefix) for old in olds) >= at_least, prefix
    assert len(olds) == len(set(olds)), "a method listed twice"


def test_every_name_in_a_row_that_is_not_planned_exists() -> None:
    checked = [(old, new) for old, new, note in rows()
               if new != "—" and "**planned**" not in note]
    assert len(checked) > 70
    missing = []
    for old, new in checked:
        try:
            resolve(new)
        except (AttributeError, LookupError):
            missing.append(f"{old} -> {new}")
    assert missing == []


def test_the_resolver_rejects_a_name_that_does_not_exist() -> None:
    with pytest.raises(AttributeError):
        resolve("MiniProgram.code_to_session")
    with pytest.raises(AttributeError):
        resolve("wxcore.messages.parse_messages")
    assert resolve("wxcore.messages.MessageCrypto.verify_and_decrypt")
