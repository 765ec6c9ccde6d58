"""``wxcore message decrypt|encrypt`` on standard input, with exact failure reasons."""

from __future__ import annotations

import io
import sys

import msgspec
import pytest
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
    SAMPLE_BODY,
    SAMPLE_MSG_SIGNATURE,
    SAMPLE_NONCE,
    SAMPLE_TIMESTAMP,
    SAMPLE_TOKEN,
)

from wxcore.adapters.cli import main
from wxcore.messages import MessageCrypto, parse_xml


def run(argv: list[str], stdin: bytes, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def decrypt_args(token: str = REF_TOKEN, key: str = REF_AES_KEY, appid: str = REF_APPID,
                 sig: str = REF_MSG_SIGNATURE) -> list[str]:
    return ["message", "decrypt", "--token", token, "--aes-key", key, "--appid", appid,
            "--msg-signature", sig, "--timestamp", REF_TIMESTAMP, "--nonce", REF_NONCE]


def envelope(encrypt: str = REF_ENCRYPT) -> bytes:
    return f"<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()


def test_decrypt_prints_plaintext_then_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(decrypt_args(), envelope(), capsys, monkeypatch)
    assert code == 0 and err == ""
    plaintext, _, json_text = out.partition("\n")
    assert plaintext == REF_MSG
    parsed = msgspec.json.decode(json_text)
    assert parsed["type"] == "TextMessage" and parsed["Content"] == "hi" and parsed["MsgId"] == 1
    assert REF_AES_KEY not in out and REF_TOKEN not in out


def test_decrypt_official_sample_and_bare_encrypt(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["message", "decrypt", "--token", SAMPLE_TOKEN, "--aes-key", SAMPLE_AES_KEY, "--appid", SAMPLE_APPID,
            "--msg-signature", SAMPLE_MSG_SIGNATURE, "--timestamp", SAMPLE_TIMESTAMP, "--nonce", SAMPLE_NONCE]
    code, out, _ = run(argv, SAMPLE_BODY, capsys, monkeypatch)
    assert code == 0 and '"Content": "abcdteT"' in out
    code, out, _ = run(decrypt_args(), REF_ENCRYPT.encode() + b"\n", capsys, monkeypatch)
    assert code == 0 and out.startswith(REF_MSG)


@pytest.mark.parametrize(("argv", "body", "code", "reason"), [
    (decrypt_args(sig="0" * 40), envelope(), 3, "error: signature:"),
    (decrypt_args(appid="wx_other"), envelope(), 4, "error: appid:"),
    (decrypt_args(key="B" * 43), envelope(), 5, "error: padding:"),
    (decrypt_args(), b"<xml><Encrypt>", 6, "error: xml:"),
    (decrypt_args(), b"<xml><ToUserName>gh</ToUserName></xml>", 6, "error: xml:"),
    (decrypt_args(key="short"), envelope(), 7, "error: key:"),
])
def test_decrypt_failures_name_the_step(argv: list[str], body: bytes, code: int, reason: str,
                                        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    got, out, err = run(argv, body, capsys, monkeypatch)
    assert got == code and err.startswith(reason) and out == ""


def test_decrypt_base64_and_inner_xml_failures(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    crypto = MessageCrypto(REF_TOKEN, REF_AES_KEY, REF_APPID)
    bad_b64 = "@@@@"
    code, _, err = run(decrypt_args(sig=crypto.sign(REF_TIMESTAMP, REF_NONCE, bad_b64)), envelope(bad_b64),
                       capsys, monkeypatch)
    assert code == 5 and err.startswith("error: base64:")
    inner_bad = crypto.encrypt(b"<xml><unclosed></xml>", REF_RANDOM)
    code, out, err = run(decrypt_args(sig=crypto.sign(REF_TIMESTAMP, REF_NONCE, inner_bad)), envelope(inner_bad),
                         capsys, monkeypatch)
    assert code == 6 and err.startswith("error: xml:") and out.startswith("<xml><unclosed>")


def test_encrypt_prints_the_reference_envelope(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["message", "encrypt", "--token", REF_TOKEN, "--aes-key", REF_AES_KEY, "--appid", REF_APPID,
            "--timestamp", REF_TIMESTAMP, "--nonce", REF_NONCE, "--random-hex", REF_RANDOM.hex()]
    code, out, _ = run(argv, REF_MSG.encode(), capsys, monkeypatch)
    assert code == 0
    assert parse_xml(out.strip().encode()) == {"Encrypt": REF_ENCRYPT, "MsgSignature": REF_MSG_SIGNATURE,
                                               "TimeStamp": REF_TIMESTAMP, "Nonce": REF_NONCE}
    # default randomness: different every time, still decrypts
    code, out2, _ = run(argv[:-2], REF_MSG.encode(), capsys, monkeypatch)
    encrypt = str(parse_xml(out2.strip().encode())["Encrypt"])
    assert code == 0 and encrypt != REF_ENCRYPT
    assert MessageCrypto(REF_TOKEN, REF_AES_KEY, REF_APPID).decrypt(encrypt) == REF_MSG.encode()
    code, _, err = run(argv, b"<xml><broken>", capsys, monkeypatch)
    assert code == 6 and err.startswith("error: xml:")
