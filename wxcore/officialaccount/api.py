"""The Official Account endpoints as facade methods: one declaration line each.

:class:`OfficialAccountAPI` is mixed into a client class (the sync
:class:`wxcore.adapters.officialaccount.OfficialAccount`, an async one the same way); each
line derives a method from its builder with :func:`wxcore.facade.method`. Methods that need
I/O (reading an upload, saving a download) or randomness are written in the adapters' facade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal


from wxcore.facade import APPID, method
from wxcore.officialaccount import (
    autoreply,
    comments,
    custom,
    drafts,
    jssdk,
    kf,
    mass,
    media,
    menus,
    oauth,
    onetime,
    qrcode,
    subscribe,
    tags,
    template,
    users,
)

from wxcore.officialaccount.operations_api import OperationsAPI

__all__ = ["OperationsAPI", "OfficialAccountAPI"]


class OfficialAccountAPI(OperationsAPI):
    """Every Official Account endpoint whose method needs no I/O beyond the call itself."""

    appid: str
    if TYPE_CHECKING:  # provided by the client class this is mixed into
        def now(self) -> float: ...

    # -- web authorization and JS-SDK (网页授权 / JS-SDK) ---------------------------------
    get_user_access_token = method(oauth.get_user_access_token, APPID)
    refresh_user_access_token = method(oauth.refresh_user_access_token, APPID)
    get_userinfo = method(oauth.get_userinfo)
    check_user_access_token = method(oauth.check_user_access_token)
    # py_wechat_tools' names (OAuth2 / OATools)
    get_web_access_token = auth_access_token = get_user_access_token
    update_web_access_token = refresh_user_access_token
    auth_web_access_token = check_user_access_token

    def authorize_url(self, redirect_uri: str, scope: oauth.Scope = "snsapi_base",
                      state: str | None = None, force_popup: bool | None = None,
                      force_snap_shot: bool | None = None) -> str:
        """The web-authorization URL for this account (see :func:`oauth.authorize_url`)."""
        return oauth.authorize_url(self.appid, redirect_uri, scope, state, force_popup,
                                   force_snap_shot)

    authorize = authorize_url  # OATools' name

    def qrconnect_url(self, redirect_uri: str, state: str | None = None,
                      lang: Literal["cn", "en"] | None = None) -> str:
        """The website QR-login URL for this appid (a website app's; see :func:`oauth.qrconnect_url`)."""
        return oauth.qrconnect_url(self.appid, redirect_uri, state, lang)

    jsapi_signature = staticmethod(jssdk.jsapi_signature)
    card_signature = staticmethod(jssdk.card_signature)

    # -- menus (自定义菜单) -------------------------------------------------------------
    create_menu = method(menus.create_menu)
    get_menu = method(menus.get_menu)
    get_current_selfmenu_info = method(menus.get_current_selfmenu_info)
    delete_menu = method(menus.delete_menu)
    add_conditional_menu = method(menus.add_conditional_menu)
    delete_conditional_menu = method(menus.delete_conditional_menu)
    try_match_menu = method(menus.try_match_menu)

    # -- QR codes (二维码): show_qrcode (the image download) is in the adapters' facade ----
    create_qrcode = method(qrcode.create_qrcode)
    create_temporary_qrcode = method(qrcode.create_temporary_qrcode)
    create_permanent_qrcode = method(qrcode.create_permanent_qrcode)
    show_qrcode_url = staticmethod(qrcode.show_qrcode_url)
    generate_short_key = method(qrcode.generate_short_key)
    fetch_short_key = method(qrcode.fetch_short_key)

    # -- users, tags and blacklist (用户管理 / 标签); iter_* (paging) in the adapters ---------
    get_user_info = method(users.get_user_info)
    get_users_info = method(users.get_users_info)
    get_followers = method(users.get_followers)
    update_remark = method(users.update_remark)
    get_blacklist = method(users.get_blacklist)
    batch_blacklist = method(users.batch_blacklist)
    batch_unblacklist = method(users.batch_unblacklist)
    change_openid = method(users.change_openid)
    create_tag = method(tags.create_tag)
    get_tags = method(tags.get_tags)
    update_tag = method(tags.update_tag)
    delete_tag = method(tags.delete_tag)
    tag_users = method(tags.tag_users)
    untag_users = method(tags.untag_users)
    get_tag_users = method(tags.get_tag_users)
    get_user_tags = method(tags.get_user_tags)

    # -- operations (运维: callback IPs, quotas, rid): from OperationsAPI above ------------

    # -- media and materials (素材管理): uploads are in the adapters' facade (they read files)
    get_hd_voice = method(media.get_hd_voice)
    get_material = method(media.get_material)
    delete_material = method(media.delete_material)
    get_material_count = method(media.get_material_count)
    batchget_material = method(media.batchget_material)

    # -- drafts and publishing (草稿箱 / 发布能力) ------------------------------------------
    add_draft = method(drafts.add_draft)
    get_draft = method(drafts.get_draft)
    update_draft = method(drafts.update_draft)
    delete_draft = method(drafts.delete_draft)
    get_draft_count = method(drafts.get_draft_count)
    batchget_draft = method(drafts.batchget_draft)
    submit_publish = method(drafts.submit_publish)
    get_publish_status = method(drafts.get_publish_status)
    delete_publish = method(drafts.delete_publish)
    get_published_article = method(drafts.get_published_article)
    batchget_published = method(drafts.batchget_published)

    # -- mass messages (群发) --------------------------------------------------------------
    upload_mass_video = method(mass.upload_mass_video)
    upload_news = method(mass.upload_news)
    send_mass_to_tag = method(mass.send_mass_to_tag)
    send_mass_to_users = method(mass.send_mass_to_users)
    preview_mass = method(mass.preview_mass)
    delete_mass = method(mass.delete_mass)
    get_mass_status = method(mass.get_mass_status)
    get_mass_speed = method(mass.get_mass_speed)
    set_mass_speed = method(mass.set_mass_speed)

    # -- article comments (留言管理), on mass-sent news -----------------------------------
    open_comment = method(comments.open_comment)
    close_comment = method(comments.close_comment)
    list_comment = method(comments.list_comment)
    markelect_comment = method(comments.markelect_comment)
    unmarkelect_comment = method(comments.unmarkelect_comment)
    delete_comment = method(comments.delete_comment)
    add_reply_comment = method(comments.add_reply_comment)
    delete_reply_comment = method(comments.delete_reply_comment)

    # -- customer-service messages (客服消息) ----------------------------------------------
    send_text_message = method(custom.send_text_message)
    send_image_message = method(custom.send_image_message)
    send_voice_message = method(custom.send_voice_message)
    send_video_message = method(custom.send_video_message)
    send_music_message = method(custom.send_music_message)
    send_article_message = method(custom.send_article_message)
    send_mpnews_message = method(custom.send_mpnews_message)
    send_mpnewsarticle_message = method(custom.send_mpnewsarticle_message)
    send_menu_message = method(custom.send_menu_message)
    send_card_message = method(custom.send_card_message)
    send_miniprogram_page = method(custom.send_miniprogram_page)
    send_typing = method(custom.send_typing)

    # -- customer-service management (客服管理); upload_kf_headimg reads a file: adapters --
    add_kf_account = method(kf.add_kf_account)
    update_kf_account = method(kf.update_kf_account)
    delete_kf_account = method(kf.delete_kf_account)
    invite_kf_worker = method(kf.invite_kf_worker)
    get_kf_list = method(kf.get_kf_list)
    get_online_kf_list = method(kf.get_online_kf_list)
    create_kf_session = method(kf.create_kf_session)
    close_kf_session = method(kf.close_kf_session)
    get_kf_session = method(kf.get_kf_session)
    get_kf_session_list = method(kf.get_kf_session_list)
    get_kf_wait_case = method(kf.get_kf_wait_case)
    get_kf_msg_list = method(kf.get_kf_msg_list)
    get_autoreply_info = method(autoreply.get_autoreply_info)

    # -- template and subscription messages (模板消息 / 订阅通知) ----------------------------
    set_template_industry = method(template.set_template_industry)
    get_industry = method(template.get_industry)
    add_template = method(template.add_template)
    get_template_id = add_template  # wechat-python-sdk's name: it adds and returns the id
    get_all_private_template = method(template.get_all_private_template)
    del_private_template = method(template.del_private_template)
    send_template_message = method(template.send_template_message)
    send_subscribe_message = method(subscribe.send_subscribe_message)
    add_subscribe_template = method(subscribe.add_subscribe_template)
    get_subscribe_templates = method(subscribe.get_subscribe_templates)
    delete_subscribe_template = method(subscribe.delete_subscribe_template)
    get_category = method(subscribe.get_category)
    get_pub_template_keywords = method(subscribe.get_pub_template_keywords)
    get_pub_template_titles = method(subscribe.get_pub_template_titles)
    send_subscribe_template = method(onetime.send_subscribe_template)

    def subscribe_authorize_url(self, scene: int | str, template_id: str, redirect_url: str,
                                reserved: str | None = None) -> str:
        """The page where a user agrees to one one-time subscription message (see
        :func:`onetime.subscribe_authorize_url`)."""
        return onetime.subscribe_authorize_url(self.appid, scene, template_id, redirect_url,
                                               reserved)

    parse_subscribe_callback = staticmethod(onetime.parse_subscribe_callback)
