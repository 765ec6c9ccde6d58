"""Fixtures of the example apps' tests."""

from __future__ import annotations

import os
import pathlib
import sys
from collections.abc import Iterator

import pytest

from support import DJANGO_PUSH

from wxcore import SandboxServer, WeChatSandbox

DJANGO_EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "message_server_django"


@pytest.fixture
def wechat() -> Iterator[tuple[WeChatSandbox, str]]:
    """A sandbox served over loopback HTTP: (the sandbox, its base URL)."""
    sandbox = WeChatSandbox()
    with SandboxServer(sandbox) as server:
        yield sandbox, server.base_url


@pytest.fixture(scope="session")
def django_example() -> Iterator[None]:
    """examples/message_server_django set up as Django: its folder on sys.path, its settings
    read once (Django keeps them for the process) from an environment with the push
    settings ``support.DJANGO_PUSH``. Tests change the rest with ``django.test.override_settings``."""
    environment = {"DJANGO_SETTINGS_MODULE": "wechat_site.settings",
                   "WECHAT_TOKEN": DJANGO_PUSH.token, "WECHAT_APPID": str(DJANGO_PUSH.appid),
                   "WECHAT_AES_KEY": str(DJANGO_PUSH.encoding_aes_key)}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    sys.path.insert(0, str(DJANGO_EXAMPLE))
    try:
        import django

        django.setup()
        yield
    finally:
        sys.path.remove(str(DJANGO_EXAMPLE))
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
