"""The ``wxcore`` command line: one module per subcommand group.

Each module listed in :data:`SUBCOMMANDS` exposes ``register(subparsers)``, which adds its
parser(s) and sets ``func`` (taking the parsed namespace, returning an exit code) as default.
Modules are imported only when the CLI runs, so a broken optional dependency in one
subcommand does not take down the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS: tuple[str, ...] = ("demo", "sandbox", "message", "token_server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wxcore", description="WeChat server-side SDK: tools, offline sandbox and demo."
    )
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
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
