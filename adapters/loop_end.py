"""Closing what belongs to an event loop when that loop ends: :func:`close_with_loop`.

An aiohttp ``ClientSession`` works only on the loop it was made on, and warns
("Unclosed client session", "Unclosed connector") when it is collected unclosed. A client
kept for the life of an application (made at import, used by every request, never given
an ``await client.aclose()``) leaves its session open when ``asyncio.run`` (or uvicorn,
or pytest's loop) finishes. :func:`close_with_loop` closes such a session as the loop shuts
down its async generators, the step every runner takes before closing the loop; a session
closed before then is skipped, and one dropped earlier is not kept alive (it is held
weakly). The next use of the transport on another loop makes a new session.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator
from typing import Protocol

__all__ = ["Closable", "close_with_loop"]


class Closable(Protocol):
    """What :func:`close_with_loop` closes: an aiohttp session's shape."""

    @property
    def closed(self) -> bool: ...

    async def close(self) -> None: ...


# Per loop: the resources to close, and the generator whose finalization closes them (held
# here because the loop itself keeps its async generators only weakly).
_OPEN: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                 tuple[weakref.WeakSet[Closable], AsyncGenerator[None, None]]]
_OPEN = weakref.WeakKeyDictionary()


async def _at_loop_end(resources: weakref.WeakSet[Closable]) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:  # the loop's shutdown_asyncgens() closes this generator
        for resource in list(resources):
            if not resource.closed:
                await resource.close()


def close_with_loop(resource: Closable) -> None:
    """Close ``resource`` when the running loop ends, unless it is closed (or gone) by then."""
    loop = asyncio.get_running_loop()
    entry = _OPEN.get(loop)
    if entry is None:
        resources: weakref.WeakSet[Closable] = weakref.WeakSet()
        closer = _at_loop_end(resources)
        # Run it to its yield now: its first step registers it with the loop's async
        # generator hooks, so the loop finalizes it on shutdown.
        try:
            closer.asend(None).send(None)
        except StopIteration:
            pass
        entry = _OPEN[loop] = (resources, closer)
    entry[0].add(resource)
