"""``wxcore sandbox``: serve the offline WeChat over HTTP for your own back end to use."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox


def _app(value: str) -> tuple[str, str]:
    appid, sep, secret = value.partition("=")
    if not sep or not appid or not secret:
        raise argparse.ArgumentTypeError(f"expected APPID=SECRET, got {value!r}")
    return appid, secret


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("sandbox", help="serve the offline WeChat sandbox over HTTP")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
    parser.add_argument("--appid", default=WeChatSandbox.DEFAULT_APPID, help="the app's appid")
    parser.add_argument("--app", type=_app, action="append", default=[], metavar="APPID=SECRET",
                        help="one more app (repeat for several), e.g. a Mini Program beside "
                             "an Official Account")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sandbox = WeChatSandbox(apps={args.appid: WeChatSandbox.DEFAULT_SECRET, **dict(args.app)})
    server = SandboxServer(sandbox, host=args.host, port=args.port)
    print(f"wxcore sandbox on {server.base_url}", flush=True)
    print(f"  appid  {args.appid}\n  secret {WeChatSandbox.DEFAULT_SECRET} (sandbox only)")
    for appid, _ in args.app:
        print(f"  appid  {appid} (secret as given)")
    print(f"  console {server.base_url}/ (a browser page; its JSON control API: "
          "docs/sandbox.md)")
    print("  client: Urllib3Transport.for_base_url(...); mint codes with "
          "POST /sandbox/login_code; Ctrl-C stops.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0
