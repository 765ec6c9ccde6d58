"""Cassettes for async clients: the same files, matching, redaction and record modes.

* :class:`AsyncCassetteTransport` is an async transport over a
  :class:`~wxcore.adapters.cassette.CassetteTransport`: what the cassette holds is answered
  from it (memory only, nothing to await), and what the record mode records goes through an
  async transport (the in-process :class:`~wxcore.adapters.sandbox.AsyncSandboxTransport`,
  or the default async transport to WeChat) and is kept by the same
  :class:`~wxcore.adapters.cassette.RecordingTransport` -- so the file is the one a sync
  client would have written, and a sync test can replay it.
* :class:`AsyncReplayTransport` answers from a
  :class:`~wxcore.adapters.cassette.ReplayTransport`; :func:`async_replay_client` is
  :func:`~wxcore.adapters.cassette.replay_client` for ``AsyncClient`` classes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from wxcore.errors import TransportError, UsageError
from wxcore.http import Request, Response

from wxcore.adapters.async_client import AsyncClient
from wxcore.adapters.async_tokens import Immediate
from wxcore.adapters.async_transport import AsyncTransport
from wxcore.adapters.cassette.model import Cassette
from wxcore.adapters.cassette.modes import CassetteTransport, RecordMode
from wxcore.adapters.cassette.replay import REPLAY_SECRET, ReplayTransport, replay_token
from wxcore.adapters.tokens import StaticTokenProvider

__all__ = ["AsyncCassetteTransport", "AsyncReplayTransport", "async_replay_client"]

A = TypeVar("A", bound=AsyncClient)


class _AsyncOnly:
    """The sync transport of a cassette recorded only through an async one."""

    def send(self, request: Request) -> Response:
        raise UsageError("this cassette records through an async transport; "
                         "use it from an async client")

    def close(self) -> None:
        pass


class AsyncCassetteTransport:
    """A cassette in a record mode, as an async transport.

    ``source`` is a :class:`CassetteTransport` (what the pytest plugin shares between sync
    and async clients) or a path, opened in ``record_mode`` with ``options`` (``order``,
    ``repeat``, ``redact_phone_numbers``...). ``inner`` is the async transport recording goes
    through, or a function making it, called only when something is recorded. Requests run
    one at a time, so the cassette keeps the order things happened in. :meth:`aclose`
    closes ``inner``, and saves a cassette opened from a path.
    """

    def __init__(
        self,
        source: CassetteTransport | str | os.PathLike[str],
        record_mode: RecordMode = "none",
        inner: AsyncTransport | Callable[[], AsyncTransport] | None = None,
        **options: Any,
    ) -> None:
        self._owned = not isinstance(source, CassetteTransport)
        self.cassette: CassetteTransport = (
            source if isinstance(source, CassetteTransport)
            else CassetteTransport(source, record_mode, _AsyncOnly(), **options))
        self._source = inner
        self._inner: AsyncTransport | None = None
        self._lock = asyncio.Lock()

    @property
    def replay(self) -> ReplayTransport | None:
        """The :class:`ReplayTransport` answering (None when this run only records)."""
        return self.cassette.replay

    @property
    def recording(self) -> bool:
        return self.cassette.recording

    def inner(self) -> AsyncTransport:
        """The async transport recording goes through (made on first use)."""
        if self._inner is None:
            source = self._source
            if source is None:
                raise UsageError(f"{self.cassette.path}: this run records, and needs an async "
                                 "transport to record through (inner=...)")
            # A class is a factory, though it has send and aclose attributes.
            made = (source if isinstance(source, AsyncTransport) and not isinstance(source, type)
                    else source())
            self._inner = made
        return self._inner

    async def send(self, request: Request) -> Response:
        async with self._lock:
            response = self.cassette.answer(request)
            if response is not None:
                return response
            try:
                response = await self.inner().send(request)
            except TransportError as exc:
                self.cassette.record(request, exc)
                raise
            self.cassette.record(request, response)
            return response

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()
        if self._owned:
            self.cassette.close()

    def __repr__(self) -> str:
        return f"AsyncCassetteTransport({self.cassette!r})"


class AsyncReplayTransport:
    """A :class:`ReplayTransport` as an async transport (it answers from memory)."""

    def __init__(self, replay: ReplayTransport) -> None:
        self.replay = replay

    async def send(self, request: Request) -> Response:
        return self.replay.send(request)

    async def aclose(self) -> None:
        self.replay.close()

    def __repr__(self) -> str:
        return f"AsyncReplayTransport({self.replay!r})"


async def _no_sleep(seconds: float) -> None:
    pass


def async_replay_client(
    cls: type[A],
    cassette: AsyncCassetteTransport | AsyncReplayTransport | ReplayTransport | Cassette
    | str | os.PathLike[str],
    *,
    appid: str | None = None,
    tokens: Literal["static", "fetch"] = "static",
    order: Literal["strict", "any"] = "strict",
    repeat: bool = False,
    **kwargs: Any,
) -> A:
    """An ``AsyncClient`` class (``AsyncMiniProgram``...) answering from ``cassette``, as
    :func:`~wxcore.adapters.cassette.replay_client` makes sync ones: dummy credentials, a
    fixed access token with ``tokens="static"``, no retry wrapper, no real sleeping."""
    transport: AsyncCassetteTransport | AsyncReplayTransport
    if isinstance(cassette, (AsyncCassetteTransport, AsyncReplayTransport)):
        transport = cassette
    else:
        transport = AsyncReplayTransport(
            cassette if isinstance(cassette, ReplayTransport)
            else ReplayTransport(cassette, order=order, repeat=repeat))
    replay = transport.replay
    if replay is None:
        raise UsageError(f"{transport!r} records; replay_client needs a cassette to replay")
    kwargs.setdefault("sleep", _no_sleep)
    token = replay_token(tokens)
    if token is not None:
        kwargs.setdefault("token_provider", Immediate(StaticTokenProvider(token)))
    appid = appid if appid is not None else replay.cassette.default_appid()
    return cls(appid, REPLAY_SECRET, transport=transport, retry=None, **kwargs)
