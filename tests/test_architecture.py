"""The split between the pure core and the adapters, checked on the source tree."""

from __future__ import annotations

import ast
import importlib
import pathlib
import pkgutil
import sys

import pytest

import wxcore
import wxcore.adapters

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra installs tomli on Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
FORBIDDEN_IMPORTS = {
    "urllib3", "tenacity", "requests", "httpx", "aiohttp", "socket", "ssl", "http.client",
    "http.server", "urllib.request", "threading", "asyncio", "subprocess", "multiprocessing",
    "concurrent", "select", "selectors", "signal", "sched", "redis", "random", "secrets",
    "io", "pathlib", "shutil", "tempfile", "wxcore.adapters", "adapters",
}
#: Callables that read the clock, draw randomness or do I/O, by their full dotted name.
FORBIDDEN_NAMES = {
    "time.time", "time.time_ns", "time.sleep", "time.monotonic", "time.monotonic_ns",
    "time.perf_counter", "time.perf_counter_ns", "time.process_time", "time.thread_time",
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
    "datetime.date.today", "datetime.now", "datetime.utcnow", "date.today",
    "os.urandom", "os.getrandom", "os.open", "os.system", "os.popen", "os.environ",
    "os.getenv", "uuid.uuid1", "uuid.uuid4", "open", "io.open", "builtins.open", "print",
    "input", "builtins.print", "builtins.input",
}
#: Functions that read the clock only when called without arguments (``time.gmtime()``).
CLOCK_WITHOUT_ARGS = {"time.gmtime", "time.localtime", "time.ctime", "time.asctime",
                      "time.strftime"}


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> full dotted name, from every import in the module."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    names[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _violations_in(source: str, name: str = "<snippet>") -> list[str]:
    """Every import, reference or call in ``source`` that breaks the core's purity rules.

    Names are resolved through the module's imports, so ``from time import time``,
    ``import time as t; t.time()`` and ``datetime.now()`` after ``from datetime import
    datetime`` are caught as well as the plain spellings; so is passing ``time.time``
    along uncalled (as a default argument, say).
    """
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found = []

    def resolve(dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        full = aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            found += [f"{name}:{node.lineno} imports {node.module}.{alias.name}"
                      for alias in node.names if f"{node.module}.{alias.name}" in FORBIDDEN_NAMES]
        for module in modules:
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN_IMPORTS):
                found.append(f"{name}:{getattr(node, 'lineno', '?')} imports {module}")
        if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(node.ctx, ast.Load):
            dotted = _dotted(node)
            if dotted is not None and dotted not in aliases and resolve(dotted) in FORBIDDEN_NAMES:
                found.append(f"{name}:{node.lineno} uses {resolve(dotted)}")
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            dotted = _dotted(node.func)
            if dotted is not None and resolve(dotted) in CLOCK_WITHOUT_ARGS:
                found.append(f"{name}:{node.lineno} reads the clock with {resolve(dotted)}()")
    return found


def _violations(path: pathlib.Path) -> list[str]:
    return _violations_in(path.read_text(encoding="utf-8"), path.name)


def test_core_modules_do_no_io_and_read_no_clock() -> None:
    modules = sorted((ROOT / "wxcore").rglob("*.py"))
    assert len(modules) > 5
    problems = [v for path in modules for v in _violations(path)]
    assert problems == []


@pytest.mark.parametrize("snippet", [
    "import urllib3",
    "import time\nx = time.time()",
    "from time import time",
    "from time import monotonic as clock",
    "import time as t\nx = t.time()",
    "import time as t\ndef f(clock=t.time): pass",
    "import time\nx = time.gmtime()",
    "import random\nx = random.random()",
    "from random import random",
    "import secrets",
    "import os\nx = os.urandom(16)",
    "import os as system\nx = system.environ['X']",
    "import uuid\nx = uuid.uuid4()",
    "import datetime\nx = datetime.datetime.now()",
    "from datetime import datetime\nx = datetime.now()",
    "from datetime import datetime as dt\nx = dt.utcnow()",
    "from datetime import date\nx = date.today()",
    "datetime.now()",
    "x = open('f').read()",
    "import io\nx = io.open('f')",
    "import builtins\nx = builtins.open('f')",
    "print('debug')",
    "import pathlib",
    "import threading",
])
def test_the_checker_catches_impure_code(snippet: str) -> None:
    assert _violations_in(snippet), snippet


def test_the_checker_leaves_pure_code_alone() -> None:
    pure = """
import hashlib
import time as clockless  # importing time is fine; reading the clock is not
from datetime import datetime, timezone, timedelta
from typing import Any

def day(now: float) -> str:
    stamp = datetime.fromtimestamp(now, timezone(timedelta(hours=8)))
    return stamp.strftime('%Y%m%d') + hashlib.sha1(b'x').hexdigest()

def parse(text: str) -> Any:
    return datetime.strptime(text, '%Y%m%d')

class Reader:
    def open(self) -> None: ...

def use(reader: Reader, gm: Any) -> None:
    reader.open()
    gm.gmtime()
    clockless.gmtime(0)
"""
    assert _violations_in(pure) == []


def test_not_even_type_only_imports_of_the_adapters_in_the_core() -> None:
    # The lazily offered top-level names are typed by wxcore/__init__.pyi instead.
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import wxcore.adapters\n"
    assert _violations_in(source) == ["<snippet>:3 imports wxcore.adapters"]


def test_adapters_never_import_the_bare_top_level_name() -> None:
    offenders = []
    for path in sorted((ROOT / "adapters").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                offenders += [f"{path}:{node.lineno}" for a in node.names
                              if a.name == "adapters" or a.name.startswith("adapters.")]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                    node.module == "adapters" or node.module.startswith("adapters.")):
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


def test_adapters_is_installed_as_a_subpackage() -> None:
    assert wxcore.adapters.__name__ == "wxcore.adapters"
    assert pathlib.Path(wxcore.adapters.__file__).parent == ROOT / "adapters"
    assert (pathlib.Path(wxcore.__file__).parent / "py.typed").exists()


def test_every_module_imports() -> None:
    names = [m.name for pkg in (wxcore, wxcore.adapters)
             for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
             if not m.name.endswith("__main__")]
    assert "wxcore.adapters.client" in names
    for name in names:
        importlib.import_module(name)


def test_every_package_directory_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {"wxcore." + ".".join(p.parent.relative_to(ROOT / "wxcore").parts)
             for p in (ROOT / "wxcore").rglob("__init__.py")}
    found |= {"wxcore.adapters." + ".".join(p.parent.relative_to(ROOT / "adapters").parts)
              for p in (ROOT / "adapters").rglob("__init__.py")}
    found = {name.rstrip(".") for name in found}
    assert found == listed


def test_test_modules_import_shared_helpers_by_name_not_through_tests() -> None:
    """``tests/`` is not a package: ``from tests.x import`` works only under ``python -m
    pytest`` (cwd on sys.path) and loads conftest twice. Helpers such as ``support`` and
    ``netkit`` are on the configured pythonpath: ``from support import FakeClock``."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}" for name in names
                          if name == "tests" or name.startswith("tests.")]
    assert offenders == []
    assert not (ROOT / "tests" / "__init__.py").exists()


def test_sources_and_docs_cite_wechat_by_url_not_files_outside_the_repository() -> None:
    """The project's docs and docstrings cite WeChat's documentation pages by URL; a file of
    notes kept outside the repository means nothing to a reader of the package."""
    marker = "api-" + "reference.md"
    files = [p for pattern in ("*.py", "*.md") for p in ROOT.rglob(pattern)
             if not {".venv", ".git", "site", "build"} & set(p.relative_to(ROOT).parts)]
    assert len(files) > 50
    assert [str(p.relative_to(ROOT)) for p in files if marker in p.read_text("utf-8")] == []
