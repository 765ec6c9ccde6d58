"""The paging rule of WeChat's offset lists (materials, drafts, publications).

``material/batchget_material``, ``draft/batchget`` and ``freepublish/batchget`` all take an
``offset`` and a ``count`` (1 to 20) and answer ``total_count`` (all items) and
``item_count`` (this page). The rule of what to ask for next is written once, here, as a pure
function (:func:`next_offset`) and the list as the calls it takes (:func:`offset_pages`), which
the sync and async facades' iterators make (``wxcore.adapters.paging``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any, Protocol, TypeVar

from wxcore.checks import in_range
from wxcore.endpoint import Call

__all__ = ["MAX_PAGE", "OffsetPage", "Paged", "next_offset", "offset_pages", "page_request"]

P = TypeVar("P", bound="OffsetPage")

#: The most items one page of these lists may hold (``count``: 1 to 20).
MAX_PAGE = 20


class OffsetPage(Protocol):
    """What :func:`next_offset` reads from a page."""

    @property
    def total_count(self) -> int: ...

    @property
    def item_count(self) -> int: ...


class Paged(OffsetPage, Protocol):
    """An offset page whose items are ``item`` (materials, drafts, publications)."""

    @property
    def item(self) -> Sequence[Any]: ...


def next_offset(offset: int, page: OffsetPage) -> int | None:
    """The offset of the page after ``page`` (asked for at ``offset``), or None at the end.

    An empty page ends the list too, so a list that shrinks while it is read (an item deleted
    meanwhile) cannot make the loop ask forever.
    """
    if page.item_count <= 0:
        return None
    following = offset + page.item_count
    return following if following < page.total_count else None


def offset_pages(page_at: Callable[[int], Call[P]]) -> Generator[Call[P], P, None]:
    """An offset list as calls, ``page_at(offset)`` from offset 0: each call yielded is sent
    its page, and the list ends where :func:`next_offset` says."""
    offset: int | None = 0
    while offset is not None:
        page = yield page_at(offset)
        offset = next_offset(offset, page)


def page_request(offset: int, count: int) -> dict[str, int]:
    """``offset`` and ``count`` of a page request, checked (offset from 0, count 1 to 20)."""
    in_range("offset", offset, 0, 2**31 - 1)
    in_range("count", count, 1, MAX_PAGE)
    return {"offset": offset, "count": count}
