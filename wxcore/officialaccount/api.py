"""The Official Account endpoints as facade methods: one declaration line each.

:class:`OfficialAccountAPI` is mixed into a client class (the sync
:class:`wxcore.adapters.officialaccount.OfficialAccount`, an async one the same way); each
line derives a method from its builder with :func:`wxcore.facade.method`. Methods that need
I/O (reading an upload, saving a download) or randomness are written in the adapters' facade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["OfficialAccountAPI"]


class OfficialAccountAPI:
    """Every Official Account endpoint whose method needs no I/O beyond the call itself."""

    appid: str
    if TYPE_CHECKING:  # provided by the client class this is mixed into
        def now(self) -> float: ...

    # -- web authorization and JS-SDK (网页授权 / JS-SDK) ---------------------------------

    # -- menus (自定义菜单) -------------------------------------------------------------

    # -- QR codes (二维码) ---------------------------------------------------------------

    # -- users, tags and blacklist (用户管理 / 标签) ----------------------------------------

    # -- operations (运维: callback IPs, quotas, rid) --------------------------------------

    # -- media and materials (素材管理) ----------------------------------------------------

    # -- drafts and publishing (草稿箱 / 发布能力) ------------------------------------------

    # -- mass messages (群发) --------------------------------------------------------------

    # -- customer-service messages (客服消息) ----------------------------------------------

    # -- template and subscription messages (模板消息 / 订阅通知) ----------------------------
