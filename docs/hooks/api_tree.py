"""MkDocs hook: let mkdocstrings read ``wxcore.adapters`` from the source tree.

setuptools installs ``adapters/`` as ``wxcore.adapters`` (package-dir); an editable install
resolves that with an import hook, which static readers such as griffe cannot follow. This hook
lays out the package as installed (a copy in ``build/api-tree/wxcore/`` with ``adapters``
inside; links would not do, griffe follows them back to the source tree) before mkdocstrings
collects anything; ``mkdocs.yml`` points its ``paths`` there.
"""

from __future__ import annotations

import pathlib
import shutil
import sys
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[2]
TREE = ROOT / "build" / "api-tree"


def on_config(config: Any) -> Any:
    package = TREE / "wxcore"
    if TREE.exists():
        shutil.rmtree(TREE)
    sources = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "wxcore", package, ignore=sources)
    shutil.copytree(ROOT / "adapters", package / "adapters", ignore=sources)
    # First on sys.path too, so that no search of the collector finds the editable install's
    # ``wxcore`` (which has no ``adapters`` folder) before this tree.
    if str(TREE) not in sys.path:
        sys.path.insert(0, str(TREE))
    return config
