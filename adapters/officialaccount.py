"""The Official Account (公众号) facade: the sync :class:`Client` with every Official Account API.

Methods are declared once, from their builders, in
:class:`wxcore.officialaccount.api.OfficialAccountAPI`, and those reading uploads, saving
downloads or signing JS-SDK configs in :class:`~wxcore.adapters.oa_methods.OfficialAccountIO`
(both shared with the async facade); this module adds the sync-only parts: the
web-authorization flow with its user-token store, the message server, sync paging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from wxcore.endpoint import Call
from wxcore.officialaccount import drafts, media, tags, users
from wxcore.officialaccount.api import OfficialAccountAPI
from wxcore.officialaccount.oauth import Lang, UserInfoResult
from wxcore.officialaccount.paging import MAX_PAGE, Paged, offset_pages

from wxcore.adapters.client import Client
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.oa_methods import OfficialAccountIO, PushSetup
from wxcore.adapters.paging import iter_items
from wxcore.adapters.webauth import Redirect, UserTokenStore, WebAuth

__all__ = ["OfficialAccount"]

P = TypeVar("P", bound=Paged)


class OfficialAccount(OfficialAccountAPI, OfficialAccountIO, PushSetup[MessageServer], Client):
    """An Official Account back end's view of WeChat.

    >>> oa = OfficialAccount("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> oa.create_menu(menu_data)                                # doctest: +SKIP

    Uploads, downloads, JS-SDK signatures and image processing (``ai_crop``,
    ``scan_qr_code``, the Mini Program's ``/cv/img/`` endpoints) come from
    :class:`~wxcore.adapters.oa_methods.OfficialAccountIO`, shared with the async facade.
    """

    _server_class = MessageServer

    # -- web authorization and JS-SDK (网页授权 / JS-SDK) ---------------------------------
    _web_auth: WebAuth | None = None

    def web_auth(self, *, store: UserTokenStore | None = None,
                 state_key: bytes | str | None = None,
                 state_max_age: float | None = None) -> WebAuth:
        """This account's web-authorization flow; with arguments, set it up anew.

        ``store`` keeps users' tokens by openid (default in memory; a
        :class:`~wxcore.adapters.webauth.RedisUserTokenStore` for several processes),
        ``state_key`` signs ``state`` values (share it between processes).
        """
        options: dict[str, Any] = {"store": store, "state_key": state_key}
        if state_max_age is not None:
            options["state_max_age"] = state_max_age
        if self._web_auth is None or store is not None or state_key is not None \
                or state_max_age is not None:
            self._web_auth = WebAuth(self, **options)
        return self._web_auth

    def authorize_userinfo(self, redirect_uri: str, code: str | None = None,
                           state: str | None = None, *, openid: str | None = None,
                           lang: Lang = "zh_CN", context: str = "",
                           data: str = "") -> Redirect | UserInfoResult:
        """The user's profile, or a :class:`Redirect` to WeChat's consent page: see
        :meth:`WebAuth.authorize_userinfo <wxcore.adapters.webauth.WebAuth.authorize_userinfo>`."""
        return self.web_auth().authorize_userinfo(redirect_uri, code, state, openid=openid,
                                                  lang=lang, context=context, data=data)


    # -- QR codes and users (二维码 / 用户管理): downloads and paging ------------------------

    def _openids(self, page: Callable[[str | None], Call[users.OpenidPage]],
                 start: str | None) -> Iterator[str]:
        """Every openid of a paged list, one call per page (:func:`users.openid_pages`); the
        first call is built here, so bad arguments fail at once, not at the first next()."""
        return iter_items(self, users.openid_pages(page, start), lambda page: page.openids)

    def iter_followers(self, next_openid: str | None = None) -> Iterator[str]:
        """Every follower's openid (from the start, or after ``next_openid``), page by page."""
        return self._openids(users.get_followers, next_openid)

    def iter_blacklist(self, begin_openid: str | None = None) -> Iterator[str]:
        """Every blacklisted user's openid, page by page."""
        return self._openids(users.get_blacklist, begin_openid)

    def iter_tag_users(self, tag_id: int, next_openid: str | None = None) -> Iterator[str]:
        """Every openid carrying tag ``tag_id``, page by page."""
        return self._openids(lambda cursor: tags.get_tag_users(tag_id, cursor), next_openid)

    # -- media and materials (素材管理) ----------------------------------------------------

    def iter_materials(self, media_type: media.MaterialType) -> Iterator[media.MaterialItem]:
        """Every permanent material of one kind, page after page (batchget_material)."""
        return self._offset_items(lambda offset: media.batchget_material(media_type, offset))

    # -- drafts and publishing (草稿箱 / 发布能力) ------------------------------------------

    def iter_drafts(self, *, no_content: bool = False) -> Iterator[drafts.DraftItem]:
        """Every draft, page after page (draft/batchget)."""
        return self._offset_items(lambda offset: drafts.batchget_draft(
            offset, MAX_PAGE, no_content=no_content))

    def iter_published(self, *, no_content: bool = False) -> Iterator[drafts.PublishedEntry]:
        """Every successful publication, page after page (freepublish/batchget)."""
        return self._offset_items(lambda offset: drafts.batchget_published(
            offset, MAX_PAGE, no_content=no_content))

    def _offset_items(self, page_at: Callable[[int], Call[P]]) -> Iterator[Any]:
        """The items of an offset list, one call per page (:func:`paging.offset_pages`); the
        first call is built here, so bad arguments fail at once, not at the first next()."""
        return iter_items(self, offset_pages(page_at), lambda page: page.item)
