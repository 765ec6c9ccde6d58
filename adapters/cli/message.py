"""``wxcore message decrypt|encrypt``: debug a live safe-mode (安全模式) integration.

``decrypt`` reads a push body from standard input (the whole ``<xml>...<Encrypt>`` envelope,
its JSON form, or the bare Encrypt value), checks ``msg_signature``, decrypts, prints the
plaintext and then the parsed message as JSON. On failure it prints the exact reason on
standard error and exits with a code naming the failed step::

    3 signature   4 appid   5 decryption (base64, length, padding)   6 XML / message format
    7 the EncodingAESKey itself

``encrypt`` reads a plaintext reply from standard input and prints the signed, encrypted
reply envelope WeChat expects back (``--timestamp`` defaults to now, ``--nonce`` to a random
one). Secrets are taken from arguments (or the environment variables ``WXCORE_TOKEN`` /
``WXCORE_AES_KEY``) and are never printed.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
from typing import Any

import msgspec

from wxcore.messages import (
    AppIdMismatchError,
    DecryptError,
    GenericMessage,
    InvalidAESKeyError,
    MessageCrypto,
    MessageError,
    MessageFormatError,
    SignatureError,
    XMLError,
    decode_body,
    parse_message,
)

EXIT_SIGNATURE = 3
EXIT_APPID = 4
EXIT_DECRYPT = 5
EXIT_XML = 6
EXIT_KEY = 7

# The alphabet of a bare Encrypt value; anything else on stdin cannot be a push.
BASE64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("message", help="decrypt or encrypt WeChat push messages")
    commands = parser.add_subparsers(dest="message_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    decrypt = commands.add_parser("decrypt", help="verify and decrypt a push read from stdin")
    _common(decrypt)
    decrypt.add_argument("--timestamp", required=True, help="the timestamp query parameter")
    decrypt.add_argument("--nonce", required=True, help="the nonce query parameter")
    decrypt.add_argument("--msg-signature", required=True, help="the msg_signature query parameter")
    decrypt.set_defaults(func=run_decrypt)

    encrypt = commands.add_parser("encrypt", help="encrypt a plaintext reply read from stdin")
    _common(encrypt)
    encrypt.add_argument("--timestamp", default=None,
                         help="the reply's timestamp (default: now, as a Unix time)")
    encrypt.add_argument("--nonce", default=None,
                         help="the reply's nonce (default: 16 random hex digits)")
    encrypt.add_argument("--random-hex", default=None,
                         help="16 random bytes as 32 hex digits (default: from secrets)")
    encrypt.set_defaults(func=run_encrypt)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", default=os.environ.get("WXCORE_TOKEN"),
                        help="the server token (or $WXCORE_TOKEN)")
    parser.add_argument("--aes-key", default=os.environ.get("WXCORE_AES_KEY"),
                        help="the 43-character EncodingAESKey (or $WXCORE_AES_KEY)")
    parser.add_argument("--appid", required=True, help="appid (component appid for component pushes)")


def _crypto(args: argparse.Namespace) -> MessageCrypto | int:
    if not args.token or not args.aes_key:
        print("error: usage: --token and --aes-key are required", file=sys.stderr)
        return 2
    try:
        return MessageCrypto(args.token, args.aes_key, args.appid)
    except InvalidAESKeyError as exc:
        print(f"error: key: {exc}", file=sys.stderr)
        return EXIT_KEY


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read() if stream is not None else sys.stdin.read().encode()
    return data.strip()


def _fail(step: str, exc: MessageError, code: int) -> int:
    print(f"error: {step}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return code


def message_json(message: Any) -> bytes:
    """The parsed message as indented JSON: its type name, typed fields (and raw if generic)."""
    data = {"type": type(message).__name__, **msgspec.to_builtins(message)}
    if isinstance(message, GenericMessage):
        data["raw"] = dict(message.raw)
    return msgspec.json.format(msgspec.json.encode(data), indent=2)


def run_decrypt(args: argparse.Namespace) -> int:
    crypto = _crypto(args)
    if isinstance(crypto, int):
        return crypto
    body = _read_stdin()
    if not body:
        print("error: xml: standard input is empty: expected the push body WeChat posted",
              file=sys.stderr)
        return EXIT_XML
    if body[:1] in (b"<", b"{"):
        try:
            encrypt = decode_body(body).get("Encrypt")
        except XMLError as exc:
            return _fail("xml", exc, EXIT_XML)
        if type(encrypt) is not str:
            print("error: xml: the body has no Encrypt field", file=sys.stderr)
            return EXIT_XML
    elif BASE64.fullmatch(body):
        encrypt = body.decode("ascii")
    else:
        print("error: xml: the input is neither XML, JSON nor a base64 Encrypt value",
              file=sys.stderr)
        return EXIT_XML
    try:
        plaintext = crypto.verify_and_decrypt(encrypt, args.msg_signature, args.timestamp, args.nonce)
    except SignatureError as exc:
        return _fail("signature", exc, EXIT_SIGNATURE)
    except AppIdMismatchError as exc:
        return _fail("appid", exc, EXIT_APPID)
    except DecryptError as exc:
        step = {"Base64Error": "base64", "PaddingError": "padding"}.get(type(exc).__name__, "decrypt")
        return _fail(step, exc, EXIT_DECRYPT)
    sys.stdout.write(plaintext.decode("utf-8", "replace") + "\n")
    sys.stdout.flush()
    try:
        message = parse_message(decode_body(plaintext))
    except (XMLError, MessageFormatError) as exc:
        return _fail("xml", exc, EXIT_XML)
    sys.stdout.write(message_json(message).decode() + "\n")
    return 0


def run_encrypt(args: argparse.Namespace) -> int:
    crypto = _crypto(args)
    if isinstance(crypto, int):
        return crypto
    if args.random_hex is not None:
        try:
            random16 = bytes.fromhex(args.random_hex)
        except ValueError:
            random16 = b""
        if len(random16) != 16:
            print("error: usage: --random-hex must be 32 hex digits", file=sys.stderr)
            return 2
    else:
        random16 = secrets.token_bytes(16)
    reply = _read_stdin()
    try:
        decode_body(reply)
    except XMLError as exc:
        return _fail("xml", exc, EXIT_XML)
    timestamp = args.timestamp if args.timestamp is not None else str(int(time.time()))
    nonce = args.nonce if args.nonce is not None else secrets.token_hex(8)
    try:
        envelope = crypto.encrypt_reply(reply, timestamp=timestamp, nonce=nonce,
                                        random_bytes=random16)
    except ValueError as exc:  # UsageError: timestamp / nonce format
        print(f"error: usage: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(envelope + "\n")
    return 0
