"""The operations (运维) facade methods, shared by the Official Account and Mini Program facades.

In a module of their own so a Mini Program facade does not import every Official Account
builder module (``wxcore.officialaccount.api``) for these seven lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wxcore.facade import APPID, deferred_module, lazy_method

if TYPE_CHECKING:
    from wxcore.officialaccount import operations
else:  # imported on first use, as the facades' other builder modules
    operations = deferred_module("wxcore.officialaccount.operations")

__all__ = ["OperationsAPI"]


class OperationsAPI:
    """Operations (运维) endpoints, the same for Official Accounts and Mini Programs: both
    facades inherit these declarations."""

    get_callback_ip = lazy_method(lambda: operations.get_callback_ip)
    get_api_domain_ip = lazy_method(lambda: operations.get_api_domain_ip)
    check_callback = lazy_method(lambda: operations.check_callback)
    clear_quota = lazy_method(lambda: operations.clear_quota, APPID)
    clear_quota_by_app_secret = lazy_method(lambda: operations.clear_quota_by_app_secret, APPID)
    get_api_quota = lazy_method(lambda: operations.get_api_quota)
    get_rid = lazy_method(lambda: operations.get_rid)
