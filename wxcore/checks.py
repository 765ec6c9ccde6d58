"""Local argument checks shared by every builder.

Each raises :class:`~wxcore.errors.UsageError` with a message naming the argument and the
rule, so a mistake is reported before anything is sent instead of as a WeChat errcode.

:func:`checked` checks every argument of a builder against the builder's own annotations
(``str`` is a non-blank string, ``int`` an integer and not a bool, ``Literal[...]`` one of its
values, ``Mapping`` a mapping, ``list[str]`` a list of strings, ``X | None`` either), so the
types a builder declares are the rules it enforces, written once. The helpers below add the
rules annotations cannot say (lengths, ranges, one-of pairs).
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any, Literal, TypeVar, Union, cast

from wxcore.errors import UsageError

__all__ = ["checked", "direct", "ENV_VERSIONS", "exactly_one", "at_most_one", "together", "max_length",
           "one_of", "in_range", "no_query", "page_path"]

F = TypeVar("F", bound=Callable[..., Any])
Check = Callable[[str, object], None]


def _show(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


def _str(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a string (got {_show(value)})")
    if not value.strip():
        raise UsageError(f"{name} must be a non-blank string (got {value!r})")


def _int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be an integer (got {_show(value)})")


def _float(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{name} must be a number (got {_show(value)})")


def _bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False (got {_show(value)})")


_SIMPLE: dict[object, Check] = {str: _str, int: _int, float: _float, bool: _bool}


def _check_for(hint: object) -> Check | None:
    """The check of one annotation, or None where an annotation says nothing checkable."""
    simple = _SIMPLE.get(hint)
    if simple is not None:
        return simple
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union or origin is types.UnionType:
        return _union(args)
    if origin is Literal:
        return _literal(args)
    if origin is typing.Annotated:
        return _check_for(args[0])
    if hint in (Mapping, dict) or origin in (Mapping, dict):
        return _mapping
    if origin in (list, Sequence, tuple) and args:
        return _sequence(_check_for(args[0]))
    if isinstance(hint, type) and hint is not object:
        return _instance(hint)
    return None


def _union(args: tuple[Any, ...]) -> Check | None:
    optional = type(None) in args
    found = [_check_for(a) for a in args if a is not type(None)]
    checks = [check for check in found if check is not None]
    if len(checks) < len(found):
        return None  # a member we cannot check: accept what the others do not refuse

    def check(name: str, value: object) -> None:
        if value is None and optional:
            return
        problems = []
        for one in checks:
            try:
                one(name, value)
                return
            except UsageError as exc:
                problems.append(str(exc))
        raise UsageError(problems[0] if len(problems) == 1 else
                         f"{name}: none of the accepted kinds fits: {'; '.join(problems)}")
    return check


def _literal(allowed: tuple[Any, ...]) -> Check:
    def check(name: str, value: object) -> None:
        # type() too, so that True does not pass for 1 nor 1 for True
        if not any(value == a and type(value) is type(a) for a in allowed):
            options = ", ".join(repr(a) for a in allowed)
            raise UsageError(f"{name} must be one of {options} (got {value!r})")
    return check


def _mapping(name: str, value: object) -> None:
    if not isinstance(value, Mapping):
        raise UsageError(f"{name} must be a mapping such as a dict (got {_show(value)})")


def _sequence(item: Check | None) -> Check:
    def check(name: str, value: object) -> None:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise UsageError(f"{name} must be a list (got {_show(value)})")
        if item is not None:
            for index, element in enumerate(value):
                item(f"{name}[{index}]", element)
    return check


def _instance(kind: type) -> Check:
    label = "a date" if kind is date else f"a {kind.__name__}"

    def check(name: str, value: object) -> None:
        if not isinstance(value, kind):
            raise UsageError(f"{name} must be {label} (got {_show(value)})")
    return check


def checked(builder: F) -> F:
    """Check each argument of ``builder`` against its annotation before the builder runs.

    The checks are compiled on the first call (so importing a module of builders stays
    cheap) into a function with the builder's own parameters that checks each argument the
    caller passed and then calls the builder: no argument packing, a few hundred nanoseconds
    a call. Defaults are not checked: they are the builder's own.
    """
    compiled: Callable[..., Any] | None = None

    def compile_once() -> Callable[..., Any]:
        nonlocal compiled
        if compiled is None:
            compiled = _compile(builder)
        return compiled

    @functools.wraps(builder)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return (compiled or compile_once())(*args, **kwargs)

    wrapper.__dict__["compiled_checks"] = compile_once
    return cast(F, wrapper)  # functools.wraps keeps the builder's signature


def direct(builder: F) -> F:
    """``builder`` without the forwarding layer of :func:`checked`: its compiled checks
    (which then call the builder), or ``builder`` itself if it is not checked. For callers
    that call a builder many times, such as facade methods."""
    compile_once = getattr(builder, "compiled_checks", None)
    return compile_once() if compile_once is not None else builder


class _Unset:
    """The default of a parameter in a compiled check: tells "not passed" from any value."""

    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


def _optional_simple(hint: object) -> Check | None:
    """The check of ``X`` when ``hint`` is ``X | None`` with ``X`` a simple type (``str``,
    ``int``, ...): the compiled check tests for None itself and calls it directly, which
    is what the union's check would do, one call and one loop cheaper."""
    origin = typing.get_origin(hint)
    if origin is not Union and origin is not types.UnionType:
        return None
    args = typing.get_args(hint)
    if len(args) != 2 or type(None) not in args:
        return None
    (kind,) = [a for a in args if a is not type(None)]
    return _SIMPLE.get(kind)


def _compile(builder: Callable[..., Any]) -> Callable[..., Any]:
    """A function with ``builder``'s parameters that checks them, then calls ``builder``."""
    hints = typing.get_type_hints(builder, include_extras=True)
    namespace: dict[str, Any] = {"_builder": builder, "_UNSET": _UNSET}
    params: list[str] = []
    lines: list[str] = []
    forward: list[str] = []
    star = False
    for parameter in inspect.signature(builder).parameters.values():
        name = parameter.name
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            raise TypeError(f"checked builders take plain or keyword-only parameters ({name})")
        if parameter.kind is parameter.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        has_default = parameter.default is not parameter.empty
        params.append(f"{name}=_UNSET" if has_default else name)
        hint = hints.get(name)
        inner = _optional_simple(hint)
        check = inner if inner is not None else _check_for(hint) if name in hints else None
        if check is not None:
            namespace[f"_check_{name}"] = check
            tests = ([f"{name} is not _UNSET"] if has_default else []) + (
                [f"{name} is not None"] if inner is not None else [])
            test = f"if {' and '.join(tests)}: " if tests else ""
            lines.append(f"    {test}_check_{name}({name!r}, {name})")
        if has_default:
            lines.append(f"    if {name} is _UNSET: {name} = _default_{name}")
            namespace[f"_default_{name}"] = parameter.default
        forward.append(f"{name}={name}" if parameter.kind is parameter.KEYWORD_ONLY else name)
    source = (f"def checked_{builder.__name__}({', '.join(params)}):\n"
              + "\n".join(lines + [f"    return _builder({', '.join(forward)})"]) + "\n")
    exec(source, namespace)  # the generated text uses only parameter names and namespace keys
    function: Callable[..., Any] = namespace[f"checked_{builder.__name__}"]
    return function

#: The Mini Program versions a code, link or message can open (env_version / version_type).
ENV_VERSIONS = ("release", "trial", "develop")


def exactly_one(**values: object) -> str:
    """The name of the single argument given among ``values``; else a usage error."""
    # given: neither None nor "" (written out here: these run in builders on every call)
    given = [name for name, value in values.items() if value is not None and value != ""]
    if len(given) != 1:
        names = " or ".join(values)
        found = f"got {', '.join(given)}" if given else "got neither"
        raise UsageError(f"pass exactly one of {names} ({found})")
    return given[0]


def at_most_one(**values: object) -> None:
    """A usage error when more than one of ``values`` is given."""
    given = [name for name, value in values.items() if value is not None and value != ""]
    if len(given) > 1:
        raise UsageError(f"pass at most one of {' or '.join(values)} (got {', '.join(given)})")


def max_length(name: str, value: str | None, limit: int) -> None:
    """A usage error when ``value`` has more than ``limit`` characters."""
    if value is not None and len(value) > limit:
        raise UsageError(f"{name} may have at most {limit} characters (got {len(value)})")


def one_of(name: str, value: object, allowed: Collection[object]) -> None:
    """A usage error when ``value`` (if given) is not in ``allowed``."""
    if value is not None and value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise UsageError(f"{name} must be one of {options} (got {value!r})")


def in_range(name: str, value: int | None, low: int, high: int) -> None:
    """A usage error when ``value`` (if given) is outside ``low..high``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be an integer (got {value!r})")
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low} and {high} (got {value})")


def no_query(name: str, path: str | None) -> None:
    """A usage error when a page path carries a query string (it goes in ``query``)."""
    if path and "?" in path:
        raise UsageError(f"{name} may not contain a query string ('?'); pass it as query")


def together(**values: object) -> None:
    """A usage error when some of ``values`` are given and others are not (all or none)."""
    given = [name for name, value in values.items() if value is not None and value != ""]
    if given and len(given) != len(values):
        missing = [name for name in values if name not in given]
        raise UsageError(f"{' and '.join(values)} go together: {', '.join(missing)} is missing")


def page_path(name: str, path: str | None, *, leading_slash: bool) -> None:
    """A usage error when a page path carries a query, or a leading ``/`` where not allowed."""
    no_query(name, path)
    if not leading_slash and path and path.startswith("/"):
        raise UsageError(f"{name} may not start with '/' (e.g. 'pages/index/index')")
