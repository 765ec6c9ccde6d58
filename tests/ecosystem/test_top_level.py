"""The top-level names: ``from wxcore import MiniProgram`` works, ``import wxcore`` stays cheap."""

from __future__ import annotations

import ast
import importlib
import json
import pathlib
import subprocess
import sys

import pytest

import wxcore

INIT = pathlib.Path(wxcore.__file__)
IO_MODULES = ("urllib3", "tenacity", "redis", "socket", "ssl", "wxcore.adapters")


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def test_import_wxcore_alone_loads_no_io_library() -> None:
    loaded = json.loads(_python(
        "import sys, json, wxcore\n"
        f"print(json.dumps([m for m in sys.modules if m.split('.')[0] in {IO_MODULES!r}\n"
        f"                  or m.startswith('wxcore.adapters')]))"))
    assert loaded == []


def test_a_top_level_name_loads_its_module_on_first_use() -> None:
    out = _python("import sys, wxcore\n"
                  "before = 'wxcore.adapters.miniprogram' in sys.modules\n"
                  "from wxcore import MiniProgram\n"
                  "print(before, MiniProgram.__module__)")
    assert out.split() == ["False", "wxcore.adapters.miniprogram"]


# What the quick start's import leaves for later: urllib3 (with ssl and http.client) until
# the first transport is made, tenacity until a retry is needed, the push parser until a
# push is parsed, each builder module until one of its methods is used.
DEFERRED = ("urllib3", "ssl", "http.client", "tenacity", "wxcore.messages",
            "wxcore.miniprogram.login", "wxcore.officialaccount.operations")
QUICK_START_STEPS = f"""
import json, sys
from wxcore.errors import ConnectError
from wxcore.http import Response
def loaded():
    return sorted(m for m in {DEFERRED!r} if m in sys.modules)
steps = {{}}
from wxcore.adapters.miniprogram import MiniProgram
steps["import"] = loaded()
mp = MiniProgram("wx1234567890abcdef", "appsecret")
steps["client"] = loaded()
class FlakyOnce:  # refuses the first connection, then answers as WeChat does
    def __init__(self):
        self.sent = 0
    def send(self, request):
        self.sent += 1
        if self.sent == 1:
            raise ConnectError("connection refused")
        return Response(status=200, headers={{}},
                        body=b'{{"errcode": 0, "errmsg": "ok", "ip_list": ["1.2.3.4"]}}')
    def close(self):
        pass
answered = MiniProgram("wx1234567890abcdef", transport=FlakyOnce(), sleep=lambda s: None)
answered.set_access_token("ACCESS_TOKEN")
steps["other client"] = loaded()
assert answered.get_callback_ip().ip_list == ["1.2.3.4"]
steps["retried"] = loaded()
print(json.dumps(steps))
"""


def test_the_quick_start_import_defers_urllib3_tenacity_and_the_push_parser() -> None:
    steps = json.loads(_python(QUICK_START_STEPS))
    assert steps == {"import": [], "client": ["http.client", "ssl", "urllib3"],
                     "other client": ["http.client", "ssl", "urllib3"],
                     "retried": ["http.client", "ssl", "tenacity", "urllib3",
                                 "wxcore.officialaccount.operations"]}


#: name -> module of the lazy top-level names (the run-time table the stub's imports mirror)
LAZY_NAMES: dict[str, str] = vars(wxcore)["_LAZY_NAMES"]


@pytest.mark.parametrize("name", sorted(LAZY_NAMES))
def test_every_top_level_name_is_the_object_of_its_module(name: str) -> None:
    module = importlib.import_module(LAZY_NAMES[name])
    assert getattr(wxcore, name) is getattr(module, name)
    assert name in dir(wxcore) and name in wxcore.__all__


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'MiniProgramm'"):
        getattr(wxcore, "MiniProgramm")  # misspelt on purpose
    assert not hasattr(wxcore, "MiniProgramm")


def test_type_checkers_see_the_same_names_from_the_same_modules() -> None:
    tree = ast.parse(INIT.with_suffix(".pyi").read_text(encoding="utf-8"))
    imports = [(alias, node.module) for node in tree.body
               if isinstance(node, ast.ImportFrom) for alias in node.names]
    assert {alias.name: module for alias, module in imports} == LAZY_NAMES
    # "from m import X as X" marks X re-exported for mypy --strict (no implicit re-export)
    assert [alias.name for alias, _ in imports if alias.asname != alias.name] == []


def test_the_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert wxcore.__version__ == version("wxcore")
