"""Safe-mode crypto: WeChat's published vectors, an independent implementation both ways,
and one clear exception per way a ciphertext or key can be wrong."""

from __future__ import annotations

import base64
import random

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from independent_crypto import ind_decrypt, ind_encrypt, ind_sign
from msgvectors import (
    REF_AES_KEY,
    REF_APPID,
    REF_ENCRYPT,
    REF_MSG,
    REF_MSG_SIGNATURE,
    REF_NONCE,
    REF_RANDOM,
    REF_TIMESTAMP,
    REF_TOKEN,
    SAMPLE_AES_KEY,
    SAMPLE_APPID,
    SAMPLE_ENCRYPT,
    SAMPLE_MSG_SIGNATURE,
    SAMPLE_NONCE,
    SAMPLE_TIMESTAMP,
    SAMPLE_TOKEN,
)

from wxcore.errors import MessageError, UsageError
from wxcore.messages import (
    AppIdMismatchError,
    Base64Error,
    CiphertextLengthError,
    IllegalBufferError,
    InvalidAESKeyError,
    MessageCrypto,
    PaddingError,
    SignatureError,
    TextMessage,
    decode_aes_key,
    parse_body,
    parse_xml,
)


# -- published vectors -------------------------------------------------------------------

def test_reference_vector_encrypts_exactly(ref_crypto: MessageCrypto) -> None:
    encrypt = ref_crypto.encrypt(REF_MSG, REF_RANDOM)
    assert encrypt == REF_ENCRYPT
    assert ref_crypto.sign(REF_TIMESTAMP, REF_NONCE, encrypt) == REF_MSG_SIGNATURE
    assert ref_crypto.decrypt(REF_ENCRYPT) == REF_MSG.encode()


def test_reference_vector_key_and_iv() -> None:
    assert decode_aes_key(REF_AES_KEY)[:16].hex() == "69b71d79f8218a39259a7a29aabb2dba"
    assert len(decode_aes_key(REF_AES_KEY)) == 32


def test_official_sample_decrypts_and_verifies(sample_crypto: MessageCrypto) -> None:
    plain = sample_crypto.verify_and_decrypt(
        SAMPLE_ENCRYPT, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE)
    message = parse_body(plain)
    assert isinstance(message, TextMessage)
    assert (message.ToUserName, message.FromUserName) == ("gh_10f6c3c3ac5a", "oyORnuP8q7ou2gfYjqLzSIWZf0rs")
    assert message.Content == "abcdteT"
    assert message.MsgId == 6054768590064713728
    assert message.CreateTime == 1409735668


def test_reply_envelope_has_wechats_shape(ref_crypto: MessageCrypto) -> None:
    envelope = ref_crypto.encrypt_reply(REF_MSG, timestamp=REF_TIMESTAMP, nonce=REF_NONCE,
                                        random_bytes=REF_RANDOM)
    fields = parse_xml(envelope.encode())
    assert fields == {"Encrypt": REF_ENCRYPT, "MsgSignature": REF_MSG_SIGNATURE,
                      "TimeStamp": REF_TIMESTAMP, "Nonce": REF_NONCE}


# -- interoperability with the independent implementation ----------------------------------

MESSAGES = [b"", b"x", REF_MSG.encode(), "<xml>中文 ]]> \r\n</xml>".encode(), bytes(range(256)) * 3]


@pytest.mark.parametrize("msg", MESSAGES)
def test_ours_decrypt_in_independent_implementation(ref_crypto: MessageCrypto, msg: bytes) -> None:
    rnd = random.Random(len(msg))
    for size_delta in range(40):  # every padding length 1..32 is exercised
        body = msg + b"a" * size_delta
        rand = rnd.randbytes(16)
        encrypt = ref_crypto.encrypt(body, rand)
        assert ind_decrypt(REF_AES_KEY, REF_APPID, encrypt) == body
        assert encrypt == ind_encrypt(REF_AES_KEY, REF_APPID, body, rand)


@pytest.mark.parametrize("msg", MESSAGES)
def test_independent_ciphertexts_decrypt_here(ref_crypto: MessageCrypto, msg: bytes) -> None:
    rnd = random.Random(7)
    for size_delta in range(40):
        body = msg + b"b" * size_delta
        encrypt = ind_encrypt(REF_AES_KEY, REF_APPID, body, rnd.randbytes(16))
        assert ref_crypto.decrypt(encrypt) == body
        sig = ind_sign(REF_TOKEN, "1700000123", "n0nce", encrypt)
        assert ref_crypto.verify_and_decrypt(encrypt, sig, "1700000123", "n0nce") == body


def test_sample_key_interoperates_too() -> None:
    crypto = MessageCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID)
    assert ind_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_ENCRYPT) == crypto.decrypt(SAMPLE_ENCRYPT)


# -- every failure has its own exception ---------------------------------------------------

def test_wrong_msg_signature(ref_crypto: MessageCrypto) -> None:
    with pytest.raises(SignatureError):
        ref_crypto.verify_and_decrypt(REF_ENCRYPT, "0" * 40, REF_TIMESTAMP, REF_NONCE)
    with pytest.raises(SignatureError):  # signed with another nonce
        ref_crypto.verify_and_decrypt(REF_ENCRYPT, REF_MSG_SIGNATURE, REF_TIMESTAMP, "1")
    with pytest.raises(SignatureError):
        ref_crypto.verify_and_decrypt(REF_ENCRYPT, None, REF_TIMESTAMP, REF_NONCE)


def test_wrong_appid_in_plaintext() -> None:
    other = MessageCrypto(REF_TOKEN, REF_AES_KEY, "wx0000000000000000")
    with pytest.raises(AppIdMismatchError) as info:
        other.decrypt(REF_ENCRYPT)
    assert "wx1234567890abcdef" in str(info.value) and info.value.code == -40005


def test_bad_padding_from_a_wrong_key() -> None:
    wrong = MessageCrypto(REF_TOKEN, "B" * 43, REF_APPID)
    with pytest.raises((PaddingError, IllegalBufferError, AppIdMismatchError)):
        wrong.decrypt(REF_ENCRYPT)


def test_bad_padding_bytes(ref_crypto: MessageCrypto) -> None:
    key = decode_aes_key(REF_AES_KEY)
    for tail in (b"\x00", b"\x21", bytes([5, 5, 5, 4, 5])):  # 0, 33, inconsistent run
        plain = REF_RANDOM + b"\x00\x00\x00\x01x" + REF_APPID.encode()
        plain += b"z" * (-(len(plain) + len(tail)) % 32) + tail
        enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        encrypt = base64.b64encode(enc.update(plain) + enc.finalize()).decode()
        with pytest.raises(PaddingError):
            ref_crypto.decrypt(encrypt)


def test_bad_base64(ref_crypto: MessageCrypto) -> None:
    for bad in ("not base64!!", REF_ENCRYPT[:-1], "é" * 44):
        with pytest.raises(Base64Error) as info:
            ref_crypto.decrypt(bad)
        assert info.value.code == -40010


def test_short_and_truncated_ciphertexts(ref_crypto: MessageCrypto) -> None:
    raw = base64.b64decode(REF_ENCRYPT)
    for cut in (b"", raw[:16], raw[:-16][:-8], raw[:31], raw[:-1]):
        with pytest.raises(CiphertextLengthError):
            ref_crypto.decrypt(base64.b64encode(cut).decode())
    # whole blocks cut off at the front: decrypts to garbage that must not pass
    with pytest.raises((PaddingError, IllegalBufferError, AppIdMismatchError)):
        ref_crypto.decrypt(base64.b64encode(raw[32:]).decode())


def test_length_field_beyond_plaintext(ref_crypto: MessageCrypto) -> None:
    key = decode_aes_key(REF_AES_KEY)
    plain = REF_RANDOM + (10_000).to_bytes(4, "big") + b"short" + REF_APPID.encode()
    padder = padding.PKCS7(256).padder()
    plain = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    with pytest.raises(IllegalBufferError):
        ref_crypto.decrypt(base64.b64encode(enc.update(plain) + enc.finalize()).decode())


@pytest.mark.parametrize("bad_key", ["", "short", REF_AES_KEY + "H", REF_AES_KEY[:-1] + "!",
                                     REF_AES_KEY[:-1] + "=", 12345])
def test_bad_encoding_aes_key(bad_key: object) -> None:
    with pytest.raises(InvalidAESKeyError) as info:
        MessageCrypto(REF_TOKEN, bad_key, REF_APPID)  # type: ignore[arg-type]
    assert isinstance(info.value, UsageError) and isinstance(info.value, MessageError)
    assert str(bad_key) not in str(info.value) or not bad_key


def test_secrets_stay_out_of_repr_and_errors(ref_crypto: MessageCrypto) -> None:
    assert REF_AES_KEY not in repr(ref_crypto) and REF_TOKEN not in repr(ref_crypto)
    with pytest.raises(MessageError) as info:
        ref_crypto.verify_and_decrypt(REF_ENCRYPT, "0" * 40, REF_TIMESTAMP, REF_NONCE)
    assert REF_TOKEN not in str(info.value)


def test_random_bytes_must_be_sixteen(ref_crypto: MessageCrypto) -> None:
    with pytest.raises(UsageError):
        ref_crypto.encrypt(b"x", b"short")
    with pytest.raises(UsageError):
        ref_crypto.encrypt_reply("<xml/>", timestamp="17x", nonce="1", random_bytes=REF_RANDOM)
    with pytest.raises(UsageError):
        ref_crypto.encrypt_reply("<xml/>", timestamp="1", nonce="a]]>b", random_bytes=REF_RANDOM)
