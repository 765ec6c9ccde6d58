"""The documentation site builds with ``mkdocs build --strict``: a broken link, a navigation
entry without its page or an API reference to a name that does not exist fails the suite."""

from __future__ import annotations

import os
import re
import pathlib
import subprocess
import sys

import yaml  # type: ignore[import-untyped]  # PyYAML, from mkdocs (the docs extra), ships no types

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHINESE_PAGES = {"index.md", "tokens.md", "messages.md", "testing.md", "miniprogram.md",
                 "performance.md"}


def nav_files(entries: list[object]) -> list[str]:
    files: list[str] = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        files += nav_files(value) if isinstance(value, list) else [str(value)]
    return files


def build_site(site: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def test_the_site_builds_strictly(tmp_path: pathlib.Path) -> None:
    done = build_site(tmp_path / "site")
    if done.returncode != 0 and "Could not collect 'wxcore.adapters" in done.stdout + done.stderr:
        # Seen now and then in full suite runs on a loaded machine, never in a build on its
        # own (cause not found yet): build once more before judging, and say so.
        print("first build could not collect wxcore.adapters; building once more")
        done = build_site(tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    reference = (tmp_path / "site" / "reference" / "miniprogram" / "index.html").read_text("utf-8")
    assert "code2session" in reference and "Code2SessionResult" in reference
    assert (tmp_path / "site" / "zh" / "tokens" / "index.html").is_file()


def test_the_navigation_lists_the_guides_and_their_chinese_pages() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=yaml.BaseLoader)
    listed = set(nav_files(config["nav"]))
    assert {"tokens.md", "messages.md", "testing.md", "miniprogram.md", "migrating.md"} <= listed
    assert {f"zh/{name}" for name in CHINESE_PAGES} <= listed
    assert all((ROOT / "docs" / page).is_file() for page in listed)


FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
WXCORE_IMPORT = re.compile(r"^\s*(from wxcore[\w.]* import [\w, ]+|import wxcore[\w.]*)\s*(#.*)?$")


def test_every_wxcore_import_in_the_docs_and_readme_works() -> None:
    """A renamed or moved name fails here instead of in a reader's first try."""
    pages = [ROOT / "README.md", ROOT / "examples" / "README.md",
             *sorted((ROOT / "docs").rglob("*.md"))]
    imports = {(page.relative_to(ROOT), match[1])
               for page in pages for block in FENCE.findall(page.read_text("utf-8"))
               for match in map(WXCORE_IMPORT.match, block.splitlines()) if match}
    assert len(imports) > 30
    broken = []
    for page, statement in sorted(imports):
        try:
            exec(statement, {})  # noqa: S102 - the docs' own import lines
        except ImportError as exc:
            broken.append(f"{page}: {statement}: {exc}")
    assert broken == []
