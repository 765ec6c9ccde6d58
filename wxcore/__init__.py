"""wxcore: a WeChat server-side SDK with a pure functional core.

``wxcore`` (this package) builds requests and parses responses with no I/O;
``wxcore.adapters`` sends them (transports, retries, token providers, clients, the sandbox).

The names users reach for first are offered here too (``from wxcore import MiniProgram``).
They are loaded lazily from :data:`_LAZY_NAMES` on first access, so ``import wxcore`` alone
stays cheap and loads no I/O library; the core modules themselves never import the adapters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# Top-level name -> the module that defines it. Adding a name is one line here plus its
# import in the TYPE_CHECKING block below (for mypy and IDEs); a test checks both agree.
_LAZY_NAMES: dict[str, str] = {
    # facades and the client
    "Client": "wxcore.adapters.client",
    "AsyncClient": "wxcore.adapters.async_client",
    "AsyncMiniProgram": "wxcore.adapters.async_miniprogram",
    "AsyncOfficialAccount": "wxcore.adapters.async_officialaccount",
    "MiniProgram": "wxcore.adapters.miniprogram",
    "OfficialAccount": "wxcore.adapters.officialaccount",
    "Component": "wxcore.adapters.component",
    # receiving pushes
    "MessageServer": "wxcore.adapters.message_server",
    "PushSettings": "wxcore.messages",
    "Router": "wxcore.messages",
    # the offline sandbox
    "WeChatSandbox": "wxcore.adapters.sandbox",
    "SandboxServer": "wxcore.adapters.sandbox",
    "SandboxTransport": "wxcore.adapters.sandbox",
    "AsyncSandboxTransport": "wxcore.adapters.sandbox",
    # the common errors
    "WxError": "wxcore.errors",
    "UsageError": "wxcore.errors",
    "TransportError": "wxcore.errors",
    "HTTPStatusError": "wxcore.errors",
    "DecodeError": "wxcore.errors",
    "APIError": "wxcore.errors",
    "SystemBusyError": "wxcore.errors",
    "TokenInvalidError": "wxcore.errors",
    "QuotaError": "wxcore.errors",
    "CredentialError": "wxcore.errors",
    "UnauthorizedAPIError": "wxcore.errors",
    "TokenError": "wxcore.errors",
    "MessageError": "wxcore.errors",
}

if TYPE_CHECKING:  # "X as X": an explicit re-export, which mypy --strict requires
    from wxcore.adapters.async_client import AsyncClient as AsyncClient
    from wxcore.adapters.async_miniprogram import AsyncMiniProgram as AsyncMiniProgram
    from wxcore.adapters.async_officialaccount import AsyncOfficialAccount as AsyncOfficialAccount
    from wxcore.adapters.client import Client as Client
    from wxcore.adapters.component import Component as Component
    from wxcore.adapters.message_server import MessageServer as MessageServer
    from wxcore.adapters.miniprogram import MiniProgram as MiniProgram
    from wxcore.adapters.officialaccount import OfficialAccount as OfficialAccount
    from wxcore.adapters.sandbox import AsyncSandboxTransport as AsyncSandboxTransport
    from wxcore.adapters.sandbox import SandboxServer as SandboxServer
    from wxcore.adapters.sandbox import SandboxTransport as SandboxTransport
    from wxcore.adapters.sandbox import WeChatSandbox as WeChatSandbox
    from wxcore.errors import APIError as APIError
    from wxcore.errors import CredentialError as CredentialError
    from wxcore.errors import DecodeError as DecodeError
    from wxcore.errors import HTTPStatusError as HTTPStatusError
    from wxcore.errors import MessageError as MessageError
    from wxcore.errors import QuotaError as QuotaError
    from wxcore.errors import SystemBusyError as SystemBusyError
    from wxcore.errors import TokenError as TokenError
    from wxcore.errors import TokenInvalidError as TokenInvalidError
    from wxcore.errors import TransportError as TransportError
    from wxcore.errors import UnauthorizedAPIError as UnauthorizedAPIError
    from wxcore.errors import UsageError as UsageError
    from wxcore.errors import WxError as WxError
    from wxcore.messages import PushSettings as PushSettings
    from wxcore.messages import Router as Router

__all__ = ["__version__", *_LAZY_NAMES]


def __getattr__(name: str) -> object:
    """Load a top-level name from its module on first use (and keep it for next time)."""
    module_name = _LAZY_NAMES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'wxcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_NAMES})
