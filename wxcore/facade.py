"""Facade methods derived from builders: an endpoint is declared once, its methods follow.

A builder (a pure function returning a :class:`~wxcore.endpoint.Call`) is the single source of
an endpoint's parameters, types and docs. A facade class turns it into a method with one line::

    class MiniProgramAPI:
        code2session = method(login.code2session, APPID)   # appid comes from the client
        get_phone_number = method(login.get_phone_number)

``mp.code2session(js_code)`` then has exactly the builder's parameters (minus the bound first
one) and returns what the builder's call parses to. The same declaration serves both kinds of
executor, told apart by the type of the client it is read from:

* a :class:`SyncCaller` (``call(c: Call[T]) -> T``, like :class:`wxcore.adapters.client.Client`):
  the method returns ``T``;
* an :class:`AsyncCaller` (``async call(c) -> T``): the method is a coroutine function.

Nothing here does I/O: a method only builds the call and hands it to the client's ``call``.
A *binder* supplies the builder's first argument from the client (:data:`APPID`, the current
time :data:`NOW`, or today's date in China :data:`TODAY`), which is how builders stay pure while
facades never ask the user for what the client already knows.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime, timedelta, timezone
from types import MethodType
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from wxcore.checks import direct
from wxcore.endpoint import Call

__all__ = [
    "CHINA_TZ",
    "china_date",
    "Caller",
    "SyncCaller",
    "ClientMethod",
    "AsyncCaller",
    "Binder",
    "APPID",
    "NOW",
    "TODAY",
    "method",
    "lazy_method",
    "deferred_module",
    "FacadeMethod",
]

P = ParamSpec("P")
T = TypeVar("T")
X = TypeVar("X")

#: China Standard Time (UTC+8, no daylight saving): the day boundary of WeChat's statistics.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_date(now: float) -> date:
    """The date in China at the Unix time ``now``."""
    return datetime.fromtimestamp(now, CHINA_TZ).date()


class Caller(Protocol):
    """What a facade method may read from its client besides ``call``."""

    @property
    def appid(self) -> str: ...

    def now(self) -> float: ...


class SyncCaller(Caller, Protocol):
    """A client whose ``call`` returns the result (methods read from it return ``T``)."""

    def call(self, call: Call[T], /) -> T: ...


class AsyncCaller(Caller, Protocol):
    """A client whose ``call`` is awaited (methods read from it are coroutine functions)."""

    def call(self, call: Call[T], /) -> Awaitable[T]: ...


class Binder(Generic[X]):
    """Supplies a builder's first argument from the client (its appid, the time, ...)."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: Callable[[Caller], X]) -> None:
        self.name = name
        self.value = value

    def __repr__(self) -> str:
        return f"<binder {self.name}>"


APPID: Binder[str] = Binder("appid", lambda client: client.appid)
NOW: Binder[float] = Binder("now", lambda client: client.now())
TODAY: Binder[date] = Binder("today", lambda client: china_date(client.now()))


class ClientMethod(Generic[P, T]):
    """A descriptor whose method is made once per client class (sync or async by the
    class's ``call``) by :meth:`_make`; read from a class, it gives the plain function."""

    #: Whether the method made for a client class is set on that class (see :meth:`__get__`).
    cache_on_class = False

    def __init__(self, name: str, doc: str | None) -> None:
        self.name = name
        self.__doc__ = doc
        self._functions: dict[type, Callable[..., Any]] = {}
        self._named = False

    def __set_name__(self, owner: type, name: str) -> None:
        # The first name wins: ``old_name = new_name`` in a class body (an alias) calls this
        # again for the same descriptor, and the method keeps its real name.
        if not self._named:
            self.name = name
            self._named = True

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Callable[Concatenate[Any, P], Any]: ...

    @overload
    def __get__(self, client: AsyncCaller, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, T]]: ...

    @overload
    def __get__(self, client: SyncCaller, owner: type[Any]) -> Callable[P, T]: ...

    def __get__(self, client: Any, owner: type[Any] | None = None) -> Any:
        kind = owner if client is None and owner is not None else type(client)
        function = self._functions.get(kind)
        if function is None:
            function = self._functions[kind] = self._make(kind)
            if self.cache_on_class and self.name not in vars(kind):
                # The plain function on the client class itself shadows this descriptor from
                # now on: a call then costs what any method's does (no __get__, no bound
                # method made by hand). The declaration stays where it was written.
                setattr(kind, self.name, function)
        if client is None:  # read from the class: the plain function, as for any method
            return function
        return MethodType(function, client)

    def _make(self, kind: type) -> Callable[..., Any]:
        """The plain function behind the method for clients of class ``kind``."""
        raise NotImplementedError

    def signature(self) -> inspect.Signature:
        """The method's signature, ``self`` first."""
        raise NotImplementedError

    def _dressed(self, function: Callable[..., Any], kind: type, wrapped: object,
                 doc: str | None) -> Callable[..., Any]:
        """``function`` named, documented and signed as this method of class ``kind``."""
        function.__name__ = self.name
        function.__qualname__ = f"{kind.__qualname__}.{self.name}"
        function.__doc__ = doc
        function.__dict__.update(__wrapped__=wrapped, __signature__=self.signature())
        return function


class FacadeMethod(ClientMethod[P, T]):
    """A descriptor: reading it from a client gives the builder's endpoint as a method.

    Read from a class, it gives the plain function (``help()`` lists it as a method); the
    declaration itself is in the class ``__dict__``.

    Built by :func:`method` or :func:`lazy_method`; the methods themselves are made once per facade class (sync or
    async by the class's ``call``), carry the builder's name, docstring and signature (for
    ``help()``, ``inspect.signature`` and documentation tools), and are then set on that
    client class as plain functions, so later reads and calls cost what any Python method's
    do. (A subclass made afterwards inherits them: it should keep its parent's kind of
    ``call``, sync or async, as any subclass of a client does.)
    """

    cache_on_class = True

    def __init__(self, builder: Callable[..., Call[T]] | None, binder: Binder[Any] | None = None,
                 *, find_builder: Callable[[], Callable[..., Call[T]]] | None = None) -> None:
        # a lazy method's docstring is the function's, made on first use (see _make)
        super().__init__(getattr(builder, "__name__", "method"),
                         inspect.getdoc(builder) if builder is not None else None)
        self._builder = builder
        self._find_builder = find_builder  # lazy_method: looked up on first use
        self.binder = binder

    @property
    def builder(self) -> Callable[..., Call[T]]:
        """The builder this method calls (a lazy method's is imported here, once)."""
        builder = self._builder
        if builder is None:
            assert self._find_builder is not None
            builder = self._builder = self._find_builder()
        return builder

    def _make(self, kind: type) -> Callable[..., Any]:
        """The plain function behind the method for clients of class ``kind``."""
        builder = direct(self.builder)
        bound = self.binder is not None
        binder: Callable[[Any], Any] = self.binder.value if self.binder is not None else id
        is_async = inspect.iscoroutinefunction(getattr(kind, "call", None))
        function: Callable[..., Any]
        if is_async and not bound:
            async def function(client: Any, /, *args: Any, **kwargs: Any) -> Any:
                return await client.call(builder(*args, **kwargs))
        elif is_async:
            async def function(client: Any, /, *args: Any, **kwargs: Any) -> Any:
                return await client.call(builder(binder(client), *args, **kwargs))
        elif not bound:
            def function(client: Any, /, *args: Any, **kwargs: Any) -> Any:
                return client.call(builder(*args, **kwargs))
        else:
            def function(client: Any, /, *args: Any, **kwargs: Any) -> Any:
                return client.call(builder(binder(client), *args, **kwargs))
        return self._dressed(function, kind, self.builder, inspect.getdoc(self.builder))

    def signature(self) -> inspect.Signature:
        """The method's signature: ``self``, then the builder's parameters minus the bound
        one; the return annotation is what the call parses to."""
        builder_signature = inspect.signature(self.builder)
        parameters = list(builder_signature.parameters.values())
        if self.binder is not None:
            parameters = parameters[1:]
        hints = _hints(self.builder)
        parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in parameters]
        result = _result_of(hints.get("return", builder_signature.return_annotation))
        self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
        return inspect.Signature([self_parameter, *parameters], return_annotation=result)

    def __repr__(self) -> str:
        bound = f", {self.binder.name} bound" if self.binder is not None else ""
        return f"<facade method {self.name} from {getattr(self.builder, '__qualname__', self.builder)}{bound}>"


def _hints(builder: Callable[..., Any]) -> dict[str, Any]:
    """Resolved annotations of ``builder`` (a function, or a callable object's ``__call__``)."""
    target = builder if inspect.isfunction(builder) else type(builder).__call__
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # an annotation that cannot be resolved at run time: keep the text
        return {}
    explicit = getattr(builder, "__signature__", None)
    if explicit is not None:  # a callable object that states its concrete signature
        hints["return"] = explicit.return_annotation
    return hints


def _result_of(annotation: Any) -> Any:
    """``T`` of ``Call[T]`` (the annotation unchanged when it is not a ``Call``)."""
    if typing.get_origin(annotation) is Call:
        (result,) = typing.get_args(annotation)
        return result
    return annotation


@overload
def method(builder: Callable[P, Call[T]], /) -> FacadeMethod[P, T]: ...


@overload
def method(builder: Callable[Concatenate[X, P], Call[T]], binder: Binder[X], /) -> FacadeMethod[P, T]: ...


def method(builder: Callable[..., Call[T]], binder: Binder[Any] | None = None, /) -> FacadeMethod[Any, T]:
    """Declare a facade method for ``builder``; ``binder`` supplies its first argument."""
    return FacadeMethod(builder, binder)


@overload
def lazy_method(find_builder: Callable[[], Callable[P, Call[T]]], /) -> FacadeMethod[P, T]: ...


@overload
def lazy_method(find_builder: Callable[[], Callable[Concatenate[X, P], Call[T]]], binder: Binder[X],
                /) -> FacadeMethod[P, T]: ...


def lazy_method(find_builder: Callable[[], Callable[..., Call[T]]],
                binder: Binder[Any] | None = None, /) -> FacadeMethod[Any, T]:
    """:func:`method` for a builder looked up on the method's first use, not at class creation::

        code2session = lazy_method(lambda: login.code2session, APPID)

    With ``login`` a :func:`deferred_module`, a facade class imports none of its builder
    modules until a method is used (``import`` of the facade stays cheap); the types are the
    same as :func:`method`'s, read from the lambda."""
    return FacadeMethod(None, binder, find_builder=find_builder)


class deferred_module:  # noqa: N801 - stands in for a module name, so it reads like one
    """A module imported on its first attribute access (``deferred_module("pkg.mod").f``).

    For a facade's builder modules: bound at run time where the type checker sees the real
    import (``if TYPE_CHECKING: from pkg import mod`` / ``else: mod = deferred_module(...)``).
    The import goes through :func:`importlib.import_module`, so it is thread-safe."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<deferred module {self._name}>"
