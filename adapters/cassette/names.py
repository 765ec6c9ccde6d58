"""Which code a cassette may name. A cassette is data: one arriving in a pull request must
not be able to run anything but wxcore's own code.

A cassette's ``call`` names Python objects by import path (``"module:Name"``). Each role
accepts only what it needs, and everything else is refused with a
:class:`~wxcore.adapters.cassette.CassetteFormatError` naming the value:

* ``client``: a :class:`~wxcore.adapters.client.Client` subclass defined in wxcore;
* ``builder``: a function of the pure core (``wxcore`` outside ``wxcore.adapters``), which by
  the project's architecture does no I/O;
* ``result``: a class defined in wxcore, or one of :data:`RESULT_TYPES` (``datetime:date``...);
* ``raises``: an exception class defined in wxcore;
* ``{"$new": ...}`` argument escapes: only the factories in the explicit registry
  (:data:`ARGUMENT_TYPES`; :func:`register_argument_type` adds an application's own).

Only modules under ``wxcore`` are imported, no name segment may start with ``_``, and the
object found must be *defined* in wxcore, so a module's own imports (``os`` in some wxcore
module) are not a way around the rule.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Literal

from wxcore.multipart import File

__all__ = [
    "ARGUMENT_TYPES",
    "RESULT_TYPES",
    "Role",
    "register_argument_type",
    "argument_factory",
    "check_name",
    "check_escapes",
    "resolve",
]

Role = Literal["client", "builder", "result", "raises"]

#: What ``{"$new": name, "args": ...}`` may build: the argument types wxcore's own methods
#: take. Nothing else is ever imported or called from a cassette.
ARGUMENT_TYPES: dict[str, Callable[..., Any]] = {
    "wxcore.multipart:File": File,
    "datetime:date": date,
    "datetime:date.fromisoformat": date.fromisoformat,
}

#: Result types from outside wxcore that ``expect.result`` may name (plain return values).
RESULT_TYPES: dict[str, type] = {
    "datetime:date": date,
    "builtins:str": str,
    "builtins:bytes": bytes,
    "builtins:int": int,
    "builtins:bool": bool,
    "builtins:dict": dict,
    "builtins:list": list,
}

_ROLE_WANTS = {
    "client": "a Client subclass defined in wxcore",
    "builder": "a builder function of wxcore's pure core (not wxcore.adapters)",
    "result": "a class defined in wxcore or one of " + ", ".join(sorted(RESULT_TYPES)),
    "raises": "an exception class defined in wxcore",
}


def register_argument_type(name: str, factory: Callable[..., Any]) -> None:
    """Let cassettes build ``factory(*args)`` with ``{"$new": name, "args": [...]}``.

    For an application's own argument types; register before loading the cassettes (a
    ``conftest.py`` is the place), since loading already refuses unknown names.
    """
    _split(name, "$new")
    if not callable(factory):
        raise TypeError(f"register_argument_type({name!r}, ...) needs a callable factory")
    ARGUMENT_TYPES[name] = factory


def argument_factory(name: object) -> Callable[..., Any]:
    """The registered factory for a ``$new`` name; ValueError naming it if there is none."""
    factory = ARGUMENT_TYPES.get(name) if isinstance(name, str) else None
    if factory is None:
        raise ValueError(
            f'"$new": {name!r} is not an argument type a cassette may build; allowed: '
            f"{', '.join(sorted(ARGUMENT_TYPES))} (an application adds its own with "
            "wxcore.adapters.cassette.register_argument_type)")
    return factory


def _split(value: str, key: str) -> tuple[str, list[str]]:
    module, sep, attr = value.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f'"{key}" must look like "package.module:Name", not {value!r}')
    segments = [*module.split("."), *attr.split(".")]
    if any(not s.isidentifier() or s.startswith("_") for s in segments):
        raise ValueError(f'"{key}": {value!r} is not a public name (a segment is empty, not '
                         'an identifier, or starts with "_")')
    return module, attr.split(".")


def _in_wxcore(module: str) -> bool:
    return module == "wxcore" or module.startswith("wxcore.")


def check_name(value: str, role: Role) -> None:
    """Refuse, without importing anything, a ``role`` name outside what it may use."""
    module, _ = _split(value, role)
    if role == "result" and value in RESULT_TYPES:
        return
    if not _in_wxcore(module) or (role == "builder" and module.startswith("wxcore.adapters")):
        raise ValueError(f'"{role}": {value!r} is refused: a cassette may only name '
                         f"{_ROLE_WANTS[role]}")


def _escapes(value: Any, where: str) -> Iterator[tuple[str, object]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _escapes(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        if "$new" in value:
            yield where, value["$new"]
        for key, item in value.items():
            yield from _escapes(item, f"{where}.{key}")


def check_escapes(value: Any, where: str) -> None:
    """Refuse any ``$new`` escape in ``value`` that names an unregistered factory."""
    for place, name in _escapes(value, where):
        try:
            argument_factory(name)
        except ValueError as exc:
            raise ValueError(f"{exc} (at {place})") from None


def resolve(value: str, role: Role) -> Any:
    """The object ``value`` names, after checking it is one ``role`` may use.

    Raises ValueError naming ``value`` otherwise; only modules under ``wxcore`` are imported.
    """
    check_name(value, role)
    if role == "result" and value in RESULT_TYPES:
        return RESULT_TYPES[value]
    module, attrs = _split(value, role)
    target: Any = importlib.import_module(module)
    for attr in attrs:
        target = getattr(target, attr, None)
    if not _allowed(target, role):
        raise ValueError(f'"{role}": {value!r} is refused: a cassette may only name '
                         f"{_ROLE_WANTS[role]}")
    return target


def _allowed(target: Any, role: Role) -> bool:
    from wxcore.adapters.client import Client

    defined_in = getattr(target, "__module__", None)
    if not isinstance(defined_in, str) or not _in_wxcore(defined_in):
        return False
    if role == "builder":
        return inspect.isfunction(target) and not defined_in.startswith("wxcore.adapters")
    if not isinstance(target, type):
        return False
    if role == "client":
        return issubclass(target, Client)
    if role == "raises":
        return issubclass(target, BaseException)
    return True
