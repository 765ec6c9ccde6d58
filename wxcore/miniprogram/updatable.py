"""Updatable messages (动态消息): a shared card whose state the back end changes later.

:func:`create_activity_id` gives the id the Mini Program passes to ``wx.updateShareMenu``;
:func:`set_updatable_msg` moves the card to state 0 (not started: "member_count of
room_limit joined") or 1 (started: opens ``path`` in ``version_type``). The parameters each
state needs are checked here, before sending.
"""

from __future__ import annotations

from typing import Literal

from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.checks import ENV_VERSIONS, at_most_one, checked, one_of

__all__ = ["ActivityIdResult", "create_activity_id", "set_updatable_msg"]



class ActivityIdResult(WxResult, kw_only=True):
    """``activity_id`` and when it expires (``expiration_time``, unix seconds; +24 h)."""

    activity_id: str = ""
    expiration_time: int = 0


CREATE_ACTIVITY_ID = Endpoint("miniprogram.create_activity_id", "GET",
                              "/cgi-bin/message/wxopen/activityid/create", ActivityIdResult)
SET_UPDATABLE_MSG = Endpoint("miniprogram.set_updatable_msg", "POST",
                             "/cgi-bin/message/wxopen/updatablemsg/send", WxResult,
                             idempotent=True)  # setting the same state twice is harmless


@checked
def create_activity_id(*, unionid: str | None = None,
                       openid: str | None = None) -> Call[ActivityIdResult]:
    """A new activity_id; pass the sharer's ``unionid`` or ``openid`` (one, not both) for a
    private message (私密消息), neither for an ordinary one."""
    at_most_one(unionid=unionid, openid=openid)
    return CREATE_ACTIVITY_ID.call(query={"unionid": unionid or None, "openid": openid or None})


def _count(name: str, value: int | str | None) -> str:
    if value is None or value == "":
        raise UsageError(f"{name} is required when target_state is 0")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a whole number (got {value!r})") from None
    if number < 0:
        raise UsageError(f"{name} may not be negative (got {number})")
    return str(number)


@checked
def set_updatable_msg(activity_id: str, target_state: Literal[0, 1], *,
                      member_count: int | str | None = None, room_limit: int | str | None = None,
                      path: str | None = None, version_type: str | None = None) -> Call[WxResult]:
    """Change the card of ``activity_id``.

    ``target_state=0`` needs ``member_count`` and ``room_limit``; ``target_state=1`` needs
    ``path`` and ``version_type`` (``develop``, ``trial`` or ``release``).
    """
    one_of("target_state", target_state, (0, 1))
    parameters: list[dict[str, str]] = []
    if target_state == 0:
        parameters.append({"name": "member_count", "value": _count("member_count", member_count)})
        parameters.append({"name": "room_limit", "value": _count("room_limit", room_limit)})
    else:
        missing = [n for n, v in (("path", path), ("version_type", version_type)) if not v]
        if missing:
            raise UsageError(f"{' and '.join(missing)} required when target_state is 1")
        one_of("version_type", version_type, ENV_VERSIONS)
        parameters.append({"name": "path", "value": str(path)})
        parameters.append({"name": "version_type", "value": str(version_type)})
    return SET_UPDATABLE_MSG.call(json={
        "activity_id": activity_id,
        "target_state": target_state,
        "template_info": {"parameter_list": parameters},
    })
