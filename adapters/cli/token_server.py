"""``wxcore token-server``: run the central token service (see :mod:`wxcore.adapters.token_server`).

Secrets never go on the command line (where ``ps`` and shell history show them):

* the shared secret comes from the environment variable named by ``--secret-env``
  (default ``WXCORE_TOKEN_SERVER_SECRET``);
* each ``--app APPID`` takes its app secret from ``WXCORE_APP_SECRET_<APPID>``;
* ``--config FILE`` (JSON) lists apps as ``{"apps": {"<appid>": "<secret>"}}`` or
  ``{"apps": {"<appid>": {"secret_env": "NAME", "token_api": "stable"}}}``;
* ``--redis`` defaults to ``WXCORE_REDIS_URL``, so a password in the URL can stay out of argv.

``--sandbox`` serves the offline sandbox's app instead of WeChat: a demo with no account
(a random shared secret is printed when none is set).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from dataclasses import dataclass
from typing import Any

SECRET_ENV = "WXCORE_TOKEN_SERVER_SECRET"
APP_SECRET_ENV = "WXCORE_APP_SECRET_"
REDIS_ENV = "WXCORE_REDIS_URL"
DEFAULT_PORT = 8760


class ConfigError(Exception):
    """The command line or config file does not describe a servable setup."""


@dataclass
class AppConfig:
    appid: str
    secret: str
    token_api: str = "stable"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "token-server",
        help="serve fresh access tokens and tickets to other environments over HTTP",
        description="Run the central token service: one place refreshes each app's tokens "
                    "and hands them to every environment that presents the shared secret.",
    )
    parser.add_argument("--app", action="append", default=[], metavar="APPID",
                        help=f"serve this app; its secret is read from {APP_SECRET_ENV}<APPID>")
    parser.add_argument("--config", metavar="FILE",
                        help='JSON file: {"apps": {"<appid>": "<secret>" | {"secret_env": ...}}}')
    parser.add_argument("--secret-env", default=SECRET_ENV, metavar="NAME",
                        help=f"environment variable holding the shared secret (default {SECRET_ENV})")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--redis", metavar="URL", default=None,
                        help=f"keep tokens in this Redis (default: ${REDIS_ENV} if set, else memory)")
    parser.add_argument("--token-api", choices=("stable", "token"), default="stable",
                        help="stable: cgi-bin/stable_token (default); token: cgi-bin/token")
    parser.add_argument("--api-base", metavar="URL", default=None,
                        help="send WeChat API requests to this base URL instead of WeChat's "
                             "hosts (a `wxcore sandbox` server, an egress gateway)")
    parser.add_argument("--sandbox", action="store_true",
                        help="serve the offline sandbox's app instead of WeChat (demo)")
    parser.set_defaults(func=run)


def load_apps(args: argparse.Namespace, env: dict[str, str]) -> list[AppConfig]:
    """The apps named by ``--app`` and ``--config``, with their secrets."""
    apps: dict[str, AppConfig] = {}
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as fh:
                data: Any = json.load(fh)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read config file {args.config}: {exc}") from None
        entries = data.get("apps") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise ConfigError(f'{args.config}: expected {{"apps": {{"<appid>": ...}}}}')
        for appid, entry in entries.items():
            if isinstance(entry, str):
                entry = {"secret": entry}
            if not isinstance(entry, dict):
                raise ConfigError(f"{args.config}: app {appid}: expected a secret or an object")
            secret = entry.get("secret") or env.get(entry.get("secret_env") or "", "")
            if not secret:
                raise ConfigError(f"{args.config}: app {appid} has no secret (set 'secret' or "
                                  f"'secret_env' naming a set environment variable)")
            apps[appid] = AppConfig(appid, secret, entry.get("token_api", args.token_api))
    for appid in args.app:
        secret = env.get(APP_SECRET_ENV + appid, "")
        if not secret:
            raise ConfigError(f"no secret for app {appid}: set {APP_SECRET_ENV}{appid}")
        apps[appid] = AppConfig(appid, secret, args.token_api)
    for app in apps.values():
        if app.token_api not in ("stable", "token"):
            raise ConfigError(f"app {app.appid}: token_api must be 'stable' or 'token'")
    return list(apps.values())


def build(args: argparse.Namespace, env: dict[str, str] | None = None) -> tuple[Any, list[Any]]:
    """The :class:`TokenServer` the arguments describe and what to close after it."""
    closers: list[Any] = []
    try:
        return _build(args, dict(os.environ) if env is None else env, closers)
    except BaseException:
        close_all(closers)
        raise


def close_all(closers: list[Any]) -> None:
    for closer in closers:
        (getattr(closer, "stop", None) or closer.close)()


def _build(args: argparse.Namespace, env: dict[str, str],
           closers: list[Any]) -> tuple[Any, list[Any]]:
    from wxcore.adapters.client import Client
    from wxcore.adapters.token_server import MIN_SECRET_LENGTH, TokenServer, TokenService
    from wxcore.adapters.transport import Urllib3Transport

    apps = load_apps(args, env)
    shared = env.get(args.secret_env, "")
    transport_base: str | None = args.api_base
    if args.sandbox:
        from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox

        sandbox = WeChatSandbox()
        for app in apps:
            sandbox.add_app(app.appid, app.secret)
        if not apps:
            default = sandbox.default_app
            apps = [AppConfig(default.appid, default.secret, args.token_api)]
        sandbox_server = SandboxServer(sandbox).start()
        closers.append(sandbox_server)
        transport_base = sandbox_server.base_url
        if not shared:
            shared = secrets.token_urlsafe(24)
            print(f"sandbox demo: no ${args.secret_env} set, using the shared secret {shared}",
                  file=sys.stderr)
    if not apps:
        raise ConfigError("no apps to serve: give --app APPID (secret in "
                          f"{APP_SECRET_ENV}<APPID>) or --config FILE")
    if len(shared) < MIN_SECRET_LENGTH:
        raise ConfigError(f"set ${args.secret_env} to a shared secret of at least "
                          f"{MIN_SECRET_LENGTH} characters; no token is served without one")
    store = None
    redis_url = args.redis or env.get(REDIS_ENV)
    if redis_url:
        from wxcore.adapters.stores.redis import RedisTokenStore

        from wxcore.errors import TokenError

        store = RedisTokenStore(redis_url)
        try:
            store.load("wxcore:token-server:startup-check")
        except TokenError as exc:
            raise ConfigError(str(exc)) from None
    clients = []
    for app in apps:
        transport = (Urllib3Transport.for_base_url(transport_base) if transport_base
                     else Urllib3Transport())
        client = Client(app.appid, app.secret, transport=transport, token_store=store,
                        token_api=app.token_api)  # type: ignore[arg-type]
        clients.append(client)
        closers.insert(0, client)
    server = TokenServer(TokenService.for_clients(clients), shared, args.host, args.port)
    return server, closers


def run(args: argparse.Namespace) -> int:
    try:
        server, closers = build(args)
    except ConfigError as exc:
        print(f"wxcore token-server: {exc}", file=sys.stderr)
        return 2
    where = "Redis" if (args.redis or os.environ.get(REDIS_ENV)) else "process memory"
    print(f"wxcore token-server: serving {', '.join(server.service.apps())} on "
          f"{server.base_url} (tokens kept in {where}); Ctrl-C stops", file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        close_all(closers)
    return 0
