"""Custom menus (自定义菜单): the default menu and conditional (personalized) menus.

``create_menu(menu_data)`` takes the dict WeChat documents (``{"button": [...]}``, the shape
wechat-python-sdk's ``create_menu`` took) or a :class:`Menu` (so ``get_menu().menu`` can be
edited and sent back). :func:`check_menu` applies WeChat's rules before anything is sent:

* 1-3 top buttons, 1-5 ``sub_button`` under a top button; a button with sub-buttons has no
  ``type`` (it only opens them), every other button has one;
* names in UTF-8 bytes: at most 16 for a top button, 60 for a sub-button (a CJK character is
  3 bytes); ``key`` at most 128 bytes, ``url`` at most 1024;
* each type's own keys: ``url`` for view; ``key`` for click and the scan, photo and location
  types; ``appid`` + ``pagepath`` + ``url`` (the fallback for old clients) for miniprogram;
  ``media_id`` for media_id / view_limited; ``article_id`` for article_id /
  article_view_limited. Unknown keys are refused rather than dropped.

A conditional menu adds ``matchrule``: since 2021 WeChat matches only on ``tag_id`` and
``client_platform_type`` (1 iOS, 2 Android, 3 other) and refuses rules on sex, region or
language (65320), so those are refused here.

Docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu.html,
https://developers.weixin.qq.com/doc/service/api/custommenu/api_addconditionalmenu,
https://developers.weixin.qq.com/doc/service/api/custommenu/api_getcurrentselfmenuinfo
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

import msgspec

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, WxResult
from wxcore.errors import UsageError
from wxcore.officialaccount.errors import InvalidOpenidError, MenuError, errors_of

__all__ = [
    "BUTTON_TYPES",
    "Button",
    "Menu",
    "MatchRule",
    "ConditionalMenu",
    "MenuResult",
    "NewsItem",
    "NewsInfo",
    "SelfMenuButton",
    "SelfMenuSubButtons",
    "SelfMenuInfo",
    "SelfMenuResult",
    "ConditionalMenuResult",
    "TryMatchResult",
    "MenuData",
    "check_menu",
    "check_matchrule",
    "create_menu",
    "get_menu",
    "get_current_selfmenu_info",
    "delete_menu",
    "add_conditional_menu",
    "delete_conditional_menu",
    "try_match_menu",
]

_KEY_TYPES = ("click", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
              "pic_photo_or_album", "pic_weixin", "location_select")
#: Each button type and the keys it requires besides ``name``.
BUTTON_TYPES: Mapping[str, tuple[str, ...]] = {
    **{kind: ("key",) for kind in _KEY_TYPES},
    "view": ("url",),
    "miniprogram": ("appid", "pagepath", "url"),
    "media_id": ("media_id",),
    "view_limited": ("media_id",),
    "article_id": ("article_id",),
    "article_view_limited": ("article_id",),
}
_BUTTON_KEYS = frozenset({"type", "name", "key", "url", "media_id", "article_id", "appid",
                          "pagepath", "sub_button"})
_BYTE_LIMITS = {"key": 128, "url": 1024}
MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
TOP_NAME_BYTES, SUB_NAME_BYTES = 16, 60
_PLATFORMS = ("1", "2", "3")
_PRIVATE_RULES = ("sex", "country", "province", "city", "language")


class Button(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A menu button as WeChat returns it (and as :func:`create_menu` accepts it)."""

    name: str = ""
    type: str = ""
    key: str = ""
    url: str = ""
    media_id: str = ""
    article_id: str = ""
    appid: str = ""
    pagepath: str = ""
    sub_button: list[Button] = []


class Menu(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The default menu; ``menuid`` is WeChat's, left out when the menu is sent back."""

    button: list[Button] = []
    menuid: int = 0


class MatchRule(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Who sees a conditional menu. WeChat sends numbers or numeric text; the retired rules
    (sex, region, language, group_id) still show on menus created before 2021."""

    tag_id: str | int = ""
    client_platform_type: str | int = ""
    group_id: str | int = ""
    sex: str | int = ""
    country: str = ""
    province: str = ""
    city: str = ""
    language: str = ""


class ConditionalMenu(msgspec.Struct, kw_only=True, omit_defaults=True):
    button: list[Button] = []
    matchrule: MatchRule = msgspec.field(default_factory=MatchRule)
    menuid: int = 0


class MenuResult(WxResult, kw_only=True):
    """``menu/get``: the default menu and every conditional menu (46003 when there is none)."""

    menu: Menu = msgspec.field(default_factory=Menu)
    conditionalmenu: list[ConditionalMenu] = []


class NewsItem(msgspec.Struct, kw_only=True):
    title: str = ""
    author: str = ""
    digest: str = ""
    show_cover: int = 0
    cover_url: str = ""
    content_url: str = ""
    source_url: str = ""


class NewsInfo(msgspec.Struct, kw_only=True):
    list: builtins.list[NewsItem] = []


class SelfMenuSubButtons(msgspec.Struct, kw_only=True):
    list: builtins.list[SelfMenuButton] = []


class SelfMenuButton(msgspec.Struct, kw_only=True):
    """A button of the menu in use. Menus set on the web console use ``type`` text, img,
    voice, video or news and put their content in ``value`` (and ``news_info``)."""

    name: str = ""
    type: str = ""
    key: str = ""
    url: str = ""
    value: str = ""
    appid: str = ""
    pagepath: str = ""
    news_info: NewsInfo | None = None
    sub_button: SelfMenuSubButtons | None = None


class SelfMenuInfo(msgspec.Struct, kw_only=True):
    button: list[SelfMenuButton] = []


class SelfMenuResult(WxResult, kw_only=True):
    """``get_current_selfmenu_info``: the menu users see, set by API or on the web console."""

    is_menu_open: int = 0
    selfmenu_info: SelfMenuInfo = msgspec.field(default_factory=SelfMenuInfo)


class ConditionalMenuResult(WxResult, kw_only=True):
    """``menu/addconditional``: the new menu's id (text in WeChat's example)."""

    menuid: str | int = ""


class TryMatchResult(WxResult, kw_only=True):
    """``menu/trymatch``: the buttons that user would see."""

    button: list[Button] = []


#: What the menu builders accept: WeChat's dict, or a typed menu.
MenuData = Mapping[str, Any] | Menu | ConditionalMenu


# -- checks ------------------------------------------------------------------------------------


def _text(where: str, value: object, *, byte_limit: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where} must be a non-empty string (got {value!r})")
    size = len(value.encode("utf-8"))
    if byte_limit is not None and size > byte_limit:
        raise UsageError(f"{where} may have at most {byte_limit} bytes in UTF-8 (got {size}: "
                         f"{value!r})")
    return value


def _button(where: str, data: object, *, top: bool) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise UsageError(f"{where} must be a mapping (got {type(data).__name__})")
    unknown = sorted(set(data) - _BUTTON_KEYS)
    if unknown:
        raise UsageError(f"{where} has keys WeChat does not know: {', '.join(unknown)}")
    button: dict[str, Any] = {"name": _text(f"{where}.name", data.get("name"),
                                            byte_limit=TOP_NAME_BYTES if top else SUB_NAME_BYTES)}
    subs = data.get("sub_button")
    if subs:  # WeChat itself returns "sub_button": [] on leaf buttons
        if not top:
            raise UsageError(f"{where}: a sub-button cannot have sub-buttons of its own")
        if "type" in data:
            raise UsageError(f"{where} has sub_button, so it has no type (it opens the sub-menu)")
        extra = sorted(set(data) - {"name", "sub_button"})
        if extra:
            raise UsageError(f"{where} has sub_button, so it takes only name: drop "
                             f"{', '.join(extra)}")
        if not isinstance(subs, list) or len(subs) > MAX_SUB_BUTTONS:
            raise UsageError(f"{where}.sub_button must be a list of 1 to {MAX_SUB_BUTTONS} "
                             f"buttons (got {len(subs) if isinstance(subs, list) else subs!r})")
        button["sub_button"] = [_button(f"{where}.sub_button[{i}]", sub, top=False)
                                for i, sub in enumerate(subs)]
        return button
    kind = data.get("type")
    if kind not in BUTTON_TYPES:
        raise UsageError(f"{where}.type must be one of {', '.join(BUTTON_TYPES)} "
                         f"(got {kind!r})")
    button["type"] = kind
    needed = BUTTON_TYPES[str(kind)]
    for name in sorted(set(data) - {"name", "type", "sub_button"}):
        if name not in needed:
            raise UsageError(f"{where}: a {kind} button takes {', '.join(needed)}, not {name}")
    for name in needed:
        value = _text(f"{where}.{name}", data.get(name), byte_limit=_BYTE_LIMITS.get(name))
        if name == "url" and not value.startswith(("http://", "https://")):
            raise UsageError(f"{where}.url must be an http:// or https:// URL (got {value!r})")
        button[name] = value
    return button


def check_matchrule(rule: object) -> dict[str, str]:
    """A conditional menu's ``matchrule`` as WeChat takes it, or a usage error naming the key."""
    if not isinstance(rule, Mapping):
        raise UsageError(f"matchrule must be a mapping (got {type(rule).__name__})")
    given = {k: v for k, v in rule.items() if v not in (None, "")}
    private = sorted(set(given) & set(_PRIVATE_RULES))
    if private:
        raise UsageError(f"matchrule.{private[0]}: WeChat no longer matches menus on sex, region "
                         "or language (65320); use tag_id")
    if "group_id" in given:
        raise UsageError("matchrule.group_id: user groups were retired; use tag_id")
    unknown = sorted(set(given) - {"tag_id", "client_platform_type"})
    if unknown:
        raise UsageError(f"matchrule has keys WeChat does not know: {', '.join(unknown)}")
    if not given:
        raise UsageError("matchrule needs tag_id or client_platform_type (65304: empty rule)")
    checked_rule: dict[str, str] = {}
    tag_id = given.get("tag_id")
    if tag_id is not None:
        if isinstance(tag_id, bool) or not str(tag_id).isdigit():
            raise UsageError(f"matchrule.tag_id must be a tag's id (got {tag_id!r})")
        checked_rule["tag_id"] = str(tag_id)
    platform = given.get("client_platform_type")
    if platform is not None:
        if isinstance(platform, bool) or str(platform) not in _PLATFORMS:
            raise UsageError(f"matchrule.client_platform_type must be 1 (iOS), 2 (Android) or 3 "
                             f"(other) (got {platform!r})")
        checked_rule["client_platform_type"] = str(platform)
    return checked_rule


def check_menu(menu_data: MenuData, *, conditional: bool = False) -> dict[str, Any]:
    """``menu_data`` checked against WeChat's menu rules, as the JSON body to send."""
    if isinstance(menu_data, (Menu, ConditionalMenu)):
        built: dict[str, Any] = msgspec.to_builtins(menu_data)
        built.pop("menuid", None)
        if not conditional:
            built.pop("matchrule", None)
        menu_data = built
    allowed = {"button", "matchrule"} if conditional else {"button"}
    unknown = sorted(set(menu_data) - allowed)
    if unknown:
        hint = " (a conditional menu: use add_conditional_menu)" if "matchrule" in unknown else ""
        raise UsageError(f"menu_data takes {' and '.join(sorted(allowed))}, not "
                         f"{', '.join(unknown)}{hint}")
    buttons = menu_data.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        count = len(buttons) if isinstance(buttons, list) else repr(buttons)
        raise UsageError(f"menu_data['button'] must be a list of 1 to {MAX_BUTTONS} buttons "
                         f"(got {count})")
    body: dict[str, Any] = {"button": [_button(f"button[{i}]", b, top=True)
                                       for i, b in enumerate(buttons)]}
    if conditional:
        body["matchrule"] = check_matchrule(menu_data.get("matchrule"))
    return body


# -- endpoints and builders ---------------------------------------------------------------------

_MENU_ERRORS = errors_of(MenuError)

CREATE_MENU = Endpoint("officialaccount.create_menu", "POST", "/cgi-bin/menu/create", WxResult,
                       idempotent=True,  # the same menu again replaces it with itself
                       errors=_MENU_ERRORS)
GET_MENU = Endpoint("officialaccount.get_menu", "GET", "/cgi-bin/menu/get", MenuResult,
                    errors=_MENU_ERRORS)
GET_CURRENT_SELFMENU_INFO = Endpoint("officialaccount.get_current_selfmenu_info", "GET",
                                     "/cgi-bin/get_current_selfmenu_info", SelfMenuResult)
DELETE_MENU = Endpoint("officialaccount.delete_menu", "GET", "/cgi-bin/menu/delete", WxResult)
ADD_CONDITIONAL_MENU = Endpoint("officialaccount.add_conditional_menu", "POST",
                                "/cgi-bin/menu/addconditional", ConditionalMenuResult,
                                errors=_MENU_ERRORS)
DELETE_CONDITIONAL_MENU = Endpoint("officialaccount.delete_conditional_menu", "POST",
                                   "/cgi-bin/menu/delconditional", WxResult, idempotent=True,
                                   errors=_MENU_ERRORS)
TRY_MATCH_MENU = Endpoint("officialaccount.try_match_menu", "POST", "/cgi-bin/menu/trymatch",
                          TryMatchResult, idempotent=True,
                          errors={**_MENU_ERRORS, **errors_of(InvalidOpenidError)})


@checked
def create_menu(menu_data: MenuData) -> Call[WxResult]:
    """Set the default menu (replacing it; conditional menus need it to exist)."""
    return CREATE_MENU.call(json=check_menu(menu_data))


@checked
def get_menu() -> Call[MenuResult]:
    """The menus set through the API: the default one and the conditional ones."""
    return GET_MENU.call()


@checked
def get_current_selfmenu_info() -> Call[SelfMenuResult]:
    """The menu in use, whether set through the API or on the web console (mp.weixin.qq.com)."""
    return GET_CURRENT_SELFMENU_INFO.call()


@checked
def delete_menu() -> Call[WxResult]:
    """Delete the default menu and, with it, every conditional menu."""
    return DELETE_MENU.call()


@checked
def add_conditional_menu(menu_data: MenuData) -> Call[ConditionalMenuResult]:
    """Add a menu shown to the users ``menu_data['matchrule']`` picks (newest rule wins)."""
    return ADD_CONDITIONAL_MENU.call(json=check_menu(menu_data, conditional=True))


@checked
def delete_conditional_menu(menuid: str | int) -> Call[WxResult]:
    """Delete one conditional menu by the id add_conditional_menu returned."""
    if isinstance(menuid, int) and menuid <= 0 or not str(menuid).strip().isdigit():
        raise UsageError(f"menuid must be a menu's id, digits (got {menuid!r})")
    return DELETE_CONDITIONAL_MENU.call(json={"menuid": str(menuid).strip()})


@checked
def try_match_menu(user_id: str) -> Call[TryMatchResult]:
    """The menu a user would see: ``user_id`` is their openid or WeChat ID (微信号)."""
    return TRY_MATCH_MENU.call(json={"user_id": user_id})
