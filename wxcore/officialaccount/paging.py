"""The paging rule of WeChat's offset lists (materials, drafts, publications).

``material/batchget_material``, ``draft/batchget`` and ``freepublish/batchget`` all take an
``offset`` and a ``count`` (1 to 20) and answer ``total_count`` (all items) and
``item_count`` (this page). The rule of what to ask for next is written once, here, as a pure
function; the facade's iterators loop over it.
"""

from __future__ import annotations

from typing import Protocol

from wxcore.checks import in_range

__all__ = ["MAX_PAGE", "OffsetPage", "next_offset", "page_request"]

#: The most items one page of these lists may hold (``count``: 1 to 20).
MAX_PAGE = 20


class OffsetPage(Protocol):
    """What :func:`next_offset` reads from a page."""

    @property
    def total_count(self) -> int: ...

    @property
    def item_count(self) -> int: ...


def next_offset(offset: int, page: OffsetPage) -> int | None:
    """The offset of the page after ``page`` (asked for at ``offset``), or None at the end.

    An empty page ends the list too, so a list that shrinks while it is read (an item deleted
    meanwhile) cannot make the loop ask forever.
    """
    if page.item_count <= 0:
        return None
    following = offset + page.item_count
    return following if following < page.total_count else None


def page_request(offset: int, count: int) -> dict[str, int]:
    """``offset`` and ``count`` of a page request, checked (offset from 0, count 1 to 20)."""
    in_range("offset", offset, 0, 2**31 - 1)
    in_range("count", count, 1, MAX_PAGE)
    return {"offset": offset, "count": count}
