"""The release artefacts: the sdist and wheel build, pass ``twine check``, and install cleanly.

Marked ``packaging``: it builds the sdist, then the wheel from the sdist (as users of the sdist
get it), with the build backend the test extra installs, and installs the wheel in a fresh
virtualenv, so it takes seconds and needs pip's cache or the package index. It runs in the
suite like every other test.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

import wxcore

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "build", "dist", "site",
                                    "*.egg-info", ".pytest_cache", ".mypy_cache")

pytestmark = pytest.mark.packaging


def run(*argv: str | pathlib.Path, cwd: pathlib.Path) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """``python -m build`` on a copy of the tree: the sdist, then the wheel built from it."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", work / "dist", source, cwd=work)
    return work / "dist"


def test_sdist_and_wheel_pass_twine_check(dist: pathlib.Path) -> None:
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert [w.name for w in wheels] == [f"wxcore-{wxcore.__version__}-py3-none-any.whl"]
    assert [s.name for s in sdists] == [f"wxcore-{wxcore.__version__}.tar.gz"]
    out = run(sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists, cwd=dist)
    assert out.count("PASSED") == 2


def test_the_artefacts_carry_the_license_and_the_typing_marker(dist: pathlib.Path) -> None:
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "wxcore/py.typed" in names and "wxcore/adapters/cli/__main__.py" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "adapters/")) for n in names)
    (sdist,) = dist.glob("*.tar.gz")
    members = tarfile.open(sdist).getnames()
    top = f"wxcore-{wxcore.__version__}"
    assert {f"{top}/LICENSE", f"{top}/README.md", f"{top}/adapters/client.py"} <= set(members)


def test_the_wheel_installs_and_imports_in_a_fresh_virtualenv(
        dist: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q",
        "--disable-pip-version-check", wheel, cwd=tmp_path)
    probe = ("import json, pathlib, importlib.metadata as md, wxcore, wxcore.adapters.cli\n"
             "from wxcore import MiniProgram\n"
             "print(json.dumps({'file': wxcore.adapters.__file__, 'version': wxcore.__version__,\n"
             "  'metadata': md.version('wxcore'), 'license': md.metadata('wxcore')['License-Expression'],\n"
             "  'typed': (pathlib.Path(wxcore.__file__).parent / 'py.typed').is_file()}))")
    found = json.loads(run(python, "-c", probe, cwd=tmp_path))
    assert pathlib.Path(found["file"]).is_relative_to(venv)
    assert found["version"] == found["metadata"] == wxcore.__version__
    assert found["license"] == "MIT" and found["typed"] is True
    assert run(venv / "bin" / "wxcore", "--version", cwd=tmp_path).strip() == \
        f"wxcore {wxcore.__version__}"


def test_type_checkers_see_the_real_types_of_the_top_level_names(
        dist: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (wheel,) = dist.glob("*.whl")
    target = tmp_path / "site"
    run(sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
        "--target", target, wheel, cwd=tmp_path)
    (tmp_path / "probe.py").write_text(
        "from wxcore import MiniProgram, APIError\n"
        "mp = MiniProgram('wx1234567890abcdef', 'secret')\n"
        "reveal_type(mp.code2session)\n"
        "reveal_type(APIError)\n"
        "mp.code2session(42)\n")
    # the suite's shared mypy cache: the installed modules match the source tree's by hash
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir",
                           str(ROOT / ".mypy_cache"), "probe.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MYPYPATH": str(target)})
    about_probe = [line for line in done.stdout.splitlines() if line.startswith("probe.py:")]
    assert len(about_probe) == 3, done.stdout
    assert "Code2SessionResult" in about_probe[0]
    assert "wxcore.errors.APIError" in about_probe[1]
    assert about_probe[2].startswith("probe.py:5: error: Argument 1")
    assert 'incompatible type "int"; expected "str"' in about_probe[2]
