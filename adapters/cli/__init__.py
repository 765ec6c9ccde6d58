"""The ``wxcore`` command line: one module per subcommand group.

Each module listed in :data:`SUBCOMMANDS` exposes ``register(subparsers)``, which adds its
parser(s) and sets ``func`` (taking the parsed namespace, returning an exit code) as default.
Modules are imported only when the CLI runs, so a broken optional dependency in one
subcommand does not take down the others.

Mistakes a user makes and can fix (a busy port, a port out of range, a host name that does not
resolve, a bad argument caught by the core) end every command the same way, in :func:`main`:
one line on standard error naming the command and the cause, and a non-zero exit code. Any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import socket
import sys
from collections.abc import Sequence

from wxcore import __version__
from wxcore.errors import UsageError, WxError

#: Exit codes of failures :func:`main` reports in one line.
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# errno values of a socket that cannot listen where it was asked to.
_LISTEN_ERRNOS = {errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES}

SUBCOMMANDS: tuple[str, ...] = ("demo", "sandbox", "message", "token_server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wxcore", description="WeChat server-side SDK: tools, offline sandbox and demo."
    )
    parser.add_argument("--version", action="version", version=f"wxcore {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not shipped in this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (OSError, OverflowError, WxError) as exc:
        print(f"wxcore {args.command}: error: {describe_failure(exc, args)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILED


def describe_failure(exc: BaseException, args: argparse.Namespace) -> str:
    """One line saying what went wrong, with the address when a server could not listen."""
    if isinstance(exc, socket.gaierror):
        reason = f"cannot resolve the host name ({exc.strerror or exc})"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    else:
        reason = str(exc).rstrip(".") or type(exc).__name__
    listening = isinstance(exc, (socket.gaierror, OverflowError)) or (
        isinstance(exc, OSError) and exc.errno in _LISTEN_ERRNOS)
    host, port = getattr(args, "host", None), getattr(args, "port", None)
    if listening and host is not None and port is not None:
        return f"cannot listen on {host}:{port}: {reason}"
    return reason


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
