"""The Mini Program (小程序) facade: one-line methods over the Mini Program endpoints.

Method names follow the ones Mini Program developers know (``code2session``,
``get_phone_number``, ...); each is a builder from :mod:`wxcore.miniprogram` passed to
:meth:`Client.call`, so the facade holds no logic of its own beyond what needs I/O or the
clock: reading an image upload from a path or a file, saving downloaded media, and giving
the core today's date (China time) and the current time for its date rules.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from typing import Any, BinaryIO, Literal, Union

from wxcore.endpoint import Media, WxResult
from wxcore.errors import UsageError
from wxcore.messages.models import MediaCheckEvent
from wxcore.miniprogram import (
    analysis,
    datacrypt,
    images,
    links,
    login,
    security,
    soter,
    subscribe,
    updatable,
    wxacode,
)
from wxcore.miniprogram.analysis import DateLike
from wxcore.miniprogram.wxacode import Color
from wxcore.multipart import File

from wxcore.adapters.client import Client

__all__ = ["MiniProgram", "ImageInput", "CHINA_TZ", "read_image"]

#: WeChat's statistics days are China days (UTC+8, no daylight saving).
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

#: An image to upload: a path, the bytes, an open binary file, or a ready File.
ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, File]


def read_image(img: ImageInput | None) -> File | None:
    """Read ``img`` (path, bytes or binary file) into a checked image :class:`File`."""
    if img is None:
        return None
    if isinstance(img, File):
        return images.image_file(img.content, img.filename)
    if isinstance(img, (bytes, bytearray, memoryview)):
        return images.image_file(bytes(img))
    if isinstance(img, (str, os.PathLike)):
        path = os.fspath(img)
        if not os.path.isfile(path):
            raise UsageError(f"img: no such file {path!r} (pass img_url= for a URL)")
        size = os.path.getsize(path)
        if size >= images.MAX_IMAGE_BYTES:
            raise UsageError(f"img must be smaller than 2 MB (got {size} bytes)")
        with open(path, "rb") as handle:
            return images.image_file(handle.read(), os.path.basename(path))
    read = getattr(img, "read", None)
    if read is None:
        raise UsageError(f"img must be a path, bytes or a binary file (got {type(img).__name__})")
    content = read(images.MAX_IMAGE_BYTES)
    if not isinstance(content, bytes):
        raise UsageError("img file must be opened in binary mode ('rb')")
    name = os.path.basename(str(getattr(img, "name", "") or ""))
    return images.image_file(content, name)


class MiniProgram(Client):
    """A Mini Program back end's view of WeChat.

    >>> mp = MiniProgram("wx1234567890abcdef", "appsecret")   # doctest: +SKIP
    >>> session = mp.code2session(js_code)                     # doctest: +SKIP
    """

    # -- time for the core's date rules -----------------------------------------------------

    def today(self) -> date:
        """Today in China (UTC+8), by this client's clock: datacube's day boundary."""
        return datetime.fromtimestamp(self._clock(), CHINA_TZ).date()

    # -- login and users (登录与用户) ----------------------------------------------------

    def code2session(self, js_code: str) -> login.Code2SessionResult:
        """Exchange a ``wx.login`` code for openid, session_key (and unionid)."""
        return self.call(login.code2session(self.appid, js_code))

    def get_phone_number(self, code: str, openid: str | None = None) -> login.PhoneNumberResult:
        """Exchange a ``getPhoneNumber`` button code for the user's phone number."""
        return self.call(login.get_phone_number(code, openid))

    def check_encrypted_data(self, encrypted_msg_hash: str | None = None, *,
                             encrypted_data: str | None = None
                             ) -> login.CheckEncryptedDataResult:
        """Whether WeChat issued this phone-number encryptedData (by hash or the data)."""
        return self.call(login.check_encrypted_data(encrypted_msg_hash,
                                                    encrypted_data=encrypted_data))

    def get_paid_unionid(self, openid: str, transaction_id: str | None = None, *,
                         mch_id: str | None = None,
                         out_trade_no: str | None = None) -> login.PaidUnionidResult:
        """A payer's unionid (within 5 minutes of paying), by transaction_id or mch_id +
        out_trade_no."""
        return self.call(login.get_paid_unionid(openid, transaction_id, mch_id=mch_id,
                                                out_trade_no=out_trade_no))

    def get_plugin_open_pid(self, code: str) -> login.PluginOpenPidResult:
        """Exchange a ``wx.pluginLogin`` code for the user's openpid."""
        return self.call(login.get_plugin_open_pid(code))

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
    def check_raw_data(raw_data: str, signature: str, session_key: str) -> bool:
        """Whether ``signature == sha1(raw_data + session_key)``."""
        return datacrypt.check_raw_data(raw_data, signature, session_key)

    # -- data analysis (数据分析) -------------------------------------------------------

    def get_daily_retain(self, begin_date: DateLike,
                         end_date: DateLike | None = None) -> analysis.RetainResult:
        return self.call(analysis.get_daily_retain(begin_date, end_date, today=self.today()))

    def get_weekly_retain(self, begin_date: DateLike,
                          end_date: DateLike | None = None) -> analysis.RetainResult:
        return self.call(analysis.get_weekly_retain(begin_date, end_date, today=self.today()))

    def get_monthly_retain(self, begin_date: DateLike,
                           end_date: DateLike | None = None) -> analysis.RetainResult:
        return self.call(analysis.get_monthly_retain(begin_date, end_date, today=self.today()))

    def get_daily_summary(self, begin_date: DateLike,
                          end_date: DateLike | None = None) -> analysis.DailySummaryResult:
        return self.call(analysis.get_daily_summary(begin_date, end_date, today=self.today()))

    def get_daily_visit_trend(self, begin_date: DateLike,
                              end_date: DateLike | None = None) -> analysis.VisitTrendResult:
        return self.call(analysis.get_daily_visit_trend(begin_date, end_date,
                                                        today=self.today()))

    def get_weekly_visit_trend(self, begin_date: DateLike,
                               end_date: DateLike | None = None) -> analysis.VisitTrendResult:
        return self.call(analysis.get_weekly_visit_trend(begin_date, end_date,
                                                         today=self.today()))

    def get_monthly_visit_trend(self, begin_date: DateLike,
                                end_date: DateLike | None = None) -> analysis.VisitTrendResult:
        return self.call(analysis.get_monthly_visit_trend(begin_date, end_date,
                                                          today=self.today()))

    # -- images and OCR (图像处理 / OCR) --------------------------------------------------
    # Each takes the image as img_url=... or img=<path | bytes | binary file>, exactly one.

    def ai_crop(self, img_url: str | None = None, img: ImageInput | None = None, *,
                ratios: str | list[str] | list[float] | None = None) -> images.AiCropResult:
        return self.call(images.ai_crop(img_url, read_image(img), ratios=ratios))

    def scan_qr_code(self, img_url: str | None = None,
                     img: ImageInput | None = None) -> images.ScanQRCodeResult:
        return self.call(images.scan_qr_code(img_url, read_image(img)))

    def super_resolution(self, img_url: str | None = None,
                         img: ImageInput | None = None) -> images.SuperResolutionResult:
        return self.call(images.super_resolution(img_url, read_image(img)))

    def ocr_bank_card(self, img_url: str | None = None,
                      img: ImageInput | None = None) -> images.BankCardResult:
        return self.call(images.ocr_bank_card(img_url, read_image(img)))

    def ocr_business_license(self, img_url: str | None = None,
                             img: ImageInput | None = None) -> images.BusinessLicenseResult:
        return self.call(images.ocr_business_license(img_url, read_image(img)))

    def ocr_driver_license(self, img_url: str | None = None,
                           img: ImageInput | None = None) -> images.DriverLicenseResult:
        return self.call(images.ocr_driver_license(img_url, read_image(img)))

    def ocr_vehicle_license(self, img_url: str | None = None,
                            img: ImageInput | None = None) -> images.VehicleLicenseResult:
        return self.call(images.ocr_vehicle_license(img_url, read_image(img)))

    def ocr_id_card(self, img_url: str | None = None, img: ImageInput | None = None, *,
                    type: Literal["photo", "scan"] = "photo") -> images.IdCardResult:
        return self.call(images.ocr_id_card(img_url, read_image(img), type=type))

    def ocr_printed_text(self, img_url: str | None = None,
                         img: ImageInput | None = None) -> images.PrintedTextResult:
        return self.call(images.ocr_printed_text(img_url, read_image(img)))

    def get_temp_media(self, media_id: str,
                       path: str | os.PathLike[str] | None = None) -> Media:
        """Download temporary media; with ``path``, also write the bytes there."""
        media = self.call(images.get_temp_media(media_id))
        if path is not None:
            with open(path, "wb") as handle:
                handle.write(media.content)
        return media

    # -- content security and risk (内容安全 / 安全风控) ----------------------------------

    def msg_sec_check(self, openid: str, content: str, scene: int, *,
                      title: str | None = None, nickname: str | None = None,
                      signature: str | None = None) -> security.MsgSecCheckResult:
        return self.call(security.msg_sec_check(openid, content, scene, title=title,
                                                nickname=nickname, signature=signature))

    def media_check_async(self, openid: str, media_url: str, media_type: int | str,
                          scene: int) -> security.MediaCheckAsyncResult:
        return self.call(security.media_check_async(openid, media_url, media_type, scene))

    @staticmethod
    def parse_media_check_push(body: bytes | str) -> MediaCheckEvent:
        """The typed ``wxa_media_check`` push (plaintext JSON or XML body)."""
        return security.parse_media_check_push(body)

    def get_user_risk_rank(self, openid: str, scene: int, client_ip: str, *,
                           mobile_no: str | None = None, email_address: str | None = None,
                           extended_info: str | None = None,
                           is_test: bool | None = None) -> security.UserRiskRankResult:
        return self.call(security.get_user_risk_rank(
            self.appid, openid, scene, client_ip, mobile_no=mobile_no,
            email_address=email_address, extended_info=extended_info, is_test=is_test))

    # -- updatable messages (动态消息) -------------------------------------------------

    def create_activity_id(self, *, unionid: str | None = None,
                           openid: str | None = None) -> updatable.ActivityIdResult:
        return self.call(updatable.create_activity_id(unionid=unionid, openid=openid))

    def set_updatable_msg(self, activity_id: str, target_state: Literal[0, 1], *,
                          member_count: int | str | None = None,
                          room_limit: int | str | None = None, path: str | None = None,
                          version_type: str | None = None) -> WxResult:
        return self.call(updatable.set_updatable_msg(
            activity_id, target_state, member_count=member_count, room_limit=room_limit,
            path=path, version_type=version_type))

    # -- subscribe messages (订阅消息) -------------------------------------------------

    def send_subscribe_message(self, touser: str, template_id: str, data: dict[str, Any], *,
                               page: str | None = None, miniprogram_state: str | None = None,
                               lang: str | None = None) -> WxResult:
        return self.call(subscribe.send_subscribe_message(
            touser, template_id, data, page=page, miniprogram_state=miniprogram_state,
            lang=lang))

    # -- codes and links (小程序码 / 链接) -----------------------------------------------

    def get_wxacode(self, path: str, *, width: int | None = None,
                    auto_color: bool | None = None, line_color: Color | None = None,
                    is_hyaline: bool | None = None, env_version: str | None = None) -> Media:
        return self.call(wxacode.get_wxacode(path, width=width, auto_color=auto_color,
                                             line_color=line_color, is_hyaline=is_hyaline,
                                             env_version=env_version))

    def get_wxacode_unlimited(self, scene: str, *, page: str | None = None,
                              check_path: bool | None = None, env_version: str | None = None,
                              width: int | None = None, auto_color: bool | None = None,
                              line_color: Color | None = None,
                              is_hyaline: bool | None = None) -> Media:
        return self.call(wxacode.get_wxacode_unlimited(
            scene, page=page, check_path=check_path, env_version=env_version, width=width,
            auto_color=auto_color, line_color=line_color, is_hyaline=is_hyaline))

    def create_wxaqrcode(self, path: str, *, width: int | None = None) -> Media:
        return self.call(wxacode.create_wxaqrcode(path, width=width))

    def generate_short_link(self, page_url: str, *, page_title: str | None = None,
                            is_permanent: bool | None = None) -> links.ShortLinkResult:
        return self.call(links.generate_short_link(page_url, page_title=page_title,
                                                   is_permanent=is_permanent))

    def generate_urllink(self, *, path: str | None = None, query: str | None = None,
                         env_version: str | None = None, expire_type: int | None = None,
                         expire_time: int | None = None, expire_interval: int | None = None,
                         cloud_base: dict[str, str] | None = None,
                         is_expire: bool | None = None) -> links.UrlLinkResult:
        return self.call(links.generate_urllink(
            path=path, query=query, env_version=env_version, expire_type=expire_type,
            expire_time=expire_time, expire_interval=expire_interval, cloud_base=cloud_base,
            is_expire=is_expire, now=self._clock()))

    def generate_scheme(self, *, path: str | None = None, query: str | None = None,
                        env_version: str | None = None, expire_type: int | None = None,
                        expire_time: int | None = None, expire_interval: int | None = None,
                        is_expire: bool | None = None) -> links.SchemeResult:
        return self.call(links.generate_scheme(
            path=path, query=query, env_version=env_version, expire_type=expire_type,
            expire_time=expire_time, expire_interval=expire_interval, is_expire=is_expire,
            now=self._clock()))

    # -- SOTER (生物认证) ------------------------------------------------------------------

    def verify_signature(self, openid: str, json_string: str,
                         json_signature: str) -> soter.SoterVerifyResult:
        """Check a SOTER (fingerprint/face) signature from the Mini Program."""
        return self.call(soter.verify_signature(openid, json_string, json_signature))
