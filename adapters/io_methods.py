"""Facade methods that need I/O besides the call, declared once for sync and async clients.

A method that reads an upload, writes a download or needs a token is written as a *plan*: a
generator function taking the client first, which yields what it needs and gets the answer
back::

    def _upload_media(client, media_type, file):
        content = yield Offload(read_upload, file, limit=...)    # blocking: read the file
        return (yield from send(client, media.upload_media(media_type, content)))

    class OfficialAccountMedia:
        upload_media = io_method(_upload_media)

Read from a sync client (``call`` returns the result) the method runs the plan inline; read
from an async client (``call`` is ``async def``) it is a coroutine function that runs each
:class:`Offload` in a worker thread (``asyncio.to_thread``), so files are never read or
written on the event loop, and awaits each :class:`Resolve`. Either way a step that fails
raises its error inside the plan, at the ``yield``, so a plan catches it where it asked
(``try: info = yield Resolve(...) except UserTokenInvalidError: ...``). Both methods carry
the plan's name, docstring and signature (minus the client), as :mod:`wxcore.facade`
methods do.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Generator
from typing import Any, Concatenate, ParamSpec, TypeVar, Union

from wxcore.endpoint import Call
from wxcore.facade import ClientMethod

from wxcore.adapters.steps import adrive, drive

__all__ = ["Offload", "Resolve", "Plan", "IOMethod", "io_method", "send"]

P = ParamSpec("P")
T = TypeVar("T")


class Offload:
    """A blocking function to run (inline for a sync client, in a worker thread for async)."""

    __slots__ = ("function", "args", "kwargs")

    def __init__(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs


class Resolve:
    """What a client method returned: the value itself (sync) or an awaitable (async)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


#: What a plan yields, and the generator a plan function returns.
Step = Union[Offload, Resolve]
Plan = Generator[Step, Any, T]


def send(client: Any, call: Call[T]) -> Plan[T]:
    """Send ``call`` through the client: ``result = yield from send(client, call)``."""
    result: T = yield Resolve(client.call(call))  # the runner sends back what call returned
    return result


def run_plan(plan: Plan[T]) -> T:
    """Run a plan in the calling thread (a sync client); a step's error is raised in the
    plan at its ``yield``, so a plan may catch it."""
    return drive(plan, _answer)


def _answer(step: Step) -> Any:
    if isinstance(step, Offload):
        return step.function(*step.args, **step.kwargs)
    return step.value


async def arun_plan(plan: Plan[T]) -> T:
    """Run a plan on the event loop, blocking steps in worker threads (an async client);
    a step's error is raised in the plan at its ``yield``, as :func:`run_plan` does."""
    import asyncio  # here: asyncio loads ssl, which a sync facade's import must not pull in

    async def answer(step: Step) -> Any:
        if isinstance(step, Offload):
            return await asyncio.to_thread(step.function, *step.args, **step.kwargs)
        return await step.value if inspect.isawaitable(step.value) else step.value

    return await adrive(plan, answer)


class IOMethod(ClientMethod[P, T]):
    """A descriptor: a plan as a method, sync or a coroutine function by the client's class."""

    def __init__(self, plan: Callable[Concatenate[Any, P], Plan[T]]) -> None:
        super().__init__(plan.__name__.lstrip("_"), None)  # the docstring: on first use
        self.plan = plan

    def _make(self, kind: type) -> Callable[..., Any]:
        plan = self.plan
        function: Callable[..., Any]
        if inspect.iscoroutinefunction(getattr(kind, "call", None)):
            async def function(client: Any, /, *args: Any, **kwargs: Any) -> Any:
                return await arun_plan(plan(client, *args, **kwargs))
        else:
            def function(client: Any, /, *args: Any, **kwargs: Any) -> Any:
                return run_plan(plan(client, *args, **kwargs))
        return self._dressed(function, kind, plan, inspect.getdoc(plan))

    def signature(self) -> inspect.Signature:
        """``self``, the plan's parameters after the client, and what the plan returns."""
        plan_signature = inspect.signature(self.plan)
        try:
            hints = typing.get_type_hints(self.plan)
        except Exception:  # an annotation unresolvable at run time: keep the text
            hints = {}
        parameters = [p.replace(annotation=hints.get(p.name, p.annotation))
                      for p in list(plan_signature.parameters.values())[1:]]
        result = hints.get("return", plan_signature.return_annotation)
        if typing.get_origin(result) is Generator:  # Plan[T]: the method returns T
            result = typing.get_args(result)[-1]
        self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
        return inspect.Signature([self_parameter, *parameters], return_annotation=result)

    def __repr__(self) -> str:
        return f"<io method {self.name} from {self.plan.__qualname__}>"


def io_method(plan: Callable[Concatenate[Any, P], Plan[T]], /) -> IOMethod[P, T]:
    """Declare a facade method from ``plan`` (a generator function taking the client first)."""
    return IOMethod(plan)
