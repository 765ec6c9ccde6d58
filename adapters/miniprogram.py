"""The Mini Program (小程序) facade: one-line methods over the Mini Program endpoints.

Method names follow the ones Mini Program developers know (``code2session``,
``get_phone_number``, ...); each is a builder from :mod:`wxcore.miniprogram` passed to
:meth:`Client.call`, so the facade holds no logic of its own.
"""

from __future__ import annotations

from wxcore.miniprogram import login

from wxcore.adapters.client import Client

__all__ = ["MiniProgram"]


class MiniProgram(Client):
    """A Mini Program back end's view of WeChat.

    >>> mp = MiniProgram("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> session = mp.code2session(js_code)                     # doctest: +SKIP
    """

    # -- login and users (登录与用户) ----------------------------------------------------

    def code2session(self, js_code: str) -> login.Code2SessionResult:
        """Exchange a ``wx.login`` code for openid, session_key (and unionid)."""
        return self.call(login.code2session(self.appid, js_code))

    def get_phone_number(self, code: str, openid: str | None = None) -> login.PhoneNumberResult:
        """Exchange a ``getPhoneNumber`` button code for the user's phone number."""
        return self.call(login.get_phone_number(code, openid))
