"""Types of the top-level names of wxcore (see __init__.py, which loads them lazily).

Type checkers read this file instead of __init__.py: it holds the imports of the lazily
offered names, so that the package's own module never imports an adapter.
"""

from wxcore.adapters.async_client import AsyncClient as AsyncClient
from wxcore.adapters.async_component import AsyncComponent as AsyncComponent
from wxcore.adapters.async_message_server import AsyncMessageServer as AsyncMessageServer
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

__version__: str
__all__: list[str]
