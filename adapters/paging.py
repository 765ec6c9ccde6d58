"""Paged lists read through a client, one call per page: the loop, once per kind of executor.

A paged list is written once, in the core, as a generator of calls
(:func:`~wxcore.officialaccount.paging.offset_pages`,
:func:`~wxcore.officialaccount.users.openid_pages`,
:func:`~wxcore.adapters.component_flows.authorizer_pages`): it yields the call for the first
page, is sent each page WeChat answered and yields the call for the next, and ends after the
last. :func:`iter_items` makes those calls with a sync client and :func:`aiter_items` awaits
them; both build the first call at once, so bad arguments fail where the iterator is made,
not at its first step.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator
from typing import TypeVar

from wxcore.endpoint import Call
from wxcore.facade import AsyncCaller, SyncCaller

__all__ = ["PageCalls", "iter_items", "aiter_items"]

P = TypeVar("P")
I = TypeVar("I")

#: A paged list as calls: yields the call for a page, is sent that page, ends after the last.
PageCalls = Generator[Call[P], P, None]


def iter_items(client: SyncCaller, calls: PageCalls[P],
               items: Callable[[P], Iterable[I]]) -> Iterator[I]:
    """The items (``items(page)``) of every page of ``calls``, read with a sync client."""
    return _items(client, calls, next(calls), items)


def aiter_items(client: AsyncCaller, calls: PageCalls[P],
                items: Callable[[P], Iterable[I]]) -> AsyncIterator[I]:
    """The items of every page of ``calls``, each page awaited from an async client."""
    return _aitems(client, calls, next(calls), items)


def _items(client: SyncCaller, calls: PageCalls[P], call: Call[P] | None,
           items: Callable[[P], Iterable[I]]) -> Iterator[I]:
    while call is not None:
        page = client.call(call)
        yield from items(page)
        call = _following(calls, page)


async def _aitems(client: AsyncCaller, calls: PageCalls[P], call: Call[P] | None,
                  items: Callable[[P], Iterable[I]]) -> AsyncIterator[I]:
    while call is not None:
        page = await client.call(call)
        for item in items(page):
            yield item
        call = _following(calls, page)


def _following(calls: PageCalls[P], page: P) -> Call[P] | None:
    """The call for the page after ``page``, or None when the list is done."""
    try:
        return calls.send(page)
    except StopIteration:
        return None
