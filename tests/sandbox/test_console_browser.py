"""The console page in a real headless Chromium (Debian's, driven by chromedriver through
selenium): it loads from the sandbox, shows the app and the calls, sends a push to a real
message server and shows the reply, and refuses a bad fault with the reason.

Set WXCORE_CONSOLE_SCREENSHOT=docs/img/sandbox-console.png to refresh the docs' picture.
"""

from __future__ import annotations

import base64
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sandboxkit import AES_KEY, TOKEN, Control, LiveMessageServer

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxServer, WeChatSandbox
from wxcore.adapters.sandbox.core import SNAPSHOTS
from wxcore.messages import TextMessage
from wxcore.adapters.transport import Urllib3Transport

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1440,1000"]


def _missing_browser() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    return ", ".join(missing) or None


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    missing = _missing_browser()
    if missing:
        reason = os.environ.get("WXCORE_NO_CHROMIUM")
        if reason:  # tests/run.sh tried apt-get and could not install it
            pytest.skip(f"chromium could not be installed ({reason}); missing {missing}")
        pytest.fail(f"missing {missing}: tests/run.sh installs Debian's chromium and "
                    "chromium-driver (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    profile = tempfile.mkdtemp(prefix="wxcore-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


SECOND_APPID = "wx0a1b2c3d4e5f6071"

# What an Official Account sandbox keeps per app, in the shapes WeChat documents: the menu
# as menu/create takes it, followers as user/info gives them, tags as tags/get lists them.
OA_STATE = {
    "menu": {"button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
        {"name": "菜单", "sub_button": [
            {"type": "view", "name": "搜索", "url": "https://www.soso.com/"},
            {"type": "click", "name": "歌手简介", "key": "V1001_TODAY_SINGER"}]}]},
    "followers": [{"openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "nickname": "Band",
                   "tagid_list": [2]}],
    "tags": [{"id": 2, "name": "星标组", "count": 1}],
}


@pytest.fixture
def official_account_section() -> Iterator[None]:
    """Registers an Official Account snapshot for the test, restoring whatever was there."""
    before = SNAPSHOTS.get("official_account")
    SNAPSHOTS["official_account"] = lambda sb, appid: OA_STATE
    try:
        yield
    finally:
        if before is None:
            del SNAPSHOTS["official_account"]
        else:
            SNAPSHOTS["official_account"] = before


def test_console_sends_a_push_and_shows_the_reply(
        browser: WebDriver, official_account_section: None, served: SandboxServer, control: Control,
        message_server: LiveMessageServer, tmp_path: pathlib.Path) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver = browser
    wait = WebDriverWait(driver, 10, poll_frequency=0.05)

    # The page redraws its state once a second: an element found just before a redraw is
    # gone by the time it is read or clicked, so both look again until they succeed.
    def text_of(element_id: str) -> str:
        try:
            return str(driver.find_element(By.ID, element_id).text)
        except StaleElementReferenceException:
            return ""

    def click(by: str, selector: str) -> None:
        def attempt(_: object) -> bool:
            try:
                driver.find_element(by, selector).click()
                return True
            except StaleElementReferenceException:
                return False
        wait.until(attempt)

    # Two apps (a Mini Program and an Official Account, say); a back end under test has used
    # the first: a login, a phone number, a failed call.
    served.sandbox.add_app(SECOND_APPID, "second-app-secret-for-tests", name="Second App")
    mp = MiniProgram(WeChatSandbox.DEFAULT_APPID, WeChatSandbox.DEFAULT_SECRET,
                     transport=Urllib3Transport.for_base_url(served.base_url))
    session = mp.code2session(control.ok("/sandbox/login_code", {"user": "alice"})["code"])
    mp.get_phone_number(control.ok("/sandbox/phone_code")["code"])
    control.ok("/sandbox/fault", {"kind": "errcode", "errcode": 45009, "errmsg": "reach max api "
                                  "daily quota limit", "path": "/wxa/msg_sec_check"})
    with pytest.raises(Exception):
        mp.msg_sec_check(session.openid, "hello", scene=1)

    driver.get(served.base_url + "/")
    wait.until(lambda d: WeChatSandbox.DEFAULT_APPID in text_of("apps"))
    wait.until(lambda d: "/wxa/msg_sec_check" in text_of("log"))
    assert "45009" in text_of("log") and "/sns/jscode2session" in text_of("log")
    assert "stable" in text_of("apps") and "20 of 20 left today" in text_of("apps")
    page = driver.page_source
    assert WeChatSandbox.DEFAULT_SECRET not in page and session.session_key not in page

    # The log filters as you type; a row opens to its (redacted) query and bodies.
    driver.find_element(By.ID, "log-filter").send_keys("jscode")
    wait.until(lambda d: text_of("log-count").startswith("1 of "))
    click(By.CSS_SELECTOR, "#log tr.call")
    wait.until(lambda d: "secret=***" in text_of("log") and '"session_key":"***"' in text_of("log"))
    driver.find_element(By.ID, "log-filter").clear()
    click(By.ID, "log-errors")
    wait.until(lambda d: text_of("log-count").startswith("1 of ") and "45009" in text_of("log"))
    click(By.ID, "log-errors")

    # The message server, in safe mode, then a text message from a simulated user.
    driver.find_element(By.ID, "push-url").send_keys(message_server.url)
    driver.find_element(By.ID, "push-token").send_keys(TOKEN)
    Select(driver.find_element(By.ID, "push-mode")).select_by_value("safe")
    driver.find_element(By.ID, "push-aes").send_keys(AES_KEY)
    click(By.ID, "push-target-save")
    wait.until(lambda d: f"sending to {message_server.url} (safe" in text_of("target-view"))
    content = driver.find_element(By.ID, "push-content")
    content.clear()
    content.send_keys("hello from the console")
    click(By.ID, "push-send")
    wait.until(lambda d: "you said: hello from the console" in text_of("push-result"))
    assert "signature ok" in text_of("push-result") and "HTTP 200" in text_of("push-result")
    received = message_server.received[-1]
    assert isinstance(received, TextMessage) and received.Content == "hello from the console"

    # A fault from the form: a bad one is refused with the reason, a good one is listed.
    Select(driver.find_element(By.ID, "fault-kind")).select_by_value("slow")
    delay = driver.find_element(By.ID, "fault-delay")
    delay.clear()
    delay.send_keys("0")
    click(By.ID, "fault-inject")
    wait.until(lambda d: "a slow fault needs a delay" in text_of("fault-error"))
    Select(driver.find_element(By.ID, "fault-kind")).select_by_value("errcode")
    times = driver.find_element(By.ID, "fault-times")
    times.clear()
    times.send_keys("3")
    click(By.ID, "fault-inject")
    wait.until(lambda d: "errcode -1" in text_of("faults") and "3 left" in text_of("faults"))
    assert served.sandbox.faults[0].times == 3

    # The Official Account section draws the menu the OA routes keep; a tap is a CLICK push.
    wait.until(lambda d: "今日歌曲" in text_of("oa-state") and "歌手简介" in text_of("oa-state"))
    assert "none yet" in text_of("oa-state")  # no QR tickets yet
    click(By.XPATH, "//button[text()='今日歌曲']")
    wait.until(lambda d: "clicked V1001_TODAY_MUSIC" in text_of("push-result"))

    target = pathlib.Path(os.environ.get("WXCORE_CONSOLE_SCREENSHOT") or tmp_path / "console.png")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                  {"format": "png", "captureBeyondViewport": True})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Another app selected: the Mini Program section and its code buttons act for it.
    click(By.XPATH, "//button[text()='select']")
    wait.until(lambda d: text_of("mp-app") == SECOND_APPID)
    assert served.sandbox.apps[SECOND_APPID].original_id in text_of("apps")
    assert served.sandbox.default_app.original_id != served.sandbox.apps[SECOND_APPID].original_id
    click(By.ID, "mp-login")
    wait.until(lambda d: "open codes: 1 login" in text_of("mp-state"))
    code = driver.find_element(By.CSS_SELECTOR, "#mp-codes code").text  # added once, not redrawn
    assert served.sandbox.state["miniprogram"].login_codes[code].appid == SECOND_APPID

    # The secret shows only on request.
    click(By.CSS_SELECTOR, "#apps button.link")
    wait.until(lambda d: WeChatSandbox.DEFAULT_SECRET in text_of("apps"))
