"""Exceptions for pushed messages: each check that can fail has its own class.

Every class is a :class:`wxcore.errors.MessageError`; ``code`` is the matching return code
of WeChat's reference WXBizMsgCrypt library (0 when the library has no such code), so logs
can be compared with WeChat's documentation::

    MessageError
    ├── SignatureError           -40001  signature / msg_signature does not match
    │   ├── TimestampError       -40001  timestamp missing, malformed or outside the window
    │   └── NonceReusedError     -40001  the replay hook has seen this nonce already
    ├── InvalidAESKeyError       -40004  EncodingAESKey is not 43 base64 chars -> 32 bytes
    │                                    (also a UsageError: it is a configuration mistake)
    ├── AppIdMismatchError       -40005  the decrypted appid is not ours
    ├── DecryptError             -40007  ciphertext cannot be decrypted
    │   ├── Base64Error          -40010  Encrypt is not valid base64
    │   ├── CiphertextLengthError -40007 empty, short, or not whole AES blocks
    │   ├── PaddingError         -40007  PKCS#7 (block 32) padding is wrong
    │   └── IllegalBufferError   -40008  the length field does not fit the plaintext
    ├── XMLError                 -40002  the body is not acceptable XML
    │   ├── UnsafeXMLError               DOCTYPE / entity declarations (XXE, entity bombs)
    │   └── XMLLimitError                a size or nesting limit was exceeded
    │       ├── BodyTooLargeError            the body is larger than max_bytes (HTTP 413)
    │       └── NestingTooDeepError          XML or JSON nested deeper than max_depth (400)
    ├── EncryptionRequiredError          a plaintext push where safe mode is required
    ├── EncryptionModeError              query and body disagree about safe mode
    ├── NotConfiguredError               an encrypted push but no EncodingAESKey configured
    ├── MessageFormatError               a known message type with a malformed field
    └── ReplyError                       a reply cannot be built (e.g. missing recipient)

Outside this branch, :class:`DedupUnavailableError` (a :class:`wxcore.errors.WxError`) says
the de-duplication store failed: not the push's fault, so it is no ``MessageError``.

Messages never include the token, the EncodingAESKey or plaintext of a failed decryption.
"""

from __future__ import annotations

from wxcore.errors import MessageError, UsageError, WxError

__all__ = [
    "MessageError",
    "SignatureError",
    "TimestampError",
    "NonceReusedError",
    "InvalidAESKeyError",
    "AppIdMismatchError",
    "DecryptError",
    "Base64Error",
    "CiphertextLengthError",
    "PaddingError",
    "IllegalBufferError",
    "XMLError",
    "UnsafeXMLError",
    "XMLLimitError",
    "BodyTooLargeError",
    "NestingTooDeepError",
    "EncryptionRequiredError",
    "EncryptionModeError",
    "NotConfiguredError",
    "MessageFormatError",
    "ReplyError",
    "DedupUnavailableError",
]


class SignatureError(MessageError):
    """The request's signature (or msg_signature) does not match: not from WeChat."""

    code = -40001


class TimestampError(SignatureError):
    """The timestamp is missing, not an integer, or too far from now (possible replay)."""


class NonceReusedError(SignatureError):
    """The replay hook reported this nonce as already used within the window."""


class InvalidAESKeyError(MessageError, UsageError):
    """The EncodingAESKey is not 43 base64 characters decoding to 32 bytes."""

    code = -40004


class AppIdMismatchError(MessageError):
    """The appid at the end of the decrypted plaintext is not the expected one."""

    code = -40005


class DecryptError(MessageError):
    """The ``Encrypt`` value cannot be decrypted."""

    code = -40007


class Base64Error(DecryptError):
    """``Encrypt`` (or echostr) is not valid base64."""

    code = -40010


class CiphertextLengthError(DecryptError):
    """The ciphertext is empty, shorter than one 32-byte padded block, or not whole blocks."""


class PaddingError(DecryptError):
    """The PKCS#7 padding (block size 32) is invalid: wrong key or tampered data."""


class IllegalBufferError(DecryptError):
    """The 4-byte length field does not fit inside the decrypted plaintext."""

    code = -40008


class XMLError(MessageError):
    """The body is not well-formed XML (or JSON) of the expected shape."""

    code = -40002


class UnsafeXMLError(XMLError):
    """The XML declares a DOCTYPE or entities: rejected to rule out XXE and entity bombs."""


class XMLLimitError(XMLError):
    """The body exceeds a configured limit (see the two subclasses)."""


class BodyTooLargeError(XMLLimitError):
    """The body is larger than ``max_bytes``: checked before anything is parsed."""


class NestingTooDeepError(XMLLimitError):
    """The XML or JSON is nested deeper than ``max_depth``: a malformed push, not a big one."""


class EncryptionRequiredError(MessageError):
    """A push arrived in plaintext but this server accepts only encrypted (safe-mode) pushes."""

    code = 0


class EncryptionModeError(MessageError):
    """The query and the body disagree about safe mode (e.g. ``msg_signature`` without
    ``encrypt_type=aes``, or an encrypted envelope without them): refused, never guessed."""

    code = 0


class NotConfiguredError(MessageError):
    """An encrypted push arrived, but no EncodingAESKey/appid is configured to decrypt it."""

    code = 0


class MessageFormatError(MessageError):
    """A message of a known type has a field of the wrong shape (e.g. non-numeric MsgId)."""

    code = 0


class ReplyError(MessageError):
    """A passive reply cannot be built from the given values."""

    code = 0


class DedupUnavailableError(WxError):
    """The de-duplication store failed (e.g. Redis is down) and the server is set to fail
    closed: the push is not handled, so WeChat retries it (HTTP 503)."""
