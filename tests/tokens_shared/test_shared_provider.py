"""The provider's side of cross-process single-flight, with in-memory stores."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from token_helpers import HeldFetch, stampede

from wxcore.errors import TokenError
from wxcore.tokens import Token

from wxcore.adapters.tokens import CachedTokenProvider, MemoryTokenStore

KEY = "wxcore:wx1:access_token:stable"


class ElsewhereRefreshes(MemoryTokenStore):
    """A store whose blocking lock reports "someone else stored a new token" (a waiter)."""

    def __init__(self, appears: Token | None) -> None:
        super().__init__()
        self.appears = appears

    @contextmanager
    def lock(self, key: str, blocking: bool = True) -> Iterator[bool]:
        if self.appears is not None:
            self.save(key, self.appears)
        yield False


def _never(rejected: Token | None) -> Token:
    raise AssertionError("a waiter must not fetch")


def test_a_waiter_reads_the_token_another_process_stored() -> None:
    fresh = Token(value="81_from_elsewhere", expires_at=time.time() + 7200)
    provider = CachedTokenProvider(_never, key=KEY, store=ElsewhereRefreshes(fresh))
    assert provider.get() == fresh


def test_a_waiter_that_saw_no_new_token_raises_instead_of_fetching() -> None:
    provider = CachedTokenProvider(_never, key=KEY, store=ElsewhereRefreshes(None))
    with pytest.raises(TokenError, match="refresh lock"):
        provider.get()


def test_in_memory_single_flight_is_unchanged() -> None:
    fetch = HeldFetch("81_")
    provider = CachedTokenProvider(fetch, key=KEY)
    assert stampede([provider], 16, fetch) == ["81_1"] * 16
    assert fetch.count == 1
    provider.invalidate(Token(value="81_other"))  # not the cached one: kept
    assert provider.get().value == "81_1" and fetch.count == 1
