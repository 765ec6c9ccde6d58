"""SOTER biometric authentication (生物认证): verify a fingerprint/face signature."""

from __future__ import annotations

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, WxResult

__all__ = ["SoterVerifyResult", "verify_signature"]


class SoterVerifyResult(WxResult, kw_only=True):
    """``cgi-bin/soter/verify_signature``: ``is_ok`` is whether the signature is genuine."""

    is_ok: bool = False


VERIFY_SIGNATURE = Endpoint("miniprogram.verify_signature", "POST",
                            "/cgi-bin/soter/verify_signature", SoterVerifyResult,
                            idempotent=True)


@checked
def verify_signature(openid: str, json_string: str,
                     json_signature: str) -> Call[SoterVerifyResult]:
    """Check ``resultJSON`` / ``resultJSONSignature`` from ``wx.startSoterAuthentication``."""
    return VERIFY_SIGNATURE.call(json={"openid": openid, "json_string": json_string,
                                       "json_signature": json_signature})
