"""Keep secrets out of logs, reprs, exceptions and fixtures: all redaction lives here.

WeChat puts credentials in query strings (``access_token``, ``secret``) and in a few JSON
bodies (``stable_token``, the component token). These helpers replace their values with
``***`` so that whatever prints a URL or a body can do so safely.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "SECRET_FIELDS", "RECORDED_SECRET_FIELDS", "PHONE_FIELDS", "REDACTED", "redact_url",
    "redact_text", "mask",
]

REDACTED = "***"

#: Names under which WeChat sends or returns a secret, in a query string or a JSON body.
SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "access_token",
        "secret",
        "appsecret",
        "component_access_token",
        "component_appsecret",
        "component_secret",
        "component_verify_ticket",
        "authorizer_access_token",
        "authorizer_refresh_token",
        "refresh_token",
        "session_key",
        "ticket",
        "encoding_aes_key",
    }
)

#: Names whose values never reach a recorded fixture (wxcore's cassettes, vcrpy's): the
#: secret fields, plus short-lived codes that stand in for a secret and keys derived from an
#: EncodingAESKey.
RECORDED_SECRET_FIELDS: frozenset[str] = SECRET_FIELDS | frozenset(
    {
        "pre_auth_code",
        "authorization_code",
        "auth_code",
        "encodingaeskey",
        "EncodingAESKey",
        "encodingAESKey",
        "aes_key",
        "encrypt_key",
        "sessionKey",
    }
)

#: Fields holding a user's phone number, replaced in recorded fixtures on request
#: (``redact_phone_numbers``): personal data, not a credential.
PHONE_FIELDS: frozenset[str] = frozenset(
    {"phoneNumber", "purePhoneNumber", "phone_number", "pure_phone_number", "mobile"}
)

_QUERY_SECRET = re.compile(
    r"(?P<key>(?:^|[?&])(?:" + "|".join(sorted(SECRET_FIELDS)) + r"))=(?P<value>[^&#\s]*)"
)
_JSON_SECRET = re.compile(
    r'(?P<key>"(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:\s*)"(?P<value>(?:[^"\\]|\\.)*)"'
)


def redact_url(url: str) -> str:
    """``url`` with the values of secret query parameters replaced by ``***``."""
    if "=" not in url:
        return url
    return _QUERY_SECRET.sub(lambda m: f"{m.group('key')}={REDACTED}", url)


def redact_text(text: str) -> str:
    """``text`` (a URL, a JSON body, an error message) with secret values replaced."""
    text = _JSON_SECRET.sub(lambda m: f'{m.group("key")}"{REDACTED}"', text)
    return redact_url(text)


def mask(value: str) -> str:
    """A non-reversible fingerprint of a secret for reprs and logs.

    Two reprs of the same token show the same fingerprint, so a reader can tell whether a
    token changed, yet nothing of the token itself is shown.
    """
    if not value:
        return "''"
    return f"{REDACTED}#{hashlib.sha256(value.encode()).hexdigest()[:8]}"
