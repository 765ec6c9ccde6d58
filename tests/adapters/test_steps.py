"""The step drivers (``wxcore.adapters.steps``): a generator of steps gets each answer, has a
failed step's error raised at that step's ``yield``, and returns its result -- the same for
the sync driver and the awaiting one, which every fetcher, component flow and I/O plan use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

import pytest

from wxcore.errors import APIError, CredentialError

from wxcore.adapters.steps import adrive, drive

Steps = Generator[str, Any, list[object]]


def steps() -> Steps:
    """Asks three things; the second is refused, caught here, and asked again differently."""
    seen: list[object] = [(yield "first")]
    try:
        seen.append((yield "refused"))
    except CredentialError as exc:
        seen.append(f"caught {exc.errcode}")
        seen.append((yield "instead"))
    return seen


def answer(step: str) -> object:
    if step == "refused":
        raise CredentialError(40125, "invalid appsecret")
    return step.upper()


async def answer_later(step: str) -> object:
    await asyncio.sleep(0)
    return answer(step)


DRIVERS: dict[str, Callable[[Steps], list[object]]] = {
    "drive": lambda s: drive(s, answer),
    "adrive": lambda s: asyncio.run(adrive(s, answer_later)),
}


@pytest.mark.parametrize("run", DRIVERS.values(), ids=DRIVERS.keys())
def test_answers_are_sent_and_a_failure_is_raised_where_it_was_asked(
        run: Callable[[Steps], list[object]]) -> None:
    assert run(steps()) == ["FIRST", "caught 40125", "INSTEAD"]


@pytest.mark.parametrize("run", DRIVERS.values(), ids=DRIVERS.keys())
def test_steps_that_catch_a_failure_may_end_there_with_their_result(
        run: Callable[[Steps], list[object]]) -> None:
    def give_up() -> Steps:
        try:
            yield "refused"
        except CredentialError:
            return ["gave up"]
        raise AssertionError("not reached: the refusal was raised at the yield")

    assert run(give_up()) == ["gave up"]


@pytest.mark.parametrize("run", DRIVERS.values(), ids=DRIVERS.keys())
def test_a_failure_the_steps_do_not_catch_reaches_the_caller_and_ends_them(
        run: Callable[[Steps], list[object]]) -> None:
    def uncaught() -> Steps:
        yield "refused"
        raise AssertionError("not reached: the refusal ends the steps")

    with pytest.raises(APIError) as info:
        run(uncaught())
    assert info.value.errcode == 40125
