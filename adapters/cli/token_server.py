"""``wxcore token-server``: run the central token service (see :mod:`wxcore.adapters.token_server`).

Secrets never go on the command line (where ``ps`` and shell history show them):

* client secrets (one per environment that may ask for tokens, each revocable by removing
  it): ``--client NAME`` reads ``WXCORE_TOKEN_CLIENT_<NAME>`` (upper case, ``-`` as ``_``),
  and the config file's ``{"clients": {"<name>": "<secret>" | {"secret_env": "VAR"}}}``;
  the older single shared secret in the variable named by ``--secret-env`` (default
  ``WXCORE_TOKEN_SERVER_SECRET``) still works, as the client named ``default``;
* each ``--app APPID`` takes its app secret from ``WXCORE_APP_SECRET_<APPID>``;
* ``--config FILE`` (JSON) lists apps as ``{"apps": {"<appid>": "<secret>"}}`` or
  ``{"apps": {"<appid>": {"secret_env": "NAME", "token_api": "stable"}}}``;
* ``--redis`` defaults to ``WXCORE_REDIS_URL``, so a password in the URL can stay out of argv.

``--sandbox`` serves the offline sandbox's app instead of WeChat: a demo with no account
(a random client secret is printed when none is set).

:func:`wsgi_app` builds the same service as a WSGI application for gunicorn or uwsgi:
``gunicorn -w 1 --threads 16 'wxcore.adapters.cli.token_server:wsgi_app("--config",
"/etc/wxcore/tokens.json")'``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

SECRET_ENV = "WXCORE_TOKEN_SERVER_SECRET"
CLIENT_SECRET_ENV = "WXCORE_TOKEN_CLIENT_"
APP_SECRET_ENV = "WXCORE_APP_SECRET_"
REDIS_ENV = "WXCORE_REDIS_URL"
DEFAULT_PORT = 8760


class ConfigError(Exception):
    """The command line or config file does not describe a servable setup."""


@dataclass
class AppConfig:
    appid: str
    secret: str
    token_api: Literal["stable", "token"] = "stable"


def _token_api(value: object, appid: str) -> Literal["stable", "token"]:
    if value == "stable":
        return "stable"
    if value == "token":
        return "token"
    raise ConfigError(f"app {appid}: token_api must be 'stable' or 'token'")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    parser.add_argument("--client", action="append", default=[], metavar="NAME",
                        help=f"accept this client; its secret is read from "
                             f"{CLIENT_SECRET_ENV}<NAME>")
    parser.add_argument("--secret-env", default=SECRET_ENV, metavar="NAME",
                        help=f"environment variable holding a single shared secret, accepted "
                             f"as client 'default' (default {SECRET_ENV})")
    parser.add_argument("--workers", type=int, default=16,
                        help="threads answering requests (default 16)")
    parser.add_argument("--socket-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="drop a connection idle this long mid-request (default 10)")
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


def _config(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--config`` file's JSON object (empty without one)."""
    if not args.config:
        return {}
    try:
        with open(args.config, encoding="utf-8") as fh:
            data: Any = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config file {args.config}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f'{args.config}: expected a JSON object like {{"apps": ...}}')
    return data


def _secret_of(entry: Any, env: Mapping[str, str], where: str) -> str:
    """A secret given inline (a string) or as ``{"secret": ...}`` / ``{"secret_env": ...}``."""
    if isinstance(entry, str):
        entry = {"secret": entry}
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a secret or an object")
    secret = entry.get("secret") or env.get(entry.get("secret_env") or "", "")
    if not secret:
        raise ConfigError(f"{where} has no secret (set 'secret' or 'secret_env' naming a set "
                          f"environment variable)")
    return str(secret)


def load_clients(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, str]:
    """The client secrets by name, from ``--client``, the config file and ``--secret-env``."""
    clients: dict[str, str] = {}
    shared = env.get(args.secret_env, "")
    if shared:
        clients["default"] = shared
    entries = _config(args).get("clients", {})
    if not isinstance(entries, dict):
        raise ConfigError(f'{args.config}: expected "clients": {{"<name>": ...}}')
    for name, entry in entries.items():
        clients[name] = _secret_of(entry, env, f"{args.config}: client {name}")
    for name in args.client:
        variable = CLIENT_SECRET_ENV + name.upper().replace("-", "_")
        if not env.get(variable):
            raise ConfigError(f"no secret for client {name}: set {variable}")
        clients[name] = env[variable]
    return clients


def load_apps(args: argparse.Namespace, env: Mapping[str, str]) -> list[AppConfig]:
    """The apps named by ``--app`` and ``--config``, with their secrets."""
    apps: dict[str, AppConfig] = {}
    if args.config:
        data = _config(args)
        entries = data.get("apps")
        if not isinstance(entries, dict):
            raise ConfigError(f'{args.config}: expected {{"apps": {{"<appid>": ...}}}}')
        for appid, entry in entries.items():
            secret = _secret_of(entry, env, f"{args.config}: app {appid}")
            token_api = entry.get("token_api", args.token_api) if isinstance(entry, dict) \
                else args.token_api
            apps[appid] = AppConfig(appid, secret, _token_api(token_api, appid))
    for appid in args.app:
        secret = env.get(APP_SECRET_ENV + appid, "")
        if not secret:
            raise ConfigError(f"no secret for app {appid}: set {APP_SECRET_ENV}{appid}")
        apps[appid] = AppConfig(appid, secret, _token_api(args.token_api, appid))
    return list(apps.values())


def build(args: argparse.Namespace, env: dict[str, str] | None = None) -> tuple[Any, list[Any]]:
    """The :class:`TokenServer` the arguments describe and what to close after it."""
    from wxcore.adapters.token_server import TokenServer

    closers: list[Any] = []
    try:
        app = build_app(args, dict(os.environ) if env is None else env, closers)
        server = TokenServer(app.service, app.clients, args.host, args.port,
                             workers=args.workers, socket_timeout=args.socket_timeout)
        return server, closers
    except BaseException:
        close_all(closers)
        raise


def wsgi_app(*argv: str, env: dict[str, str] | None = None) -> Any:
    """The token service as a WSGI application, configured like ``wxcore token-server``
    (``argv`` are its options, e.g. ``"--config", "/etc/wxcore/tokens.json"``).

    Every worker process builds its own service: give them one Redis (``--redis`` or
    ``WXCORE_REDIS_URL``) so they share tokens, or run one process with several threads.
    """
    from wxcore.adapters.cli import build_parser

    args = build_parser().parse_args(["token-server", *argv])
    closers: list[Any] = []
    try:
        return build_app(args, dict(os.environ) if env is None else env, closers)
    except ConfigError as exc:
        close_all(closers)
        raise SystemExit(f"wxcore token-server: {exc}") from None


def close_all(closers: list[Any]) -> None:
    for closer in closers:
        (getattr(closer, "stop", None) or closer.close)()


def build_app(args: argparse.Namespace, env: dict[str, str], closers: list[Any]) -> Any:
    """The :class:`TokenApp` the arguments describe; what to close is added to ``closers``."""
    from wxcore.adapters.client import Client
    from wxcore.adapters.token_server import MIN_SECRET_LENGTH, TokenApp, TokenService
    from wxcore.adapters.transport import Urllib3Transport

    apps = load_apps(args, env)
    clients = load_clients(args, env)
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
        if not clients:
            clients["default"] = secrets.token_urlsafe(24)
            print(f"sandbox demo: no client secret set, using the shared secret "
                  f"{clients['default']}", file=sys.stderr)
    if not apps:
        raise ConfigError("no apps to serve: give --app APPID (secret in "
                          f"{APP_SECRET_ENV}<APPID>) or --config FILE")
    if not clients:
        raise ConfigError(f"no client secrets: give --client NAME (secret in "
                          f"{CLIENT_SECRET_ENV}<NAME>), \"clients\" in --config, or set "
                          f"${args.secret_env}; no token is served without one")
    short = [name for name, secret in clients.items() if len(secret) < MIN_SECRET_LENGTH]
    if short:
        raise ConfigError(f"client secrets need at least {MIN_SECRET_LENGTH} characters "
                          f"(too short: {', '.join(sorted(short))}"
                          + (f", set in ${args.secret_env}" if "default" in short else "")
                          + "); no token is served without one")
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
    served = []
    for app in apps:
        transport = (Urllib3Transport.for_base_url(transport_base) if transport_base
                     else Urllib3Transport())
        client = Client(app.appid, app.secret, transport=transport, token_store=store,
                        token_api=app.token_api)
        served.append(client)
        closers.insert(0, client)
    return TokenApp(TokenService.for_clients(served), clients)


def run(args: argparse.Namespace) -> int:
    try:
        server, closers = build(args)
    except ConfigError as exc:
        print(f"wxcore token-server: {exc}", file=sys.stderr)
        return 2
    where = "Redis" if (args.redis or os.environ.get(REDIS_ENV)) else "process memory"
    print(f"wxcore token-server: serving {', '.join(server.service.apps())} to clients "
          f"{', '.join(server.clients.names)} on {server.base_url} (tokens kept in {where}); "
          f"Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        close_all(closers)
    return 0
