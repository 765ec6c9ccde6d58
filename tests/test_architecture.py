"""The split between the pure core and the adapters, checked on the source tree."""

from __future__ import annotations

import ast
import importlib
import pathlib
import pkgutil

import pytest

import wxcore
import wxcore.adapters

ROOT = pathlib.Path(__file__).resolve().parents[1]
FORBIDDEN_IMPORTS = {
    "urllib3", "tenacity", "requests", "httpx", "aiohttp", "socket", "ssl", "http.client",
    "http.server", "threading", "asyncio", "subprocess", "redis", "wxcore.adapters", "adapters",
}
FORBIDDEN_CALLS = {("time", "time"), ("time", "sleep"), ("time", "monotonic"),
                   ("os", "urandom"), ("secrets", "token_bytes"), ("secrets", "token_hex")}


def _violations(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS):
                found.append(f"{path.name}:{node.lineno} imports {name}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in FORBIDDEN_CALLS):
            found.append(f"{path.name}:{node.lineno} calls {node.func.value.id}.{node.func.attr}")
    return found


def test_core_modules_do_no_io_and_read_no_clock() -> None:
    modules = sorted((ROOT / "wxcore").rglob("*.py"))
    assert len(modules) > 5
    problems = [v for path in modules for v in _violations(path)]
    assert problems == []


def test_the_checker_catches_a_forbidden_import(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import urllib3\nimport time\nx = time.time()\n")
    assert len(_violations(bad)) == 2


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
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {"wxcore." + ".".join(p.parent.relative_to(ROOT / "wxcore").parts)
             for p in (ROOT / "wxcore").rglob("__init__.py")}
    found |= {"wxcore.adapters." + ".".join(p.parent.relative_to(ROOT / "adapters").parts)
              for p in (ROOT / "adapters").rglob("__init__.py")}
    found = {name.rstrip(".") for name in found}
    assert found == listed
