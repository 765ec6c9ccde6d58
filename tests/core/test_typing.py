"""Typing is tested: the installed package (the core and ``wxcore.adapters``), the example
apps and the benchmarks pass ``mypy --strict`` for the oldest Python wxcore supports, the
tests pass mypy's default mode, and users' type checkers see the facade methods' real
parameter and result types (sync and async, from one declaration)."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra installs tomli on Python 3.10
    import tomli as tomllib

mypy_api = pytest.importorskip("mypy.api", reason="mypy is in the test extra")

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def package_tree(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """``wxcore`` as installed (the core with ``adapters/`` as ``wxcore.adapters``), as links.

    An editable install maps ``adapters/`` into ``wxcore.adapters`` with an import hook that
    type checkers cannot follow, so the checks read this tree of links instead.
    """
    tree = tmp_path_factory.mktemp("typing")
    package = tree / "wxcore"
    package.mkdir()
    for entry in (ROOT / "wxcore").iterdir():
        (package / entry.name).symlink_to(entry)
    (package / "adapters").symlink_to(ROOT / "adapters")
    return tree


def run_mypy(*args: str, path: pathlib.Path | str | None = None, strict: bool = True,
             cache: str = ".mypy_cache") -> tuple[str, int]:
    """mypy's output and status; ``cache``: a cache of its own for other options (mypy's
    cache holds one set of options, so strict and non-strict runs would undo each other's)."""
    env_path = os.environ.get("MYPYPATH")
    try:
        if path is not None:
            os.environ["MYPYPATH"] = str(path)
        stdout, stderr, status = mypy_api.run(
            [*(["--strict"] if strict else []), "--no-error-summary",
             "--cache-dir", str(ROOT / cache), *args])
    finally:
        if env_path is None:
            os.environ.pop("MYPYPATH", None)
        else:
            os.environ["MYPYPATH"] = env_path
    return stdout + stderr, status


def oldest_supported_python() -> str:
    """The ``X.Y`` of pyproject's ``requires-python = ">=X.Y"``."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    found = re.fullmatch(r">=\s*(\d+\.\d+)", requires)
    assert found, f"requires-python {requires!r} is not of the form >=X.Y"
    return found.group(1)


def test_the_installed_package_passes_mypy_strict(package_tree: pathlib.Path) -> None:
    """Every module of ``wxcore`` and ``wxcore.adapters`` (sandbox, cassettes, CLI, the pytest
    plugin) passes, checked as Python's oldest supported version sees the standard library.

    The config is an empty one: pyproject's override that forgives missing ``wxcore.adapters``
    modules (for runs from the source tree) must not hide a wrong import here.
    """
    config = package_tree / "mypy.ini"
    config.write_text("[mypy]\n")
    output, status = run_mypy("--config-file", str(config),
                              "--python-version", oldest_supported_python(), "-p", "wxcore",
                              path=package_tree)
    assert status == 0, output


def examples_config(django_projects: list[pathlib.Path]) -> str:
    """mypy's config for the examples and benchmarks: strict, except what Django and wechatpy
    (the benchmarks' peer) leave untyped.

    Django ships no types (django-stubs is a mypy plugin that needs a configured project), so
    what a Django project takes from it is Any: its base classes and decorators.
    """
    modules = sorted({name for project in django_projects for path in project.iterdir()
                      if path.suffix == ".py" or (path / "__init__.py").exists()
                      for name in ([path.stem] if path.suffix == ".py"
                                   else [path.name, f"{path.name}.*"])})
    return (f"[mypy]\nexplicit_package_bases = True\n"
            f"[mypy-django.*,wechatpy.*]\nignore_missing_imports = True\n"
            f"[mypy-{','.join(modules)}]\n"
            f"disallow_subclassing_any = False\ndisallow_untyped_decorators = False\n")


def test_the_example_apps_and_benchmarks_pass_mypy_strict(package_tree: pathlib.Path,
                                                          tmp_path: pathlib.Path) -> None:
    """Each folder of examples/ as its tests import it: Flask apps as ``<folder>.app`` from
    examples/, a Django project (it has a manage.py) from its own folder; and benchmarks/ as
    its scripts run, their folder and tests/ (the chaos proxy) on the path."""
    examples = ROOT / "examples"
    folders = sorted(path for path in examples.iterdir() if path.is_dir())
    assert folders, "no example apps found"
    django_projects = [folder for folder in folders if (folder / "manage.py").exists()]
    bases = [package_tree, examples, *django_projects, ROOT / "benchmarks", ROOT / "tests"]
    config = tmp_path / "mypy.ini"
    config.write_text(examples_config(django_projects))
    output, status = run_mypy("--config-file", str(config), "--follow-imports=silent",
                              "--python-version", oldest_supported_python(),
                              *map(str, folders), str(ROOT / "benchmarks"),
                              path=os.pathsep.join(map(str, bases)))
    assert status == 0, output


#: The folders of tests/ with test modules; each is checked with its own folder first on the
#: path, as pytest imports them (a folder's conftest and helper modules by their bare names).
TEST_FOLDERS = sorted({path.parent.relative_to(ROOT).as_posix()
                       for path in (ROOT / "tests").rglob("*.py")})


@pytest.mark.parametrize("folder", TEST_FOLDERS)
def test_the_tests_pass_mypy(package_tree: pathlib.Path, tmp_path: pathlib.Path,
                             folder: str) -> None:
    """The tests themselves type-check (mypy's default, non-strict mode: annotated functions
    are checked, unannotated fixtures are not), so a test cannot call an API with arguments
    its own signature refuses without saying so: calls wrong on purpose go through ``Any``
    or carry an ignore naming why. Checked on the Python running the tests."""
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nexplicit_package_bases = True\n"
                      "[mypy-django.*,wechatpy.*]\nignore_missing_imports = True\n")
    bases = [ROOT / folder, package_tree, ROOT / "tests", ROOT / "examples", ROOT / "benchmarks"]
    files = sorted(str(path) for path in (ROOT / folder).glob("*.py"))
    output, status = run_mypy("--config-file", str(config), "--follow-imports=silent", *files,
                              path=os.pathsep.join(map(str, bases)), strict=False,
                              cache=".mypy_cache/tests")
    assert status == 0, output


SNIPPET = '''
from typing import TypeVar
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.endpoint import Call
from wxcore.miniprogram.api import MiniProgramAPI

T = TypeVar("T")
mp = MiniProgram("wx1234567890abcdef", "secret")
reveal_type(mp.code2session("code"))                 # probe:code2session
reveal_type(mp.get_weekly_retain("20240311"))        # probe:weekly_retain
reveal_type(mp.ocr_bank_card(img="card.jpg"))        # probe:ocr
reveal_type(mp.generate_urllink(path="pages/a"))     # probe:urllink
mp.ai_crop(img_url="https://e.com/a.jpg", ratios=[1, 2])  # probe:int_ratios
mp.code2session(123)                                 # probe:wrong_type
mp.get_phone_number(cod="x")                         # probe:wrong_name
mp.get_daily_retain("20240311", today=None)          # probe:bound_today
MiniProgram("wx1", "s", token_api="plain")           # probe:client_option
reveal_type(mp.get_rid("61725984-6126f6f9"))         # probe:shared_operations
from wxcore.adapters.officialaccount import OfficialAccount
oa = OfficialAccount("wx1234567890abcdef", "secret")
reveal_type(oa.get_menu())                           # probe:oa_menu
oa.clear_quota("wx1234567890abcdef")                 # probe:oa_bound_appid


class AsyncMiniProgram(MiniProgramAPI):
    appid = "wx1234567890abcdef"

    def now(self) -> float:
        return 0.0

    async def call(self, call: Call[T]) -> T:
        raise NotImplementedError


async def main(amp: AsyncMiniProgram) -> None:
    reveal_type(await amp.code2session("code"))      # probe:async_await
    pending = amp.get_phone_number("code")
    reveal_type(pending)                             # probe:async_plain
    await pending
'''


def write_snippet(tmp_path: pathlib.Path) -> tuple[pathlib.Path, dict[str, int]]:
    """The snippet as ``user_code.py``, and the line number (from 1) of each probe."""
    snippet = tmp_path / "user_code.py"
    source = textwrap.dedent(SNIPPET).lstrip("\n")
    snippet.write_text(source)
    probes = {m.group(1): number for number, line in enumerate(source.splitlines(), 1)
              for m in [re.search(r"# probe:(\w+)", line)] if m}
    return snippet, probes


def test_users_type_checker_sees_the_builders_types(package_tree: pathlib.Path,
                                                    tmp_path: pathlib.Path) -> None:
    snippet, probes = write_snippet(tmp_path)
    output, _ = run_mypy("--follow-imports=silent", str(snippet), path=package_tree)
    said: dict[int, list[str]] = {}
    for m in re.finditer(r"user_code\.py:(\d+): (?:note|error): (.*)", output):
        said.setdefault(int(m.group(1)), []).append(m.group(2))

    def at(probe: str) -> str:
        """What mypy said on the probe's line: its revealed type if any, else its first error."""
        messages = said.get(probes[probe], [f"<nothing said> {output}"])
        revealed = [text for text in messages if text.startswith("Revealed type")]
        return (revealed or messages)[0]

    assert at("code2session") == 'Revealed type is "wxcore.miniprogram.login.Code2SessionResult"'
    assert at("weekly_retain") == 'Revealed type is "wxcore.miniprogram.analysis.RetainResult"'
    assert at("ocr") == 'Revealed type is "wxcore.miniprogram.images.BankCardResult"'
    assert at("urllink") == 'Revealed type is "wxcore.miniprogram.links.UrlLinkResult"'
    assert probes["int_ratios"] not in said, said[probes["int_ratios"]]  # ints are ratios too
    assert 'Argument 1 has incompatible type "int"; expected "str"' in at("wrong_type")
    assert 'Unexpected keyword argument "cod"' in at("wrong_name")
    assert 'Unexpected keyword argument "today"' in at("bound_today")  # not the user's to pass
    assert '"token_api"' in at("client_option") and "plain" in at("client_option")
    assert at("shared_operations") == 'Revealed type is "wxcore.officialaccount.operations.RidResult"'
    assert at("oa_menu") == 'Revealed type is "wxcore.officialaccount.menus.MenuResult"'
    assert "Too many arguments" in at("oa_bound_appid")  # the client supplies its appid
    assert at("async_await") == 'Revealed type is "wxcore.miniprogram.login.Code2SessionResult"'
    assert "Coroutine[Any, Any, wxcore.miniprogram.login.PhoneNumberResult]" in at("async_plain")


def test_pyright_in_strict_mode_sees_the_same_types(package_tree: pathlib.Path,
                                                     tmp_path: pathlib.Path) -> None:
    """Pyright (VS Code's checker) on the same snippet: the same types and errors, and nothing
    else said, in its strictest mode (no Unknown leaks out of wxcore into user code)."""
    snippet, probes = write_snippet(tmp_path)
    (tmp_path / "pyrightconfig.json").write_text(json.dumps({
        "extraPaths": [str(package_tree)], "pythonVersion": oldest_supported_python(),
        "typeCheckingMode": "strict"}))
    done = subprocess.run([str(pathlib.Path(sys.executable).with_name("pyright")), "--outputjson",
                           "--pythonpath", sys.executable, snippet.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.stdout.startswith("{"), done.stdout + done.stderr  # pyright ran (needs node)
    said: dict[int, list[tuple[str, str]]] = {}
    for found in json.loads(done.stdout)["generalDiagnostics"]:
        said.setdefault(found["range"]["start"]["line"] + 1, []).append(
            (found["severity"], found["message"]))

    def at(probe: str) -> str:
        return " | ".join(message for _, message in said.pop(probes[probe], []))

    for probe, result in [("code2session", "Code2SessionResult"), ("ocr", "BankCardResult"),
                          ("weekly_retain", "RetainResult"), ("urllink", "UrlLinkResult"),
                          ("shared_operations", "RidResult"), ("oa_menu", "MenuResult"),
                          ("async_await", "Code2SessionResult"),
                          ("async_plain", "Coroutine[Any, Any, PhoneNumberResult]")]:
        assert at(probe).endswith(f' is "{result}"'), (probe, done.stdout)
    assert 'parameter "js_code" of type "str"' in at("wrong_type")
    assert 'No parameter named "cod"' in at("wrong_name")
    assert 'No parameter named "today"' in at("bound_today")
    option = at("client_option")
    assert '"token_api"' in option and "plain" in option
    assert "Expected 0 positional arguments" in at("oa_bound_appid")
    assert said == {}  # nothing on any other line
