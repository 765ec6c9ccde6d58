"""The operations (运维) facade methods, shared by the Official Account and Mini Program facades.

In a module of their own so a Mini Program facade does not import every Official Account
builder module (``wxcore.officialaccount.api``) for these seven lines.
"""

from __future__ import annotations

from wxcore.facade import APPID, method
from wxcore.officialaccount import operations

__all__ = ["OperationsAPI"]


class OperationsAPI:
    """Operations (运维) endpoints, the same for Official Accounts and Mini Programs: both
    facades inherit these declarations."""

    get_callback_ip = method(operations.get_callback_ip)
    get_api_domain_ip = method(operations.get_api_domain_ip)
    check_callback = method(operations.check_callback)
    clear_quota = method(operations.clear_quota, APPID)
    clear_quota_by_app_secret = method(operations.clear_quota_by_app_secret, APPID)
    get_api_quota = method(operations.get_api_quota)
    get_rid = method(operations.get_rid)
