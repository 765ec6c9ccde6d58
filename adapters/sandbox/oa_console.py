"""The Official Account section of the sandbox console: one snapshot made of parts.

The console (``GET /sandbox/state``) draws ``official_account`` with its menu, followers,
tags and QR tickets (see console_page/console.js); each Official Account route module adds
its own part with :func:`oa_part` -- a function ``(sandbox, appid) -> JSON-able value``, empty
when there is nothing to show -- instead of registering a section of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wxcore.adapters.sandbox.core import WeChatSandbox, snapshot

__all__ = ["OA_PARTS", "oa_part"]

Part = Callable[[WeChatSandbox, str], Any]

#: part name -> its function, in the order the parts were registered.
OA_PARTS: dict[str, Part] = {}


def oa_part(name: str) -> Callable[[Part], Part]:
    """Register ``fn(sandbox, appid)`` as part ``name`` of the Official Account section."""

    def register(fn: Part) -> Part:
        OA_PARTS[name] = fn
        return fn

    return register


@snapshot("official_account")
def _snapshot(sb: WeChatSandbox, appid: str) -> dict[str, Any]:
    with sb.lock:
        parts = {name: fn(sb, appid) for name, fn in OA_PARTS.items()}
    return {name: value for name, value in parts.items() if value}
