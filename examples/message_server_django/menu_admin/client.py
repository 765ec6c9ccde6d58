"""The Official Account client the settings describe: WeChat itself, or a sandbox.

``WECHAT_APPID`` and ``WECHAT_SECRET`` name the account; ``WECHAT_API_BASE`` (for example
``http://127.0.0.1:8765`` from ``wxcore sandbox``) sends every call there instead of WeChat,
with the sandbox's default account when no appid is set.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from wxcore import OfficialAccount, WeChatSandbox
from wxcore.adapters.transport import Urllib3Transport


def official_account() -> OfficialAccount:
    """A client for the configured account; a clear error when it is not configured."""
    base = settings.WECHAT_API_BASE
    appid = settings.WECHAT_APPID or (WeChatSandbox.DEFAULT_APPID if base else "")
    secret = settings.WECHAT_SECRET or (WeChatSandbox.DEFAULT_SECRET if base else "")
    if not appid or not secret:
        raise CommandError("set WECHAT_APPID and WECHAT_SECRET (or WECHAT_API_BASE for a "
                           "sandbox) to manage the menu")
    transport = Urllib3Transport.for_base_url(base) if base else None
    return OfficialAccount(appid, secret, transport=transport)
