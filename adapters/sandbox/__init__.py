"""An offline WeChat: the behaviour an SDK depends on, with no WeChat account.

* :class:`WeChatSandbox` -- the state and the request -> response engine;
* :class:`SandboxTransport` -- plug it into a client in-process;
* :class:`SandboxServer` -- serve it over loopback HTTP (``wxcore sandbox`` on the CLI);
* :class:`Fault` -- inject errcodes, HTTP errors, resets, slow answers, revoked tokens.

Route modules register the endpoints; importing this package loads them all.
"""

from wxcore.adapters.sandbox import miniprogram, tokens  # noqa: F401  (register routes)
from wxcore.adapters.sandbox import mp_analysis, mp_images, mp_services  # noqa: F401
from wxcore.adapters.sandbox import oa_menus, oa_operations, oa_qrcode, oa_users  # noqa: F401
from wxcore.adapters.sandbox import oa_oauth  # noqa: F401
from wxcore.adapters.sandbox import component_routes  # noqa: F401
from wxcore.adapters.sandbox import oa_drafts, oa_mass, oa_media, oa_messages  # noqa: F401
from wxcore.adapters.sandbox import oa_autoreply, oa_comments, oa_kf, oa_onetime  # noqa: F401
from wxcore.adapters.sandbox.core import Fault, SandboxRequest, WeChatSandbox, WxFail, route, snapshot
from wxcore.adapters.sandbox.miniprogram import login_code, phone_code
from wxcore.adapters.sandbox.server import SandboxServer
from wxcore.adapters.sandbox.transport import SandboxTransport
from wxcore.adapters.sandbox.async_transport import AsyncSandboxTransport

__all__ = [
    "AsyncSandboxTransport",
    "WeChatSandbox",
    "SandboxTransport",
    "SandboxServer",
    "SandboxRequest",
    "Fault",
    "WxFail",
    "route",
    "snapshot",
    "login_code",
    "phone_code",
]
