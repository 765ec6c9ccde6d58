"""wxcore: a WeChat server-side SDK with a pure functional core.

``wxcore`` (this package) builds requests and parses responses with no I/O;
``wxcore.adapters`` sends them (transports, retries, token providers, clients, the sandbox).

The names users reach for first are offered here too (``from wxcore import MiniProgram``).
They are loaded lazily from :data:`_LAZY_NAMES` on first access, so ``import wxcore`` alone
stays cheap and loads no I/O library; the core modules themselves never import the adapters.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Top-level name -> the module that defines it. Adding a name is one line here plus its
# import in __init__.pyi (what mypy and IDEs read for this module); a test checks both agree.
# The core imports no adapter, not even for types: the stub file holds those imports.
_LAZY_NAMES: dict[str, str] = {
    # facades and the client
    "Client": "wxcore.adapters.client",
    "AsyncClient": "wxcore.adapters.async_client",
    "AsyncMiniProgram": "wxcore.adapters.async_miniprogram",
    "AsyncOfficialAccount": "wxcore.adapters.async_officialaccount",
    "MiniProgram": "wxcore.adapters.miniprogram",
    "OfficialAccount": "wxcore.adapters.officialaccount",
    "Component": "wxcore.adapters.component",
    "AsyncComponent": "wxcore.adapters.async_component",
    # receiving pushes
    "MessageServer": "wxcore.adapters.message_server",
    "AsyncMessageServer": "wxcore.adapters.async_message_server",
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
