"""Official Account (公众号) methods that need I/O, a token or randomness besides the call,
declared once for the sync and the async facade (see :mod:`wxcore.adapters.io_methods`).

Uploads are read from a path, bytes or a binary file, downloads written to a path or a
stream: inline for :class:`~wxcore.adapters.officialaccount.OfficialAccount`, in a worker
thread for :class:`~wxcore.adapters.async_officialaccount.AsyncOfficialAccount`. JS-SDK
signatures use the cached tickets and a fresh nonce. :class:`PushSetup` makes the message
server of the facade's kind and checks push signatures (pure, no I/O).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from wxcore.endpoint import Media, WxResult
from wxcore.errors import UsageError
from wxcore.http import bind
from wxcore.messages import PushSettings, Router, SignatureError
from wxcore.messages.signature import check_signature as _check_signature
from wxcore.officialaccount import jssdk, kf, media, qrcode

from wxcore.adapters.image_methods import ImageProcessing, download
from wxcore.adapters.io_methods import Offload, Plan, Resolve, io_method, send
from wxcore.adapters.uploads import DownloadTarget, UploadInput, in_memory, read_upload, save_download

if TYPE_CHECKING:  # each facade names its server class; importing both here would load asyncio
    from wxcore.adapters.async_message_server import AsyncMessageServer
    from wxcore.adapters.message_server import MessageServer
    from wxcore.tokens import Token

__all__ = ["OfficialAccountIO", "PushSetup"]


def _read(file: UploadInput, limit: int) -> Plan[Any]:
    """Read an upload: at once when it is in memory, else as a blocking step."""
    if in_memory(file):
        return read_upload(file, limit=limit)
    return (yield Offload(read_upload, file, limit=limit))


# -- media and materials (素材管理) --------------------------------------------------------

def _upload_media(client: Any, media_type: media.MediaType,
                  file: UploadInput) -> Plan[media.UploadMediaResult]:
    """Upload temporary media (image, voice, video, thumb), kept three days; ``file``
    may be a path, the bytes or a binary file. Size and format are checked first."""
    rule = media.TEMPORARY_RULES.get(media_type)
    content = yield from _read(file, rule.limit if rule else 0)
    return (yield from send(client, media.upload_media(media_type, content)))


def _download_media(client: Any, media_id: str, to: DownloadTarget | None = None,
                    ) -> Plan[Media | media.TempVideoResult]:
    """Download temporary media: :class:`Media` (bytes and WeChat's headers), also
    written to ``to`` (a path or a binary stream) when given; a video answers a
    :class:`~wxcore.officialaccount.media.TempVideoResult` (its ``video_url``) instead."""
    result = yield from send(client, media.download_media(media_id))
    if to is not None and isinstance(result, Media):
        yield Offload(save_download, result.content, to)
    return result


def _media_url(client: Any, media_id: str) -> Plan[str]:
    """The download URL of temporary media (wechatpy's ``media.get_url``).

    The URL carries the account's access token: hand it only to code of your own that
    fetches it server-side, never to a browser or a log. It works while that token does
    (two hours at most). ``download_media`` fetches the bytes without exposing the token.
    """
    token = yield Resolve(client.get_access_token())
    return bind(media.download_media(media_id).request, token).url


def _upload_article_image(client: Any, file: UploadInput) -> Plan[media.UploadImageResult]:
    """Upload an image for an article's content (JPEG/PNG under 1 MB); answers its URL."""
    content = yield from _read(file, media.ARTICLE_IMAGE_RULE.limit)
    return (yield from send(client, media.upload_article_image(content)))


def _add_material(client: Any, media_type: media.MediaType, file: UploadInput, *,
                  title: str | None = None,
                  introduction: str | None = None) -> Plan[media.AddMaterialResult]:
    """Add a permanent material; a video needs ``title`` and ``introduction``."""
    rule = media.PERMANENT_RULES.get(media_type)
    content = yield from _read(file, rule.limit if rule else 0)
    return (yield from send(client, media.add_material(
        media_type, content, title=title, introduction=introduction)))


def _upload_kf_headimg(client: Any, kf_account: str, file: UploadInput) -> Plan[WxResult]:
    """Set a customer-service agent's avatar (上传客服头像): a JPEG path, bytes or file."""
    content = yield from _read(file, kf.HEADIMG_RULE.limit)
    return (yield from send(client, kf.upload_kf_headimg(kf_account, content)))


def _show_qrcode(client: Any, ticket: str,
                 path: str | os.PathLike[str] | None = None) -> Plan[Media]:
    """Download a QR code's image from mp.weixin.qq.com; with ``path``, also save it there."""
    return (yield from download(client, qrcode.show_qrcode(ticket), path))


# -- tokens and JS-SDK signatures (JS-SDK) --------------------------------------------------

def _get_oa_access_token(client: Any) -> Plan[str]:
    """The current access token (OATools' name); the provider renews it by itself."""
    token: str = yield Resolve(client.get_access_token())
    return token


def _ticket(client: Any, ticket_type: str) -> Plan[str]:
    token: Token = yield Resolve(client.ticket_provider(ticket_type).get())
    return token.value


def _nonce_and_time(client: Any) -> tuple[str, int]:
    return secrets.token_hex(8), int(client.now())


def _jsapi_config(client: Any, url: str, js_api_list: Sequence[str] = (), *,
                  open_tag_list: Sequence[str] = (), debug: bool = False) -> Plan[dict[str, Any]]:
    """The ``wx.config`` object for page ``url``, signed with the cached jsapi_ticket."""
    ticket = yield from _ticket(client, "jsapi")
    nonce, timestamp = _nonce_and_time(client)
    return jssdk.jsapi_config(client.appid, ticket, url, nonce, timestamp, js_api_list,
                              open_tag_list, debug)


def _get_wx_card_ticket(client: Any) -> Plan[str]:
    """The card api_ticket (``wx_card``), cached for its lifetime like the jsapi_ticket."""
    return (yield from _ticket(client, "wx_card"))


def _card_ext(client: Any, card_id: str, *, code: str | None = None,
              openid: str | None = None, fixed_begintimestamp: int | None = None,
              outer_str: str | None = None) -> Plan[str]:
    """The signed ``cardExt`` string of one card for ``wx.addCard``."""
    ticket = yield from _ticket(client, "wx_card")
    nonce, timestamp = _nonce_and_time(client)
    return jssdk.card_ext(ticket, card_id, timestamp, nonce, code, openid,
                          fixed_begintimestamp, outer_str)


def _choose_card_config(client: Any, *, shop_id: str | None = None,
                        card_type: str | None = None,
                        card_id: str | None = None) -> Plan[dict[str, Any]]:
    """The signed arguments of ``wx.chooseCard``."""
    ticket = yield from _ticket(client, "wx_card")
    nonce, timestamp = _nonce_and_time(client)
    return jssdk.choose_card_config(ticket, client.appid, timestamp, nonce, shop_id,
                                    card_type, card_id)


class OfficialAccountIO(ImageProcessing):
    """The Official Account's uploads, downloads and JS-SDK signatures, sync and async;
    image processing (``ai_crop``, ``scan_qr_code``) is the Mini Program's, inherited."""

    upload_media = io_method(_upload_media)
    download_media = io_method(_download_media)
    media_url = io_method(_media_url)
    upload_article_image = io_method(_upload_article_image)
    add_material = io_method(_add_material)
    upload_kf_headimg = io_method(_upload_kf_headimg)
    show_qrcode = io_method(_show_qrcode)

    get_oa_access_token = io_method(_get_oa_access_token)
    update_oa_access_token = get_oa_access_token  # "update" returns a valid token, no revoke
    jsapi_config = io_method(_jsapi_config)
    generate_jsapi_signature = jsapi_config  # wechat-python-sdk's name
    get_wx_card_ticket = io_method(_get_wx_card_ticket)
    card_ext = io_method(_card_ext)
    choose_card_config = io_method(_choose_card_config)


S = TypeVar("S", "MessageServer", "AsyncMessageServer")


class PushSetup(Generic[S]):
    """``message_server`` (the server class is the facade's) and ``check_signature``."""

    _server_class: type[S]
    _clock: Callable[[], float]
    appid: str

    push_settings: PushSettings | None = None

    def message_server(self, router: Router, token: str | None = None,
                       encoding_aes_key: str | None = None, *,
                       settings: PushSettings | None = None, **options: Any) -> S:
        """A message server for this account's pushes (``MessageServer``, or ``AsyncMessageServer``
        for an async client).

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
        return self._server_class(router, settings, **options)

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
