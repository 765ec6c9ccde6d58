"""Running a cassette's ``call`` on a replaying client and checking its ``expect``: what the
suite's generic replay test does for every cassette, with no Python per cassette."""

from __future__ import annotations

import base64
import os
from typing import Any

import msgspec
from msgspec import UNSET

from wxcore.errors import WxError

from wxcore.adapters.cassette.matching import same_value
from wxcore.adapters.cassette.model import (
    CallSpec,
    Cassette,
    CassetteError,
    CassetteFormatError,
    Expect,
    is_placeholder,
)
from wxcore.adapters.cassette.names import Role, argument_factory, resolve
from wxcore.adapters.cassette.replay import ReplayTransport, replay_client
from wxcore.adapters.cassette.storage import load_cassette
from wxcore.adapters.client import Client

__all__ = ["replay_cassette_call", "check_cassette"]


def _resolve(cassette: Cassette, value: str, role: Role) -> Any:
    try:
        return resolve(value, role)
    except ValueError as exc:
        raise CassetteFormatError(f"cassette {cassette.name!r}: {exc}") from None


def _decode_arg(value: Any) -> Any:
    """A ``call`` argument with its ``$base64`` and ``$new`` escapes turned into objects;
    ``$new`` builds only registered argument types (ValueError naming any other)."""
    if isinstance(value, list):
        return [_decode_arg(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"$base64"}:
        return base64.b64decode(value["$base64"])
    if "$new" in value:
        if not set(value) <= {"$new", "args"}:
            raise ValueError(f'a "$new" escape holds only "$new" and "args", not {sorted(value)}')
        factory = argument_factory(value["$new"])
        args = _decode_arg(value.get("args", []))
        return factory(**args) if isinstance(args, dict) else factory(*args)
    return {key: _decode_arg(item) for key, item in value.items()}


def _decoded(cassette: Cassette, value: dict[str, Any]) -> dict[str, Any]:
    try:
        decoded: dict[str, Any] = _decode_arg(value)
    except ValueError as exc:
        raise CassetteFormatError(f"cassette {cassette.name!r}: {exc}") from None
    return decoded


def replay_cassette_call(cassette: Cassette, client: Client | None = None) -> tuple[Client, Any]:
    """Run the cassette's ``call`` on a replaying client: (client, result or exception).

    Only :class:`~wxcore.errors.WxError` is returned as an outcome; any other exception
    (a replay mismatch, a bug) propagates.
    """
    spec = cassette.call
    if not isinstance(spec, CallSpec):
        raise CassetteError(f"cassette {cassette.name!r} has no \"call\"")
    if client is None:
        client_args = _decoded(cassette, spec.client_args)
        if isinstance(spec.now, (int, float)):
            now = float(spec.now)
            client_args.setdefault("clock", lambda: now)
        client = replay_client(_resolve(cassette, spec.client, "client"), cassette,
                               tokens=spec.tokens, **client_args)
    args = _decoded(cassette, spec.args)
    builder = _resolve(cassette, spec.builder, "builder") if isinstance(spec.builder, str) else None
    try:
        if builder is not None:
            return client, client.call(builder(**args))
        assert isinstance(spec.method, str)
        return client, getattr(client, spec.method)(**args)
    except WxError as exc:
        return client, exc


def _subset_problems(expected: Any, actual: Any, where: str) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing from the result")
            else:
                problems += _subset_problems(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {expected!r}, got {actual!r}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual))
                for p in _subset_problems(e, a, f"{where}[{i}]")]
    equal = expected == actual if is_placeholder(expected) else same_value(expected, actual)
    if not equal:
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


def check_cassette(cassette: Cassette | str | os.PathLike[str]) -> Any:
    """Replay ``cassette``'s ``call`` and assert its ``expect`` and that every exchange was
    used; returns the typed result (or the expected exception). Raises AssertionError."""
    if not isinstance(cassette, Cassette):
        source = str(cassette)
        cassette = load_cassette(cassette)
    else:
        source = f"cassette {cassette.name!r}"
    client, outcome = replay_cassette_call(cassette)
    expect = cassette.expect
    if isinstance(expect, Expect):
        if isinstance(expect.raises, str):
            wanted = _resolve(cassette, expect.raises, "raises")
            if not isinstance(outcome, wanted):
                raise AssertionError(f"{source}: expected {expect.raises} to be raised, "
                                     f"got {outcome!r}")
            actual: Any = {k: v for k, v in vars(outcome).items() if not k.startswith("_")}
        else:
            assert isinstance(expect.result, str)
            if isinstance(outcome, BaseException):
                raise AssertionError(f"{source}: expected a {expect.result}, "
                                     f"but the call raised {outcome!r}") from outcome
            wanted = _resolve(cassette, expect.result, "result")
            if not isinstance(outcome, wanted):
                raise AssertionError(f"{source}: expected a {expect.result}, got {outcome!r}")
            actual = msgspec.to_builtins(outcome)
        problems = _subset_problems(expect.fields, actual, "$") if expect.fields else []
        if expect.value is not UNSET:
            problems += _subset_problems(expect.value, actual, "$")
        if problems:
            raise AssertionError(f"{source}: the result differs from \"expect\":\n  "
                                 + "\n  ".join(problems))
    elif isinstance(outcome, BaseException):
        raise AssertionError(f"{source}: the call raised {outcome!r} and the cassette has no "
                             "\"expect\" saying it should") from outcome
    transport = client.transport
    if isinstance(transport, ReplayTransport):
        transport.assert_all_used()
    return outcome

