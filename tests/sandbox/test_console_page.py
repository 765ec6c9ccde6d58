"""The console's files as the sandbox serves them, from the ``wxcore sandbox`` command."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import urllib3

from wxcore.adapters.cli import main
from wxcore.adapters.sandbox import WeChatSandbox


def test_the_cli_serves_the_console_at_its_root() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "wxcore.adapters.cli", "sandbox", "--port", "0",
                             "--app", "wx0a1b2c3d4e5f6071=oa-secret-for-tests"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().split()[-1]
        lines = [proc.stdout.readline() for _ in range(4)]
        assert any(f"console {base_url}/" in line for line in lines)
        apps = urllib3.request("GET", base_url + "/sandbox/state").json()["apps"]
        assert [a["appid"] for a in apps] == [WeChatSandbox.DEFAULT_APPID, "wx0a1b2c3d4e5f6071"]
        assert "oa-secret-for-tests" not in str(apps) and "oa-secret-for-tests" not in str(lines)
        page = urllib3.request("GET", base_url + "/")
        assert page.status == 200 and page.headers["content-type"].startswith("text/html")
        html = page.data.decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith("/sandbox/console/") or a == "data:," for a in assets)
        types = {"js": "text/javascript", "css": "text/css"}
        for asset in (a for a in assets if a.startswith("/")):
            answer = urllib3.request("GET", base_url + asset)
            assert answer.status == 200
            assert answer.headers["content-type"].startswith(types[asset.rsplit(".", 1)[-1]])
            assert b"http://" not in answer.data and b"https://" not in answer.data  # no CDN
        # the console's own files are not WeChat calls: the API log stays empty
        assert urllib3.request("GET", base_url + "/sandbox/log").json() == {"calls": []}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_malformed_app_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sandbox", "--app", "wx_no_secret"])
    assert "expected APPID=SECRET, got 'wx_no_secret'" in capsys.readouterr().err
