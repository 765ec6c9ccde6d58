"""The installed ``wxcore`` command, run in subprocesses: user mistakes end in one clear line."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

import wxcore
from wxcore.messages import MessageCrypto, parse_xml

WXCORE = pathlib.Path(sys.executable).with_name("wxcore")
TOKEN, AES_KEY, APPID = "mytoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx1234567890abcdef"
KEYS = ["--token", TOKEN, "--aes-key", AES_KEY, "--appid", APPID]
SERVER_ENV = {"WXCORE_TOKEN_SERVER_SECRET": "a-shared-secret-of-enough-length"}


def wxcore_cli(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WXCORE), *args], input=stdin.decode(), capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_version() -> None:
    done = wxcore_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"wxcore {wxcore.__version__}"


def test_sandbox_on_a_busy_port(busy_port: int) -> None:
    line = one_line_error(wxcore_cli("sandbox", "--port", str(busy_port)))
    assert line == f"wxcore sandbox: error: cannot listen on 127.0.0.1:{busy_port}: " \
                   "Address already in use"


def test_token_server_port_out_of_range() -> None:
    line = one_line_error(wxcore_cli("token-server", "--sandbox", "--port", "99999",
                                     env=SERVER_ENV))
    assert line.startswith("wxcore token-server: error: cannot listen on 127.0.0.1:99999: ")
    assert "0-65535" in line


def test_sandbox_on_a_host_that_does_not_resolve() -> None:
    line = one_line_error(wxcore_cli("sandbox", "--port", "0", "--host", "nosuchhost.invalid"))
    assert line.startswith("wxcore sandbox: error: cannot listen on nosuchhost.invalid:0: "
                           "cannot resolve the host name")


@pytest.mark.parametrize("body", [b"", b"  \n", b"hello, this is not a push"])
def test_decrypt_of_empty_or_non_xml_input_is_an_xml_error(body: bytes) -> None:
    done = wxcore_cli("message", "decrypt", *KEYS, "--msg-signature", "0" * 40,
                      "--timestamp", "1700000000", "--nonce", "123456789", stdin=body)
    assert done.returncode == 6
    assert one_line_error(done).startswith("error: xml: ")


def test_encrypt_defaults_the_timestamp_to_now_and_the_nonce_to_a_random_one() -> None:
    reply = b"<xml><Content><![CDATA[hi]]></Content></xml>"
    before = int(time.time())
    envelopes = [parse_xml(wxcore_cli("message", "encrypt", *KEYS, stdin=reply).stdout.encode())
                 for _ in range(2)]
    after = int(time.time())
    assert all(before <= int(e["TimeStamp"]) <= after for e in envelopes)
    assert envelopes[0]["Nonce"] != envelopes[1]["Nonce"]
    crypto = MessageCrypto(TOKEN, AES_KEY, APPID)
    for e in envelopes:
        assert crypto.verify_and_decrypt(e["Encrypt"], e["MsgSignature"], e["TimeStamp"],
                                         e["Nonce"]) == reply
