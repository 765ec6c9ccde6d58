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


#: The builders as a type checker cannot see them: the calls below are wrong on purpose,
#: and the checks under test are the run-time ones.
loose_sample: Any = sample
loose_login: Any = login
loose_subscribe: Any = subscribe
loose_images: Any = images


@pytest.mark.parametrize("call,message", [
    (lambda: loose_sample(["a"], 1, "a"), "name must be a string (got list ['a'])"),
    (lambda: loose_sample("  ", 1, "a"), "name must be a non-blank string"),
    (lambda: loose_sample("x", "1", "a"), "count must be an integer (got str '1')"),
    (lambda: loose_sample("x", True, "a"), "count must be an integer (got bool True)"),
    (lambda: loose_sample("x", 1, "c"), "mode must be one of 'a', 'b' (got 'c')"),
    (lambda: loose_sample("x", 1, "a", flag=1), "flag must be True or False"),
    (lambda: loose_sample("x", 1, "a", data="notadict"), "data must be a mapping"),
    (lambda: loose_sample("x", 1, "a", tags="abc"), "tags must be a list"),
    (lambda: loose_sample("x", 1, "a", tags=["ok", 3]), "tags[1] must be a string"),
    (lambda: loose_sample("x", 1, "a", level=True), "level must be one of 0, 1 (got True)"),
    (lambda: loose_sample("x", 1, "a", ratio="2"), "ratio must be a number"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_wrong_arguments_raise_usage_errors_naming_them(call: Callable[[], object],
                                                       message: str) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    assert message in str(caught.value)


def test_right_arguments_pass_through() -> None:
    assert sample("x", 1, "b", None, data={"k": 1}, tags=["t"], level=1, ratio=2) == "built"


@pytest.mark.parametrize("call,message", [
    (lambda: loose_login.code2session("wx1", ["a"]), "js_code must be a string"),
    (lambda: loose_login.get_phone_number(123), "code must be a string (got int 123)"),
    (lambda: loose_login.get_phone_number({"x": 1}), "code must be a string (got dict"),
    (lambda: loose_login.get_phone_number("  "), "code must be a non-blank string"),
    (lambda: loose_subscribe.send_subscribe_message("o", "t", "notadict"), "data must be a mapping"),
    (lambda: loose_images.ocr_printed_text(img_url=123), "img_url must be a string"),
])
def test_builders_check_types_before_anything_is_sent(call: Callable[[], object],
                                                      message: str) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    assert message in str(caught.value)


def _declared_builder(value: object) -> object | None:
    """A FacadeMethod's builder, or an image method's row (an IOMethod over an ImagePlan)."""
    if isinstance(value, FacadeMethod):
        return value.builder
    if isinstance(value, IOMethod) and isinstance(value.plan, ImagePlan):
        return value.plan.query
    return None


def test_every_declared_builder_is_checked() -> None:
    builders = [builder for cls in MiniProgram.__mro__ for value in vars(cls).values()
                if (builder := _declared_builder(value)) is not None]
    assert len(builders) >= 30
    for builder in builders:
        while not hasattr(builder, "__wrapped__") and isinstance(builder, TableBuilder):
            inner = getattr(builder, "query", None)  # a wrapper row delegates to its query
            if inner is None:
                builder = type(builder).__call__
                break
            builder = inner
        assert hasattr(builder, "__wrapped__"), f"{builder!r} is not @checked"
