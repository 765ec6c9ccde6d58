"""Driving steps: the one loop, once for sync answers and once for awaited ones.

Token fetchers (:meth:`~wxcore.adapters.tokens.AccessTokenFetcher.steps`), a component's
credential flows (:mod:`wxcore.adapters.component_flows`) and the facades' I/O plans
(:mod:`wxcore.adapters.io_methods`) are generators of *steps*: each yields what it needs, is
sent the answer and finally returns its result. A step whose answer fails has its error
raised inside the generator at that ``yield``, so the generator may catch it (a refused
ticket, a revoked refresh token, a rejected OAuth code) or let it pass. :func:`drive` answers
each step with a plain function, :func:`adrive` awaits an async one; each driver of those
modules is only its way of answering a step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

__all__ = ["drive", "adrive"]

S = TypeVar("S")
R = TypeVar("R")


def drive(steps: Generator[S, Any, R], answer: Callable[[S], object]) -> R:
    """Run ``steps`` to their result, sending each step ``answer(step)``; an error of
    ``answer`` is thrown into the steps at the step that failed."""
    try:
        step = next(steps)
        while True:
            try:
                reply = answer(step)
            except Exception as exc:
                step = steps.throw(exc)
            else:
                step = steps.send(reply)
    except StopIteration as done:
        result: R = done.value  # what the steps returned (StopIteration.value is Any)
        return result


async def adrive(steps: Generator[S, Any, R], answer: Callable[[S], Awaitable[object]]) -> R:
    """:func:`drive` with each answer awaited (``await answer(step)``)."""
    try:
        step = next(steps)
        while True:
            try:
                reply = await answer(step)
            except Exception as exc:
                step = steps.throw(exc)
            else:
                step = steps.send(reply)
    except StopIteration as done:
        result: R = done.value  # what the steps returned (StopIteration.value is Any)
        return result
