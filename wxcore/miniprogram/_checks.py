"""Local argument checks shared by the Mini Program builders.

Each raises :class:`~wxcore.errors.UsageError` with a message naming the argument and the
rule, so a mistake is reported before anything is sent instead of as a WeChat errcode.
"""

from __future__ import annotations

from collections.abc import Collection

from wxcore.errors import UsageError

__all__ = ["ENV_VERSIONS", "exactly_one", "at_most_one", "together", "max_length", "one_of",
           "in_range", "no_query", "page_path"]

#: The Mini Program versions a code, link or message can open (env_version / version_type).
ENV_VERSIONS = ("release", "trial", "develop")


def _given(value: object) -> bool:
    return value is not None and value != ""


def exactly_one(**values: object) -> str:
    """The name of the single argument given among ``values``; else a usage error."""
    given = [name for name, value in values.items() if _given(value)]
    if len(given) != 1:
        names = " or ".join(values)
        found = f"got {', '.join(given)}" if given else "got neither"
        raise UsageError(f"pass exactly one of {names} ({found})")
    return given[0]


def at_most_one(**values: object) -> None:
    """A usage error when more than one of ``values`` is given."""
    given = [name for name, value in values.items() if _given(value)]
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
    given = [name for name, value in values.items() if _given(value)]
    if given and len(given) != len(values):
        missing = [name for name in values if name not in given]
        raise UsageError(f"{' and '.join(values)} go together: {', '.join(missing)} is missing")


def page_path(name: str, path: str | None, *, leading_slash: bool) -> None:
    """A usage error when a page path carries a query, or a leading ``/`` where not allowed."""
    no_query(name, path)
    if not leading_slash and path and path.startswith("/"):
        raise UsageError(f"{name} may not start with '/' (e.g. 'pages/index/index')")
