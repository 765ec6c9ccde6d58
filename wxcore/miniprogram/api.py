"""The Mini Program endpoints as facade methods: one declaration line each.

:class:`MiniProgramAPI` is mixed into a client class — the sync
:class:`wxcore.adapters.miniprogram.MiniProgram` today, an async one the same way — and each
line derives a method from its builder (:func:`wxcore.facade.method`): the builder's
parameters, types and docstring, with the appid, the time or today's date (China time)
supplied by the client. Methods that need I/O (reading an upload, saving a download) are
written in the adapters' facade; the pure helpers at the end need only the appid.

The builder modules are imported on first use (:func:`~wxcore.facade.lazy_method`,
:class:`~wxcore.facade.deferred_module`), so importing the facade -- what the quick start
does first -- does not import every endpoint family's builders, result types and checks.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from wxcore.facade import APPID, NOW, TODAY, china_date, deferred_module, lazy_method
from wxcore.officialaccount.operations_api import OperationsAPI

if TYPE_CHECKING:
    from wxcore.messages.models import MediaCheckEvent
    from wxcore.miniprogram import (
        analysis,
        datacrypt,
        links,
        login,
        security,
        soter,
        subscribe,
        updatable,
        wxacode,
    )
else:  # the same modules, imported on first use
    (analysis, datacrypt, links, login, security, soter, subscribe, updatable, wxacode) = (
        deferred_module(f"wxcore.miniprogram.{name}") for name in (
            "analysis", "datacrypt", "links", "login", "security", "soter", "subscribe",
            "updatable", "wxacode"))

__all__ = ["MiniProgramAPI"]


class MiniProgramAPI(OperationsAPI):  # operations (运维): declared once, for both account types
    """Every Mini Program endpoint whose method needs no I/O beyond the call itself."""

    appid: str
    if TYPE_CHECKING:  # provided by the client class this is mixed into
        def now(self) -> float: ...

    def today(self) -> date:
        """Today in China (UTC+8) by the client's clock: the datacube queries' day boundary."""
        return china_date(self.now())

    # -- login and users (登录与用户) ----------------------------------------------------
    code2session = lazy_method(lambda: login.code2session, APPID)
    get_phone_number = lazy_method(lambda: login.get_phone_number)
    check_encrypted_data = lazy_method(lambda: login.check_encrypted_data)
    get_paid_unionid = lazy_method(lambda: login.get_paid_unionid)
    get_plugin_open_pid = lazy_method(lambda: login.get_plugin_open_pid)

    # -- data analysis (数据分析): today's date in China bounds each query ----------------
    get_daily_retain = lazy_method(lambda: analysis.get_daily_retain, TODAY)
    get_weekly_retain = lazy_method(lambda: analysis.get_weekly_retain, TODAY)
    get_monthly_retain = lazy_method(lambda: analysis.get_monthly_retain, TODAY)
    get_daily_summary = lazy_method(lambda: analysis.get_daily_summary, TODAY)
    get_daily_visit_trend = lazy_method(lambda: analysis.get_daily_visit_trend, TODAY)
    get_weekly_visit_trend = lazy_method(lambda: analysis.get_weekly_visit_trend, TODAY)
    get_monthly_visit_trend = lazy_method(lambda: analysis.get_monthly_visit_trend, TODAY)

    # -- content security and risk (内容安全 / 安全风控) ----------------------------------
    msg_sec_check = lazy_method(lambda: security.msg_sec_check)
    media_check_async = lazy_method(lambda: security.media_check_async)
    get_user_risk_rank = lazy_method(lambda: security.get_user_risk_rank, APPID)

    # -- updatable and subscribe messages (动态消息 / 订阅消息) ---------------------------
    create_activity_id = lazy_method(lambda: updatable.create_activity_id)
    set_updatable_msg = lazy_method(lambda: updatable.set_updatable_msg)
    send_subscribe_message = lazy_method(lambda: subscribe.send_subscribe_message)

    # -- codes and links (小程序码 / 链接): links check expiry against the current time ------
    get_wxacode = lazy_method(lambda: wxacode.get_wxacode)
    get_wxacode_unlimited = lazy_method(lambda: wxacode.get_wxacode_unlimited)
    create_wxaqrcode = lazy_method(lambda: wxacode.create_wxaqrcode)
    generate_short_link = lazy_method(lambda: links.generate_short_link)
    generate_urllink = lazy_method(lambda: links.generate_urllink, NOW)
    generate_scheme = lazy_method(lambda: links.generate_scheme, NOW)

    # -- SOTER (生物认证) ------------------------------------------------------------------
    verify_signature = lazy_method(lambda: soter.verify_signature)

    # -- pure helpers: encryptedData of the older client flows (no call to WeChat) ---------

    def decrypt_data(self, session_key: str, encrypted_data: str, iv: str) -> dict[str, Any]:
        """Decrypt a client ``encryptedData`` (WXBizDataCrypt), watermark checked."""
        return datacrypt.decrypt_data(self.appid, session_key, encrypted_data, iv)

    def decrypt_phone_number(self, session_key: str, encrypted_data: str,
                             iv: str) -> login.PhoneInfo:
        """The phone number of the older ``getPhoneNumber`` flow."""
        return datacrypt.decrypt_phone_number(self.appid, session_key, encrypted_data, iv)

    def decrypt_user_info(self, session_key: str, encrypted_data: str,
                          iv: str) -> datacrypt.UserInfo:
        """The profile of ``wx.getUserInfo``'s encryptedData."""
        return datacrypt.decrypt_user_info(self.appid, session_key, encrypted_data, iv)

    @staticmethod
    def check_raw_data(raw_data: str, signature: str, session_key: str) -> None:
        """See :func:`wxcore.miniprogram.datacrypt.check_raw_data`."""
        datacrypt.check_raw_data(raw_data, signature, session_key)

    @staticmethod
    def parse_media_check_push(body: bytes | str) -> MediaCheckEvent:
        """See :func:`wxcore.miniprogram.security.parse_media_check_push`."""
        return security.parse_media_check_push(body)
