"""The Official Account (公众号) facade: the sync :class:`Client` with every Official Account API.

Methods are declared once, from their builders, in
:class:`wxcore.officialaccount.api.OfficialAccountAPI`; this module adds only what needs I/O,
the clock or randomness (reading uploads, saving downloads, nonces for JS-SDK signatures, the
web-authorization flow with its user-token store).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from wxcore.endpoint import Call, Media, WxResult
from wxcore.errors import UsageError
from wxcore.http import bind
from wxcore.messages import PushSettings, Router, SignatureError
from wxcore.messages.signature import check_signature as _check_signature
from wxcore.officialaccount import drafts, jssdk, kf, media, qrcode, tags, users
from wxcore.officialaccount.api import OfficialAccountAPI
from wxcore.officialaccount.oauth import Lang, UserInfoResult
from wxcore.officialaccount.paging import MAX_PAGE, OffsetPage, next_offset

from wxcore.adapters.client import Client
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.miniprogram import ImageProcessing
from wxcore.adapters.uploads import DownloadTarget, UploadInput, read_upload, save_download
from wxcore.adapters.webauth import Redirect, UserTokenStore, WebAuth

__all__ = ["OfficialAccount"]

P = TypeVar("P", bound=OffsetPage)


class OfficialAccount(OfficialAccountAPI, ImageProcessing):
    """An Official Account back end's view of WeChat.

    >>> oa = OfficialAccount("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> oa.create_menu(menu_data)                                # doctest: +SKIP

    Image processing (``ai_crop``, ``scan_qr_code``) comes from
    :class:`~wxcore.adapters.miniprogram.ImageProcessing`: the same ``/cv/img/`` endpoints as
    the Mini Program's.
    """

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

    #: OATools' names for the app's own access token; the provider renews it by itself, so
    #: "update" returns a valid token without revoking the current one.
    get_oa_access_token = Client.get_access_token
    update_oa_access_token = Client.get_access_token

    def _nonce_and_time(self) -> tuple[str, int]:
        return secrets.token_hex(8), int(self.now())

    def jsapi_config(self, url: str, js_api_list: Sequence[str] = (), *,
                     open_tag_list: Sequence[str] = (), debug: bool = False) -> dict[str, Any]:
        """The ``wx.config`` object for page ``url``, signed with the cached jsapi_ticket."""
        nonce, timestamp = self._nonce_and_time()
        return jssdk.jsapi_config(self.appid, self.get_jsapi_ticket(), url, nonce, timestamp,
                                  js_api_list, open_tag_list, debug)

    generate_jsapi_signature = jsapi_config  # wechat-python-sdk's name

    def get_wx_card_ticket(self) -> str:
        """The card api_ticket (``wx_card``), cached for its lifetime like the jsapi_ticket."""
        return self.ticket_provider("wx_card").get().value

    def card_ext(self, card_id: str, *, code: str | None = None, openid: str | None = None,
                 fixed_begintimestamp: int | None = None,
                 outer_str: str | None = None) -> str:
        """The signed ``cardExt`` string of one card for ``wx.addCard``."""
        nonce, timestamp = self._nonce_and_time()
        return jssdk.card_ext(self.get_wx_card_ticket(), card_id, timestamp, nonce, code,
                              openid, fixed_begintimestamp, outer_str)

    def choose_card_config(self, *, shop_id: str | None = None, card_type: str | None = None,
                           card_id: str | None = None) -> dict[str, Any]:
        """The signed arguments of ``wx.chooseCard``."""
        nonce, timestamp = self._nonce_and_time()
        return jssdk.choose_card_config(self.get_wx_card_ticket(), self.appid, timestamp, nonce,
                                        shop_id, card_type, card_id)

    # -- pushes (消息推送): the message server and the URL signature ------------------------
    push_settings: PushSettings | None = None

    def message_server(self, router: Router, token: str | None = None,
                       encoding_aes_key: str | None = None, *,
                       settings: PushSettings | None = None, **options: Any) -> MessageServer:
        """A :class:`~wxcore.adapters.message_server.MessageServer` for this account's pushes.

        Give the console's Token (and EncodingAESKey for safe mode; this account's appid is
        filled in), or a ready ``settings``. ``options`` go to MessageServer (``dedup``,
        ``dedup_failure``, ...). The settings are kept for :meth:`check_signature`.
        """
        if settings is None:
            if not token:
                raise UsageError("message_server needs token (the console's Token) or settings")
            settings = PushSettings(token=token, encoding_aes_key=encoding_aes_key,
                                    appid=self.appid if encoding_aes_key else None)
        elif token is not None or encoding_aes_key is not None:
            raise UsageError("pass settings, or token and encoding_aes_key, not both")
        options.setdefault("clock", self._clock)
        self.push_settings = settings
        return MessageServer(router, settings, **options)

    def check_signature(self, signature: str | None, timestamp: str, nonce: str, *,
                        token: str | None = None) -> bool:
        """Whether a push (or the URL check) was signed with the Token: SHA-1 of the sorted
        (token, timestamp, nonce), compared in constant time."""
        token = token or (self.push_settings.token if self.push_settings else None)
        if not token:
            raise UsageError("check_signature needs the Token: call message_server() first "
                             "or pass token=")
        try:
            _check_signature(token, signature, timestamp, nonce)
        except SignatureError:
            return False
        return True

    message_push_check = check_signature  # py_wechat_tools' name

    # -- QR codes and users (二维码 / 用户管理): downloads and paging ------------------------

    def show_qrcode(self, ticket: str, path: str | os.PathLike[str] | None = None) -> Media:
        """Download a QR code's image from mp.weixin.qq.com; with ``path``, also save it there."""
        media = self.call(qrcode.show_qrcode(ticket))
        if path is not None:
            with open(path, "wb") as handle:
                handle.write(media.content)
        return media

    def _openids(self, page: Callable[[str | None], Call[users.OpenidPage]],
                 start: str | None) -> Iterator[str]:
        """Every openid of a paged list: one call per page, as :func:`users.next_cursor` says.

        The first call is built here, so bad arguments fail at once, not at the first next().
        """
        first = page(start)

        def openids() -> Iterator[str]:
            call, seen = first, 0
            while True:
                result = self.call(call)
                seen += len(result.openids)
                yield from result.openids
                cursor = users.next_cursor(result, seen)
                if cursor is None:
                    return
                call = page(cursor)

        return openids()

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

    def upload_media(self, media_type: media.MediaType,
                     file: UploadInput) -> media.UploadMediaResult:
        """Upload temporary media (image, voice, video, thumb), kept three days; ``file``
        may be a path, the bytes or a binary file. Size and format are checked first."""
        rule = media.TEMPORARY_RULES.get(media_type)
        limit = rule.limit if rule else 0
        return self.call(media.upload_media(media_type, read_upload(file, limit=limit)))

    def download_media(self, media_id: str, to: DownloadTarget | None = None,
                       ) -> Media | media.TempVideoResult:
        """Download temporary media: :class:`Media` (bytes and WeChat's headers), also
        written to ``to`` (a path or a binary stream) when given; a video answers a
        :class:`~wxcore.officialaccount.media.TempVideoResult` (its ``video_url``) instead."""
        result = self.call(media.download_media(media_id))
        if to is not None and isinstance(result, Media):
            save_download(result.content, to)
        return result

    def media_url(self, media_id: str) -> str:
        """The download URL of temporary media (wechatpy's ``media.get_url``).

        The URL carries the account's access token: hand it only to code of your own that
        fetches it server-side, never to a browser or a log. It works while that token does
        (two hours at most). ``download_media`` fetches the bytes without exposing the token.
        """
        return bind(media.download_media(media_id).request, self.get_access_token()).url

    def upload_article_image(self, file: UploadInput) -> media.UploadImageResult:
        """Upload an image for an article's content (JPEG/PNG under 1 MB); answers its URL."""
        limit = media.ARTICLE_IMAGE_RULE.limit
        return self.call(media.upload_article_image(read_upload(file, limit=limit)))

    def add_material(self, media_type: media.MediaType, file: UploadInput, *,
                     title: str | None = None,
                     introduction: str | None = None) -> media.AddMaterialResult:
        """Add a permanent material; a video needs ``title`` and ``introduction``."""
        rule = media.PERMANENT_RULES.get(media_type)
        limit = rule.limit if rule else 0
        return self.call(media.add_material(media_type, read_upload(file, limit=limit),
                                            title=title, introduction=introduction))

    def upload_kf_headimg(self, kf_account: str, file: UploadInput) -> WxResult:
        """Set a customer-service agent's avatar (上传客服头像): a JPEG path, bytes or file."""
        return self.call(kf.upload_kf_headimg(
            kf_account, read_upload(file, limit=kf.HEADIMG_RULE.limit)))

    def iter_materials(self, media_type: media.MaterialType) -> Iterator[media.MaterialItem]:
        """Every permanent material of one kind, page after page (batchget_material)."""
        pages = self._pages(lambda offset: media.batchget_material(media_type, offset))
        return (item for page in pages for item in page.item)

    # -- drafts and publishing (草稿箱 / 发布能力) ------------------------------------------

    def iter_drafts(self, *, no_content: bool = False) -> Iterator[drafts.DraftItem]:
        """Every draft, page after page (draft/batchget)."""
        pages = self._pages(lambda offset: drafts.batchget_draft(
            offset, MAX_PAGE, no_content=no_content))
        return (item for page in pages for item in page.item)

    def iter_published(self, *, no_content: bool = False) -> Iterator[drafts.PublishedEntry]:
        """Every successful publication, page after page (freepublish/batchget)."""
        pages = self._pages(lambda offset: drafts.batchget_published(
            offset, MAX_PAGE, no_content=no_content))
        return (item for page in pages for item in page.item)

    def _pages(self, page_at: Callable[[int], Call[P]]) -> Iterator[P]:
        """The pages of an offset list, one call each (see :func:`paging.next_offset`).

        The first call is built here, so bad arguments fail at once, not at the first next().
        """
        first = page_at(0)

        def pages() -> Iterator[P]:
            call, offset = first, 0
            while True:
                page = self.call(call)
                yield page
                following = next_offset(offset, page)
                if following is None:
                    return
                call, offset = page_at(following), following

        return pages()
