"""Mini Program code management by the platform (代码管理): templates, commit, audit, release.

Templates (``wxa/gettemplatedraftlist``, ``addtotemplate``, ``gettemplatelist``,
``deletetemplate``) belong to the platform and take the component_access_token (sent as
``access_token``). Everything else is called for one authorized Mini Program with its
authorizer_access_token: ``component.mini_program(appid).commit(...)``.

Docs:
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/code_template/gettemplatedraftlist.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/code/commit.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/code/submit_audit.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/code/get_auditstatus.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/code/release.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Mini_Program_Basic_Info/Server_Address_Configuration.html
https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Mini_Program_AdminManagement/Admin.html
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from wxcore.checks import checked, max_length
from wxcore.endpoint import Call, Endpoint, Media, WxResult, require
from wxcore.errors import UsageError
from wxcore.http import Auth

__all__ = [
    "TemplateDraft", "TemplateDraftListResult", "Template", "TemplateListResult",
    "SubmitAuditResult", "AuditStatusResult", "LatestAuditStatusResult", "DomainResult",
    "WebviewDomainResult", "BindTesterResult",
    "get_template_draft_list", "add_to_template", "get_template_list", "delete_template",
    "commit", "get_qrcode", "submit_audit", "get_auditstatus", "get_latest_auditstatus",
    "undocodeaudit", "release", "revertcoderelease", "change_visitstatus", "modify_domain",
    "setwebviewdomain", "bind_tester", "unbind_tester",
]

#: Template calls take the component token under the name ``access_token``.
COMPONENT_TOKEN_AS_ACCESS_TOKEN = Auth("component_access_token", "access_token")
DomainAction = Literal["add", "delete", "set", "get"]


class TemplateDraft(msgspec.Struct, kw_only=True):
    create_time: int = 0
    user_version: str = ""
    user_desc: str = ""
    draft_id: int


class TemplateDraftListResult(WxResult, kw_only=True):
    """``wxa/gettemplatedraftlist``: code drafts uploaded from the developer tools."""

    draft_list: list[TemplateDraft] = []


class Template(msgspec.Struct, kw_only=True):
    create_time: int = 0
    user_version: str = ""
    user_desc: str = ""
    template_id: int
    template_type: int = 0


class TemplateListResult(WxResult, kw_only=True):
    """``wxa/gettemplatelist``: the platform's code templates."""

    template_list: list[Template] = []


class SubmitAuditResult(WxResult, kw_only=True):
    """``wxa/submit_audit``: the audit id."""

    auditid: int


class AuditStatusResult(WxResult, kw_only=True):
    """``wxa/get_auditstatus``: 0 passed, 1 rejected, 2 auditing, 3 withdrawn, 4 delayed."""

    status: int
    reason: str = ""
    screenshot: str = ""


class LatestAuditStatusResult(AuditStatusResult, kw_only=True):
    """``wxa/get_latest_auditstatus`` (WeChat spells the screenshot field ``ScreenShot``)."""

    auditid: int = 0
    ScreenShot: str = ""
    user_version: str = ""
    user_desc: str = ""
    submit_audit_time: int = 0


class DomainResult(WxResult, kw_only=True):
    """``wxa/modify_domain``: the server domains after the change."""

    requestdomain: list[str] = []
    wsrequestdomain: list[str] = []
    uploaddomain: list[str] = []
    downloaddomain: list[str] = []


class WebviewDomainResult(WxResult, kw_only=True):
    """``wxa/setwebviewdomain``: the business (web-view) domains, for ``action="get"``."""

    webviewdomain: list[str] = []


class BindTesterResult(WxResult, kw_only=True):
    """``wxa/bind_tester``: the tester's id for unbinding."""

    userstr: str = ""


def _wxa(name: str, method: str, result: type[Any], **options: Any) -> Endpoint[Any]:
    return Endpoint(f"component.{name}", method, f"/wxa/{name}", result, **options)


_TPL = {"auth": COMPONENT_TOKEN_AS_ACCESS_TOKEN}
GET_TEMPLATE_DRAFT_LIST = _wxa("gettemplatedraftlist", "GET", TemplateDraftListResult, **_TPL)
ADD_TO_TEMPLATE = _wxa("addtotemplate", "POST", WxResult, **_TPL)
GET_TEMPLATE_LIST = _wxa("gettemplatelist", "GET", TemplateListResult, **_TPL)
DELETE_TEMPLATE = _wxa("deletetemplate", "POST", WxResult, idempotent=True, **_TPL)
COMMIT = _wxa("commit", "POST", WxResult, idempotent=True)
GET_QRCODE = _wxa("get_qrcode", "GET", Media, response="binary")
SUBMIT_AUDIT = _wxa("submit_audit", "POST", SubmitAuditResult)
GET_AUDITSTATUS = _wxa("get_auditstatus", "POST", AuditStatusResult, idempotent=True)
GET_LATEST_AUDITSTATUS = _wxa("get_latest_auditstatus", "GET", LatestAuditStatusResult)
UNDOCODEAUDIT = _wxa("undocodeaudit", "GET", WxResult, idempotent=False)
RELEASE = _wxa("release", "POST", WxResult)
REVERTCODERELEASE = _wxa("revertcoderelease", "GET", WxResult, idempotent=False)
CHANGE_VISITSTATUS = _wxa("change_visitstatus", "POST", WxResult, idempotent=True)
MODIFY_DOMAIN = _wxa("modify_domain", "POST", DomainResult)
SETWEBVIEWDOMAIN = _wxa("setwebviewdomain", "POST", WebviewDomainResult)
BIND_TESTER = _wxa("bind_tester", "POST", BindTesterResult)
UNBIND_TESTER = _wxa("unbind_tester", "POST", WxResult, idempotent=True)


@checked
def get_template_draft_list() -> Call[TemplateDraftListResult]:
    """``GET wxa/gettemplatedraftlist``: the drafts (草稿箱) to turn into templates."""
    return GET_TEMPLATE_DRAFT_LIST.call()


@checked
def add_to_template(draft_id: int, template_type: Literal[0, 1] | None = None) -> Call[WxResult]:
    """``POST wxa/addtotemplate``: a draft becomes a template (0 normal, 1 standard)."""
    return ADD_TO_TEMPLATE.call(json={"draft_id": draft_id, "template_type": template_type})


@checked
def get_template_list(template_type: Literal[0, 1] | None = None) -> Call[TemplateListResult]:
    """``GET wxa/gettemplatelist``: the platform's templates."""
    return GET_TEMPLATE_LIST.call(query={"template_type": template_type})


@checked
def delete_template(template_id: int) -> Call[WxResult]:
    """``POST wxa/deletetemplate``."""
    return DELETE_TEMPLATE.call(json={"template_id": template_id})


@checked
def commit(template_id: int, ext_json: str | dict[str, Any], user_version: str,
           user_desc: str) -> Call[WxResult]:
    """``POST wxa/commit``: upload template ``template_id``'s code to this Mini Program.

    ``ext_json`` is the ext.json configuration; a dict is encoded to the string WeChat wants.
    """
    require(user_version=user_version, user_desc=user_desc)
    max_length("user_version", user_version, 64)
    ext = ext_json if isinstance(ext_json, str) else msgspec.json.encode(ext_json).decode()
    return COMMIT.call(json={"template_id": template_id, "ext_json": ext,
                             "user_version": user_version, "user_desc": user_desc})


@checked
def get_qrcode(path: str | None = None) -> Call[Media]:
    """``GET wxa/get_qrcode``: the trial version's QR code (体验版二维码), a JPEG."""
    return GET_QRCODE.call(query={"path": path})


@checked
def submit_audit(item_list: list[dict[str, Any]] | None = None, *,
                 version_desc: str | None = None, feedback_info: str | None = None,
                 privacy_api_not_use: bool | None = None,
                 extra: dict[str, Any] | None = None) -> Call[SubmitAuditResult]:
    """``POST wxa/submit_audit``: submit the committed code for review (审核).

    ``extra`` adds any other documented field (``preview_info``, ``ugc_declare``, ...).
    """
    body: dict[str, Any] = {"item_list": item_list, "version_desc": version_desc,
                            "feedback_info": feedback_info,
                            "privacy_api_not_use": privacy_api_not_use}
    if extra:
        clash = set(extra) & {k for k, v in body.items() if v is not None}
        if clash:
            raise UsageError(f"extra repeats {sorted(clash)}: pass them once")
        body.update(extra)
    return SUBMIT_AUDIT.call(json=body)


@checked
def get_auditstatus(auditid: int) -> Call[AuditStatusResult]:
    """``POST wxa/get_auditstatus``: one audit's status."""
    return GET_AUDITSTATUS.call(json={"auditid": auditid})


@checked
def get_latest_auditstatus() -> Call[LatestAuditStatusResult]:
    """``GET wxa/get_latest_auditstatus``: the latest audit's status."""
    return GET_LATEST_AUDITSTATUS.call()


@checked
def undocodeaudit() -> Call[WxResult]:
    """``GET wxa/undocodeaudit``: withdraw the audit (once a day)."""
    return UNDOCODEAUDIT.call()


@checked
def release() -> Call[WxResult]:
    """``POST wxa/release``: publish the approved version (the body is ``{}``)."""
    return RELEASE.call(json={})


@checked
def revertcoderelease() -> Call[WxResult]:
    """``GET wxa/revertcoderelease``: roll back to the previous released version."""
    return REVERTCODERELEASE.call()


@checked
def change_visitstatus(action: Literal["open", "close"]) -> Call[WxResult]:
    """``POST wxa/change_visitstatus``: make the Mini Program visible (open) or not (close)."""
    return CHANGE_VISITSTATUS.call(json={"action": action})


@checked
def modify_domain(action: DomainAction, requestdomain: list[str] | None = None,
                  wsrequestdomain: list[str] | None = None,
                  uploaddomain: list[str] | None = None,
                  downloaddomain: list[str] | None = None) -> Call[DomainResult]:
    """``POST wxa/modify_domain``: add, delete, set or get the server domains."""
    lists = {"requestdomain": requestdomain, "wsrequestdomain": wsrequestdomain,
             "uploaddomain": uploaddomain, "downloaddomain": downloaddomain}
    if action != "get" and all(v is None for v in lists.values()):
        raise UsageError(f"modify_domain({action!r}) needs at least one domain list")
    if action == "get" and any(v is not None for v in lists.values()):
        raise UsageError("modify_domain('get') takes no domain lists")
    return MODIFY_DOMAIN.call(json={"action": action, **lists})


@checked
def setwebviewdomain(action: DomainAction | None = None,
                     webviewdomain: list[str] | None = None) -> Call[WebviewDomainResult]:
    """``POST wxa/setwebviewdomain``: the business domains; no action sets the platform's."""
    if action in ("add", "delete", "set") and webviewdomain is None:
        raise UsageError(f"setwebviewdomain({action!r}) needs webviewdomain")
    return SETWEBVIEWDOMAIN.call(json={"action": action, "webviewdomain": webviewdomain})


@checked
def bind_tester(wechatid: str) -> Call[BindTesterResult]:
    """``POST wxa/bind_tester``: let WeChat user ``wechatid`` open the trial version."""
    require(wechatid=wechatid)
    return BIND_TESTER.call(json={"wechatid": wechatid})


@checked
def unbind_tester(wechatid: str | None = None, userstr: str | None = None) -> Call[WxResult]:
    """``POST wxa/unbind_tester``: by ``wechatid`` or by the ``userstr`` bind_tester gave."""
    if (wechatid is None) == (userstr is None):
        raise UsageError("unbind_tester needs exactly one of wechatid, userstr")
    return UNBIND_TESTER.call(json={"wechatid": wechatid, "userstr": userstr})


