"""The component endpoints as facade methods: one declaration line each.

:class:`ComponentAPI` is mixed into :class:`wxcore.adapters.component.Component`; the
component appid comes from the client (:data:`~wxcore.facade.APPID`). Methods that touch
the durable credential store or the token cache (query_auth, the tokens, pushes, clients
acting for authorizers) are written in the adapter.
"""

from __future__ import annotations

from wxcore.component import authorization, code, oauth, tokens
from wxcore.facade import APPID, method
from wxcore.officialaccount.oauth import Scope

__all__ = ["ComponentAPI", "CodeManagementAPI"]


class ComponentAPI:
    """Every component endpoint whose method needs nothing beyond the call itself."""

    appid: str

    # -- tokens and tickets -------------------------------------------------------------
    start_push_ticket = method(tokens.start_push_ticket, APPID)
    #: the raw call; :meth:`Component.official_account` clients refresh on their own
    refresh_authorizer_token = method(tokens.fetch_authorizer_access_token, APPID)

    # -- authorization (授权) -----------------------------------------------------------
    create_preauthcode = method(authorization.create_preauthcode, APPID)
    get_authorizer_info = method(authorization.get_authorizer_info, APPID)
    get_authorizer_option = method(authorization.get_authorizer_option, APPID)
    set_authorizer_option = method(authorization.set_authorizer_option, APPID)
    get_authorizer_list = method(authorization.get_authorizer_list, APPID)

    # -- on an authorizer's behalf: web OAuth and Mini Program login --------------------
    get_oauth_access_token = method(oauth.get_oauth_access_token, APPID)
    refresh_oauth_access_token = method(oauth.refresh_oauth_access_token, APPID)
    jscode2session = method(oauth.jscode2session, APPID)

    # -- code templates (代码模板库) -------------------------------------------------------
    get_template_draft_list = method(code.get_template_draft_list)
    add_to_template = method(code.add_to_template)
    get_template_list = method(code.get_template_list)
    delete_template = method(code.delete_template)

    # -- pure helpers (no call) -----------------------------------------------------------
    def login_page_url(self, pre_auth_code: str, redirect_uri: str,
                       auth_type: authorization.AuthType | None = None,
                       biz_appid: str | None = None,
                       category_id_list: list[int] | None = None) -> str:
        """The PC authorization page for this component (see
        :func:`wxcore.component.authorization.login_page_url`)."""
        return authorization.login_page_url(self.appid, pre_auth_code, redirect_uri,
                                            auth_type, biz_appid, category_id_list)

    def bind_component_url(self, pre_auth_code: str, redirect_uri: str,
                           auth_type: authorization.AuthType | None = None,
                           biz_appid: str | None = None,
                           category_id_list: list[int] | None = None) -> str:
        """The mobile authorization link for this component (inside WeChat)."""
        return authorization.bind_component_url(self.appid, pre_auth_code, redirect_uri,
                                                auth_type, biz_appid, category_id_list)

    def component_authorize_url(self, appid: str, redirect_uri: str,
                                scope: Scope = "snsapi_base",
                                state: str | None = None) -> str:
        """Web authorization for authorizer ``appid``, run by this component."""
        return oauth.component_authorize_url(self.appid, appid, redirect_uri, scope, state)

    get_component_oauth_url = component_authorize_url  # wechatpy: get_component_oauth(...).authorize_url


class CodeManagementAPI:
    """Mini Program code management, called with the authorizer's token (mixed into
    :class:`wxcore.adapters.component.AuthorizerMiniProgram`)."""

    commit = method(code.commit)
    get_qrcode = method(code.get_qrcode)
    submit_audit = method(code.submit_audit)
    get_auditstatus = method(code.get_auditstatus)
    get_latest_auditstatus = method(code.get_latest_auditstatus)
    undocodeaudit = method(code.undocodeaudit)
    release = method(code.release)
    revertcoderelease = method(code.revertcoderelease)
    change_visitstatus = method(code.change_visitstatus)
    modify_domain = method(code.modify_domain)
    setwebviewdomain = method(code.setwebviewdomain)
    bind_tester = method(code.bind_tester)
    unbind_tester = method(code.unbind_tester)
