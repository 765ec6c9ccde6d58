"""Re-recording without churn: a new recording merged into the cassette it replaces, so that
exchanges which did not change stay byte-identical in the file.

Two things change on every recording even when WeChat's answers do not: values minted at
record time (a ``wx.login`` code, a phone code) and placeholder numbers. Placeholders are
numbered in order of appearance, so an unchanged scenario gets the same ones. Minted values
are matched by name through the cassette's ``values``: an old value and the new one made for
the same name are the same opaque token, so the new one is renamed to the old one wherever
it is a whole string. After that an exchange equal to a recorded one is that recorded one.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from wxcore.adapters.cassette.model import Cassette, Interaction

__all__ = ["keep_unchanged", "add_new_episodes", "renamings"]

#: Minted values shorter than this are not renamed (a value "1" would rename unrelated 1s).
_MIN_RENAMED_LENGTH = 8


def renamings(old: Cassette | None, new: Cassette) -> dict[str, str]:
    """New value -> old value, for each ``values`` name both cassettes hold as a string."""
    if old is None or not isinstance(old.values, dict) or not isinstance(new.values, dict):
        return {}
    found = {}
    for name, value in new.values.items():
        before = old.values.get(name)
        if (isinstance(value, str) and isinstance(before, str) and value != before
                and len(value) >= _MIN_RENAMED_LENGTH):
            found[value] = before
    return found


def _rename(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {key: _rename(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename(item, names) for item in value]
    return value


def _renamed(interaction: Interaction, names: dict[str, str]) -> Interaction:
    if not names:
        return interaction
    tree = _rename(msgspec.to_builtins(interaction), names)
    return msgspec.convert(tree, Interaction)


def keep_unchanged(old: Cassette | None, new: Cassette) -> Cassette:
    """``new`` (a whole re-recording) with every exchange equal to one of ``old``'s replaced
    by that old one, minted values renamed back, and ``old``'s hand-written parts kept
    (description, call, expect). Exchanges ``new`` no longer makes are gone."""
    if old is None:
        return new
    names = renamings(old, new)
    unused = list(old.interactions)
    interactions = []
    for interaction in new.interactions:
        renamed = _renamed(interaction, names)
        kept = next((i for i, o in enumerate(unused) if o == renamed), None)
        interactions.append(unused.pop(kept) if kept is not None else renamed)
    values = _rename(new.values, names) if isinstance(new.values, dict) else UNSET
    return msgspec.structs.replace(
        new,
        description=old.description or new.description,
        appid=new.appid if new.appid is not UNSET else old.appid,
        values=values,
        call=old.call,
        expect=old.expect,
        interactions=interactions,
    )


def add_new_episodes(old: Cassette, history: list[int | Interaction],
                     new_values: dict[str, Any]) -> Cassette:
    """``old`` with the exchanges it did not have added where they happened.

    ``history`` is the run in order: an ``int`` for an old exchange that answered, an
    :class:`Interaction` for a new one. Old exchanges keep their order and bytes; those the
    run did not use stay where they were.
    """
    placed: set[int] = set()
    interactions: list[Interaction] = []

    def place_old_up_to(index: int) -> None:
        for i in range(index + 1):
            if i not in placed:
                placed.add(i)
                interactions.append(old.interactions[i])

    for event in history:
        if isinstance(event, int):
            place_old_up_to(event)
        else:
            interactions.append(event)
    place_old_up_to(len(old.interactions) - 1)
    values = dict(old.values) if isinstance(old.values, dict) else {}
    values.update({k: v for k, v in new_values.items() if k not in values})
    return msgspec.structs.replace(old, values=values or UNSET, interactions=interactions)
