"""A deliberately separate, minimal WXBizMsgCrypt written from WeChat's technical plan
(https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Technical_Plan.html),
used to check that wxcore's crypto interoperates in both directions.

Different code path on purpose: cryptography's own PKCS7 padder (256-bit block), struct for
the length, a fresh Cipher per call, hashlib over a plain join for signatures.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def ind_key(encoding_aes_key: str) -> bytes:
    return base64.b64decode(encoding_aes_key + "=")


def ind_encrypt(encoding_aes_key: str, appid: str, msg: bytes, rand: bytes) -> str:
    key = ind_key(encoding_aes_key)
    padder = padding.PKCS7(256).padder()
    raw = padder.update(rand + struct.pack(">I", len(msg)) + msg + appid.encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(raw) + enc.finalize()).decode("ascii")


def ind_decrypt(encoding_aes_key: str, appid: str, encrypt: str) -> bytes:
    key = ind_key(encoding_aes_key)
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    raw = dec.update(base64.b64decode(encrypt)) + dec.finalize()
    unpadder = padding.PKCS7(256).unpadder()
    raw = unpadder.update(raw) + unpadder.finalize()
    (length,) = struct.unpack(">I", raw[16:20])
    assert raw[20 + length:].decode() == appid
    return raw[20:20 + length]


def ind_sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()
