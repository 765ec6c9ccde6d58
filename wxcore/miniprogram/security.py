"""Content security and risk control (内容安全 / 安全风控).

* :func:`msg_sec_check` -- text check, version 2 (v1 is frozen since 2021-09);
* :func:`media_check_async` -- image/audio check whose verdict WeChat pushes later as a
  ``wxa_media_check`` event; :func:`parse_media_check_push` reads that push (JSON or XML)
  through the message server's parser, :mod:`wxcore.messages.models`;
* :func:`get_user_risk_rank` -- how risky a user is at registration or in a campaign.

``openid`` must be a user who opened the Mini Program in the last two hours (61010
otherwise: :class:`~wxcore.miniprogram.errors.UserInactiveError`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.checks import checked, max_length, one_of
from wxcore.miniprogram.errors import InvalidOpenidError, UserInactiveError, errors_of

if TYPE_CHECKING:  # the messages package is imported only when a push is parsed
    from wxcore.messages.models import MediaCheckEvent

__all__ = [
    "SCENES",
    "SecResult",
    "SecDetail",
    "MsgSecCheckResult",
    "MediaCheckAsyncResult",
    "MediaCheckEvent",
    "UserRiskRankResult",
    "msg_sec_check",
    "media_check_async",
    "parse_media_check_push",
    "get_user_risk_rank",
]

#: Content-security scenes: 1 profile, 2 comment, 3 forum, 4 social log.
SCENES = (1, 2, 3, 4)
MEDIA_TYPES = {"audio": 1, "image": 2}


class SecResult(msgspec.Struct, kw_only=True):
    """The overall verdict: ``suggest`` is ``risky``, ``pass`` or ``review``; ``label`` 100 is
    normal, 10001 ads, 20001 politics, 20002 porn, 20003 abuse, 20006 crime, 20008 fraud,
    20012 vulgar, 20013 copyright, 21000 other."""

    suggest: str = ""
    label: int = 0


class SecDetail(msgspec.Struct, kw_only=True):
    """One strategy's verdict; meaningful only when its own ``errcode`` is 0."""

    strategy: str = ""
    errcode: int = 0
    suggest: str = ""
    label: int = 0
    prob: float = 0
    keyword: str = ""
    level: int = 0


class MsgSecCheckResult(WxResult, kw_only=True):
    """``wxa/msg_sec_check`` (v2)."""

    trace_id: str = ""
    result: SecResult = msgspec.field(default_factory=SecResult)
    detail: list[SecDetail] = []

    @property
    def is_risky(self) -> bool:
        return self.result.suggest == "risky"


class MediaCheckAsyncResult(WxResult, kw_only=True):
    """``wxa/media_check_async``: the ``trace_id`` the later push will carry."""

    trace_id: str = ""


class UserRiskRankResult(WxResult, kw_only=True):
    """``wxa/getuserriskrank``: ``risk_rank`` 0 (safe) .. 4 (riskiest); ``unoin_id`` (sic) is
    the id of this assessment, spelled as WeChat spells it."""

    risk_rank: int = 0
    unoin_id: int = 0


_SEC_ERRORS = errors_of(InvalidOpenidError, UserInactiveError)

MSG_SEC_CHECK = Endpoint("miniprogram.msg_sec_check", "POST", "/wxa/msg_sec_check",
                         MsgSecCheckResult, idempotent=True, errors=_SEC_ERRORS)
MEDIA_CHECK_ASYNC = Endpoint("miniprogram.media_check_async", "POST",
                             "/wxa/media_check_async", MediaCheckAsyncResult,
                             errors=_SEC_ERRORS)
GET_USER_RISK_RANK = Endpoint("miniprogram.get_user_risk_rank", "POST",
                              "/wxa/getuserriskrank", UserRiskRankResult,
                              idempotent=True, errors=_SEC_ERRORS)


@checked
def msg_sec_check(openid: str, content: str, scene: int, *, title: str | None = None,
                  nickname: str | None = None, signature: str | None = None
                  ) -> Call[MsgSecCheckResult]:
    """Check user text (≤ 2500 characters) for risky content, version 2."""
    max_length("content", content, 2500)
    one_of("scene", scene, SCENES)
    return MSG_SEC_CHECK.call(json={
        "content": content, "version": 2, "scene": scene, "openid": openid,
        "title": title, "nickname": nickname, "signature": signature,
    })


@checked
def media_check_async(openid: str, media_url: str, media_type: int | str, scene: int
                      ) -> Call[MediaCheckAsyncResult]:
    """Submit an image or audio URL (≤ 10 MB) for checking; the verdict is pushed later.

    ``media_type``: 1 or ``"audio"``, 2 or ``"image"``.
    """
    if isinstance(media_type, str):
        one_of("media_type", media_type, tuple(MEDIA_TYPES))
        media_type = MEDIA_TYPES[media_type]
    one_of("media_type", media_type, (1, 2))
    one_of("scene", scene, SCENES)
    if not media_url.startswith(("http://", "https://")):
        raise UsageError(f"media_url must be an http(s) URL (got {media_url[:40]!r})")
    return MEDIA_CHECK_ASYNC.call(json={
        "media_url": media_url, "media_type": media_type, "version": 2, "scene": scene,
        "openid": openid,
    })


def __getattr__(name: str) -> object:
    """``MediaCheckEvent`` is re-exported lazily, with the messages package behind it."""
    if name == "MediaCheckEvent":
        from wxcore.messages.models import MediaCheckEvent

        return MediaCheckEvent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_media_check_push(body: bytes | str) -> MediaCheckEvent:
    """The ``wxa_media_check`` push (plaintext JSON or XML) as a typed event.

    Signature checks and decryption of the push belong to the message server
    (:mod:`wxcore.messages`); this reads a plaintext body. Another kind of push raises
    :class:`~wxcore.messages.errors.MessageFormatError`.
    """
    from wxcore.messages.errors import MessageFormatError
    from wxcore.messages.models import MediaCheckEvent, parse_body

    message = parse_body(body)
    if not isinstance(message, MediaCheckEvent):
        raise MessageFormatError(f"not a wxa_media_check push: {type(message).__name__}")
    return message


@checked
def get_user_risk_rank(appid: str, openid: str, scene: int, client_ip: str, *,
                       mobile_no: str | None = None, email_address: str | None = None,
                       extended_info: str | None = None, is_test: bool | None = None
                       ) -> Call[UserRiskRankResult]:
    """The risk rank of a user (``scene`` 0: registration, 1: marketing cheat, 2: UGC).

    Scene 2 is listed by the current page,
    https://developers.weixin.qq.com/minigame/dev/api-backend/safety-control-capability/api_getuserriskrank.html
    """
    one_of("scene", scene, (0, 1, 2))
    return GET_USER_RISK_RANK.call(json={
        "appid": appid, "openid": openid, "scene": scene, "client_ip": client_ip,
        "mobile_no": mobile_no, "email_address": email_address,
        "extended_info": extended_info, "is_test": is_test,
    })
