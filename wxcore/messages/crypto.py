"""WeChat message encryption, "safe mode" (安全模式), as WXBizMsgCrypt specifies (pure).

Layout, exactly as WeChat documents it:

* key: ``AESKey = base64decode(EncodingAESKey + "=")`` (43 chars -> 32 bytes); ``IV = AESKey[:16]``;
* plaintext: 16 random bytes + ``len(msg)`` as 4-byte big-endian + msg (UTF-8) + appid;
* PKCS#7 padding with block size **32** (1..32 bytes, each equal to the count);
* AES-256-CBC without library padding; ``Encrypt = base64(ciphertext)``;
* ``msg_signature = sha1(sorted([token, timestamp, nonce, Encrypt]))``.

Random bytes are an argument, never drawn here, so results are reproducible in tests;
callers (``wxcore.adapters.message_server``) pass ``secrets.token_bytes(16)``.
Each way a ciphertext can be wrong raises its own exception (see
:mod:`wxcore.messages.errors`); none of them carries the key or the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wxcore.errors import UsageError
from wxcore.messages.errors import (
    AppIdMismatchError,
    Base64Error,
    CiphertextLengthError,
    IllegalBufferError,
    InvalidAESKeyError,
    PaddingError,
)
from wxcore.messages.signature import check_msg_signature, sha1_signature

__all__ = ["BLOCK_SIZE", "RANDOM_SIZE", "decode_aes_key", "pkcs7_pad", "pkcs7_unpad", "MessageCrypto"]

#: PKCS#7 block size WeChat pads to (not AES's 16).
BLOCK_SIZE = 32
#: Number of random bytes that open every plaintext.
RANDOM_SIZE = 16


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """Turn the console's 43-character EncodingAESKey into the 32-byte AES key."""
    if not isinstance(encoding_aes_key, str) or len(encoding_aes_key) != 43:
        raise InvalidAESKeyError("EncodingAESKey must be exactly 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidAESKeyError("EncodingAESKey is not valid base64") from None
    if len(key) != 32:  # pragma: no cover - 43 valid chars + "=" always give 32 bytes
        raise InvalidAESKeyError("EncodingAESKey does not decode to 32 bytes")
    return key


def pkcs7_pad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Append PKCS#7 padding to a multiple of ``block_size`` (always 1..block_size bytes)."""
    count = block_size - len(data) % block_size
    return data + bytes((count,)) * count


def pkcs7_unpad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Strip PKCS#7 padding after checking it strictly; raise :class:`PaddingError` if wrong.

    The one unpadding in wxcore (the encryptedData scheme of ``wxcore.miniprogram.datacrypt``
    uses it with ``block_size=16``). Strict means: ``data`` is whole blocks, the count byte is
    1..block_size, and *every* pad byte equals the count, not only the last one.
    """
    size = len(data)
    count = data[-1] if data else 0
    if size == 0 or size % block_size or not 1 <= count <= block_size:
        raise PaddingError("invalid PKCS#7 padding: wrong key or tampered ciphertext")
    if not hmac.compare_digest(data[size - count:], bytes((count,)) * count):
        raise PaddingError("invalid PKCS#7 padding: wrong key or tampered ciphertext")
    return data[:size - count]


class MessageCrypto:
    """Encrypts and decrypts push bodies for one (token, EncodingAESKey, appid).

    ``appid`` is the app's appid (the component appid for Open Platform pushes). Build
    one per app and keep it: the AES cipher is set up once here. The repr shows the appid
    only, never the token or key.
    """

    __slots__ = ("token", "appid", "_appid_bytes", "_cipher")

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        if not token:
            raise UsageError("token is required")
        if not appid:
            raise UsageError("appid is required to check decrypted messages")
        key = decode_aes_key(encoding_aes_key)
        self.token = token
        self.appid = appid
        self._appid_bytes = appid.encode()
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def __repr__(self) -> str:
        return f"MessageCrypto(appid={self.appid!r})"

    # -- raw Encrypt values -------------------------------------------------------------

    def encrypt(self, message: bytes | str, random_bytes: bytes) -> str:
        """Encrypt ``message`` (UTF-8 XML or JSON) into a base64 ``Encrypt`` value."""
        if len(random_bytes) != RANDOM_SIZE:
            raise UsageError(f"random_bytes must be exactly {RANDOM_SIZE} bytes")
        if isinstance(message, str):
            message = message.encode()
        plain = random_bytes + len(message).to_bytes(4, "big") + message + self._appid_bytes
        # the padded plaintext is whole blocks, so update() returns all of it (no finalize)
        return base64.b64encode(self._cipher.encryptor().update(pkcs7_pad(plain))).decode()

    def decrypt(self, encrypt: str | bytes) -> bytes:
        """Decrypt an ``Encrypt`` value and check its appid; return the message bytes."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise Base64Error("Encrypt is not valid base64") from None
        size = len(data)
        if size < BLOCK_SIZE or size % 16:
            raise CiphertextLengthError(
                f"ciphertext of {size} bytes: expected whole AES blocks, at least {BLOCK_SIZE} bytes"
                " (empty, short or truncated)"
            )
        plain = pkcs7_unpad(self._cipher.decryptor().update(data))
        if len(plain) < RANDOM_SIZE + 4:
            raise IllegalBufferError("decrypted plaintext is too short for its header")
        length = int.from_bytes(plain[16:20], "big")
        end = 20 + length
        if end > len(plain):
            raise IllegalBufferError(
                f"length field says {length} bytes but only {len(plain) - 20} follow"
            )
        appid = plain[end:]
        if not hmac.compare_digest(appid, self._appid_bytes):
            shown = appid[:40].decode("utf-8", "replace")
            raise AppIdMismatchError(
                f"decrypted message is for appid {shown!r}, expected {self.appid!r}"
            )
        return plain[20:end]

    # -- signed envelopes --------------------------------------------------------------

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """``msg_signature`` for an ``Encrypt`` value."""
        return sha1_signature(self.token, timestamp, nonce, encrypt)

    def verify_and_decrypt(
        self, encrypt: str, msg_signature: str | None, timestamp: str, nonce: str
    ) -> bytes:
        """Check ``msg_signature`` over the body's ``Encrypt``, then decrypt it."""
        check_msg_signature(self.token, msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt_reply(
        self, reply: bytes | str, *, timestamp: str, nonce: str, random_bytes: bytes
    ) -> str:
        """Encrypt a plaintext XML reply into WeChat's signed reply envelope (XML text)."""
        encrypt, signature = self._encrypt_signed(reply, timestamp, nonce, random_bytes)
        # base64, hex and the checked alphanumeric nonce need no CDATA escaping
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><MsgSignature><![CDATA[{signature}]]>"
            f"</MsgSignature><TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )

    def encrypt_reply_json(
        self, reply: bytes | str, *, timestamp: str, nonce: str, random_bytes: bytes
    ) -> str:
        """The JSON form of the signed reply envelope (Mini Program JSON pushes)."""
        encrypt, signature = self._encrypt_signed(reply, timestamp, nonce, random_bytes)
        return (
            f'{{"Encrypt":"{encrypt}","MsgSignature":"{signature}",'
            f'"TimeStamp":{timestamp},"Nonce":"{nonce}"}}'
        )

    def _encrypt_signed(
        self, reply: bytes | str, timestamp: str, nonce: str, random_bytes: bytes
    ) -> tuple[str, str]:
        if not (timestamp.isascii() and timestamp.isdigit()):
            raise UsageError("timestamp must be a Unix time in decimal digits")
        if not nonce or not nonce.isalnum() or not nonce.isascii():
            raise UsageError("nonce must be a non-empty ASCII alphanumeric string")
        encrypt = self.encrypt(reply, random_bytes)
        return encrypt, self.sign(timestamp, nonce, encrypt)
