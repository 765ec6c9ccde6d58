"""Builders check argument types from their annotations (``wxcore.checks.checked``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import pytest

from wxcore.checks import checked
from wxcore.endpoint import TableBuilder
from wxcore.errors import UsageError
from wxcore.facade import FacadeMethod
from wxcore.miniprogram import images, login, subscribe

from wxcore.adapters.image_methods import ImagePlan
from wxcore.adapters.io_methods import IOMethod
from wxcore.adapters.miniprogram import MiniProgram


@checked
def sample(name: str, count: int, mode: Literal["a", "b"], flag: bool | None = None, *,
           data: Mapping[str, Any] | None = None, tags: list[str] | None = None,
           level: Literal[0, 1] = 0, ratio: float | None = None) -> str:
    return "built"


@pytest.mark.parametrize("call,message", [
    (lambda: sample(["a"], 1, "a"), "name must be a string (got list ['a'])"),
    (lambda: sample("  ", 1, "a"), "name must be a non-blank string"),
    (lambda: sample("x", "1", "a"), "count must be an integer (got str '1')"),
    (lambda: sample("x", True, "a"), "count must be an integer (got bool True)"),
    (lambda: sample("x", 1, "c"), "mode must be one of 'a', 'b' (got 'c')"),
    (lambda: sample("x", 1, "a", flag=1), "flag must be True or False"),
    (lambda: sample("x", 1, "a", data="notadict"), "data must be a mapping"),
    (lambda: sample("x", 1, "a", tags="abc"), "tags must be a list"),
    (lambda: sample("x", 1, "a", tags=["ok", 3]), "tags[1] must be a string"),
    (lambda: sample("x", 1, "a", level=True), "level must be one of 0, 1 (got True)"),
    (lambda: sample("x", 1, "a", ratio="2"), "ratio must be a number"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_wrong_arguments_raise_usage_errors_naming_them(call: Callable[[], object],
                                                       message: str) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    assert message in str(caught.value)


def test_right_arguments_pass_through() -> None:
    assert sample("x", 1, "b", None, data={"k": 1}, tags=["t"], level=1, ratio=2) == "built"


@pytest.mark.parametrize("call,message", [
    (lambda: login.code2session("wx1", ["a"]), "js_code must be a string"),
    (lambda: login.get_phone_number(123), "code must be a string (got int 123)"),
    (lambda: login.get_phone_number({"x": 1}), "code must be a string (got dict"),
    (lambda: login.get_phone_number("  "), "code must be a non-blank string"),
    (lambda: subscribe.send_subscribe_message("o", "t", "notadict"), "data must be a mapping"),
    (lambda: images.ocr_printed_text(img_url=123), "img_url must be a string"),
])
def test_builders_check_types_before_anything_is_sent(call: Callable[[], object],
                                                      message: str) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    assert message in str(caught.value)


def test_every_declared_builder_is_checked() -> None:
    # FacadeMethods, and the image methods (IOMethods over an ImagePlan, which holds its row)
    builders = [value.builder if isinstance(value, FacadeMethod) else value.plan.query
                for cls in MiniProgram.__mro__ for value in vars(cls).values()
                if isinstance(value, FacadeMethod)
                or (isinstance(value, IOMethod) and isinstance(value.plan, ImagePlan))]
    assert len(builders) >= 30
    for builder in builders:
        while not hasattr(builder, "__wrapped__") and isinstance(builder, TableBuilder):
            inner = getattr(builder, "query", None)  # a wrapper row delegates to its query
            if inner is None:
                builder = type(builder).__call__
                break
            builder = inner
        assert hasattr(builder, "__wrapped__"), f"{builder!r} is not @checked"
