"""Handlers are typed: mypy (its API, on a generated snippet) accepts a handler annotated with
the class the router hands it and rejects a wrong annotation or a non-reply return type,
for plain and ``async def`` handlers alike.

The snippet is generated from the runtime tables (MESSAGE_TYPES, EVENT_TYPES,
COMPONENT_TYPES), so a type added there without its overload in the router fails here.
"""

from __future__ import annotations

import os
import pathlib
import re

import pytest

from wxcore.messages.models import COMPONENT_TYPES, EVENT_TYPES, MESSAGE_TYPES

mypy_api = pytest.importorskip("mypy.api", reason="mypy is in the test extra")

ROOT = pathlib.Path(__file__).resolve().parents[2]

# WeChat's own spelling of the event names (the tables hold them lower-cased).
WECHAT_EVENT_NAMES = {"scan": "SCAN", "location": "LOCATION", "click": "CLICK", "view": "VIEW",
                      "templatesendjobfinish": "TEMPLATESENDJOBFINISH"}


def _wrong_class(cls: type, table: dict[str, type]) -> type:
    """A class from ``table`` a handler of ``cls`` must not be annotated with."""
    return next(other for other in table.values() if not issubclass(cls, other))


def _snippet() -> tuple[str, set[int]]:
    lines = [
        "from typing import Any",
        "from wxcore.messages import *",
        "from wxcore.messages.router import AnyEvent",
        "from wxcore.messages.replies import Reply",
        "router = Router()",
    ]
    bad: set[int] = set()

    def add(decorator: str, annotation: str, returns: str = "None", *, wrong: bool = False,
            asynchronous: bool = False) -> None:
        lines.append(f"@router.{decorator}")
        if wrong:
            bad.add(len(lines))  # mypy reports the decorator line
        define = "async def" if asynchronous else "def"
        lines.append(f"{define} handler_{len(lines)}(push: {annotation}) -> {returns}:")
        lines.append("    raise NotImplementedError")

    for name, cls in MESSAGE_TYPES.items():
        add(f'message("{name}")', cls.__name__, "str")
        add(f'message("{name}")', _wrong_class(cls, MESSAGE_TYPES).__name__, wrong=True)
    for name, cls in EVENT_TYPES.items():
        for spelling in {name, WECHAT_EVENT_NAMES.get(name, name)}:
            add(f'event("{spelling}")', cls.__name__, "Reply | None")
            add(f'event("{spelling}", key="k")', _wrong_class(cls, EVENT_TYPES).__name__, wrong=True)
    for name, push in COMPONENT_TYPES.items():
        add(f'info("{name}")', push.__name__)
        add(f'info("{name}")', _wrong_class(push, COMPONENT_TYPES).__name__, wrong=True)
    add('message("text")', "BaseMessage")  # a supertype is fine
    add('message("text")', "TextMessage", "int", wrong=True)  # not a reply
    add('event("*")', "AnyEvent")
    add('event("*")', "BaseEvent", wrong=True)  # unmodelled events arrive as GenericMessage
    add('message("not_modelled")', "GenericMessage")
    add("default", "Push")
    add("default", "TextMessage", wrong=True)
    # async handlers are typed the same way (the async server awaits them)
    add('message("text")', "TextMessage", "str", asynchronous=True)
    add('event("CLICK", key="k")', "ClickEvent", "Reply | None", asynchronous=True)
    add('message("image")', "TextMessage", "str", wrong=True, asynchronous=True)
    add('message("text")', "TextMessage", "int", wrong=True, asynchronous=True)  # not a reply
    add("default", "Push", asynchronous=True)
    add("default", "TextMessage", wrong=True, asynchronous=True)
    return "\n".join(lines) + "\n", bad


def test_mypy_checks_handler_annotations_against_the_router(tmp_path: pathlib.Path) -> None:
    source, bad = _snippet()
    snippet = tmp_path / "handlers.py"
    snippet.write_text(source)
    previous = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(ROOT)  # the package as in the tree, not the editable hook
    try:
        stdout, stderr, _status = mypy_api.run(
            ["--strict", "--no-error-summary", "--follow-imports=silent",
             "--cache-dir", str(ROOT / ".mypy_cache"), str(snippet)])
    finally:
        if previous is None:
            os.environ.pop("MYPYPATH", None)
        else:
            os.environ["MYPYPATH"] = previous
    output = stdout + stderr
    flagged = {int(m[1]) for m in re.finditer(r"handlers\.py:(\d+): error", output)}
    assert len(bad) > 30 and flagged == bad, output
