"""wxcore's pytest plugin, registered through the ``pytest11`` entry point.

Installing wxcore is enough: every pytest run gets the ``wx_cassette`` fixture and marker,
which give a test clients that replay a recorded cassette (see ``docs/testing.md``)::

    @pytest.mark.wx_cassette("miniprogram/login")
    def test_login(wx_cassette):
        mp = wx_cassette.client(MiniProgram)
        assert my_app.login(mp, wx_cassette.value("js_code", ...)).openid

``--wx-record=sandbox`` re-records those cassettes against an in-process WeChat sandbox,
``--wx-record=live`` against WeChat itself with the app in ``WXCORE_APPID`` and
``WXCORE_SECRET``. Cassettes live in ``wx_cassette_dir`` (ini option, relative to the
rootdir), by default a ``cassettes`` folder beside each test file; the marker's ``dir=``
or an overridden ``wx_cassette_dir`` fixture can say otherwise.

This module imports nothing of wxcore at start-up, so it costs test runs that do not use it
nothing.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from wxcore.adapters.cassette import RecordingTransport, ReplayTransport
    from wxcore.adapters.client import Client
    from wxcore.adapters.sandbox import WeChatSandbox

__all__ = ["CassetteSession", "WxCassetteWarning", "RECORD_MODES"]

RECORD_MODES = ("none", "sandbox", "live")
UNUSED_POLICIES = ("fail", "warn", "ignore")
APPID_ENV = "WXCORE_APPID"
SECRET_ENV = "WXCORE_SECRET"
_MARKER_OPTIONS = {"name", "dir", "order", "repeat", "unused", "redact_phone_numbers", "tokens"}

C = TypeVar("C", bound="Client")


class WxCassetteWarning(UserWarning):
    """A cassette was not fully used (with ``wx_unused_exchanges = warn``)."""


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_RECORDED = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wxcore", "wxcore recorded WeChat traffic")
    group.addoption(
        "--wx-record",
        dest="wx_record",
        default="none",
        choices=RECORD_MODES,
        metavar="{none,sandbox,live}",
        help="re-record the cassettes of tests using the wx_cassette fixture: 'sandbox' "
        "against an in-process WeChat sandbox, 'live' against WeChat with the app in "
        f"{APPID_ENV}/{SECRET_ENV}; default 'none' replays them",
    )
    parser.addini(
        "wx_cassette_dir",
        "folder of wxcore cassettes, relative to the rootdir "
        "(default: a 'cassettes' folder beside each test file)",
        default="",
    )
    parser.addini(
        "wx_unused_exchanges",
        "when a test leaves recorded exchanges unused: fail (default), warn or ignore",
        default="fail",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "wx_cassette(name=None, *, dir=None, order='strict', repeat=False, unused=None, "
        "tokens='static', redact_phone_numbers=False): the cassette the wx_cassette fixture "
        "replays (or records with --wx-record)",
    )
    config.stash[_RECORDED] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so the fixture knows whether the test passed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    item.stash.setdefault(_REPORTS, {})[report.when] = report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recorded = config.stash.get(_RECORDED, [])
    if recorded:
        terminalreporter.write_sep("-", f"wxcore: {len(recorded)} cassette(s) recorded")
        for line in recorded:
            terminalreporter.write_line(line)


class CassetteSession:
    """What the ``wx_cassette`` fixture gives a test: clients on the cassette, and values.

    * :meth:`client` -- a client (or facade) that replays the cassette, or records it
      with ``--wx-record``;
    * :meth:`value` -- a test input that is made once when recording (a login code minted in
      the sandbox, say) and read back from the cassette when replaying;
    * :attr:`sandbox` -- the sandbox being recorded against (``--wx-record=sandbox``), else
      None; :attr:`mode` -- ``"replay"``, ``"sandbox"`` or ``"live"``.
    """

    def __init__(
        self,
        *,
        name: str,
        path: Path,
        mode: str,
        order: str = "strict",
        repeat: bool = False,
        tokens: str = "static",
        redact_phone_numbers: bool = False,
    ) -> None:
        from wxcore.adapters.cassette import (
            CassetteFormatError,
            RecordingTransport,
            ReplayTransport,
            load_cassette,
        )

        self.name = name
        self.path = path
        self.mode = "replay" if mode == "none" else mode
        self.tokens = tokens
        self.sandbox: WeChatSandbox | None = None
        self.replay: ReplayTransport | None = None
        self.recorder: RecordingTransport | None = None
        self._inner: Any = None
        self._appid = ""
        self._secret = ""
        if self.mode == "replay":
            if not path.exists():
                raise pytest.fail.Exception(
                    f"{path}: no such cassette; record it with --wx-record=sandbox or "
                    "--wx-record=live, or write it by hand (see docs/testing.md)",
                    pytrace=False,
                )
            try:
                self.replay = ReplayTransport(path, order=order, repeat=repeat,  # type: ignore[arg-type]
                                              source=str(path))
            except CassetteFormatError as exc:
                raise pytest.fail.Exception(f"CassetteFormatError: {exc}", pytrace=False) from None
            return
        description = ""
        if path.exists():
            try:
                description = load_cassette(path).description
            except CassetteFormatError:
                pass
        if self.mode == "sandbox":
            from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox

            self.sandbox = WeChatSandbox()
            app = self.sandbox.default_app
            self._appid, self._secret = app.appid, app.secret
            self._inner = SandboxTransport(self.sandbox)
        else:
            from wxcore.adapters.transport import Urllib3Transport

            self._appid = os.environ.get(APPID_ENV, "")
            self._secret = os.environ.get(SECRET_ENV, "")
            if not (self._appid and self._secret):
                raise pytest.fail.Exception(
                    f"--wx-record=live needs the app's credentials in {APPID_ENV} and "
                    f"{SECRET_ENV}", pytrace=False)
            self._inner = Urllib3Transport()
        self.recorder = RecordingTransport(
            self._inner, name=name, description=description, appid=self._appid,
            redact_phone_numbers=redact_phone_numbers, secrets=[self._secret],
        )

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def client(self, cls: type[C] | None = None, **kwargs: Any) -> C:
        """A ``cls`` (default :class:`~wxcore.adapters.client.Client`) on this cassette.

        Replaying, it has dummy credentials and a fixed access token (or, with the marker's
        ``tokens="fetch"``, fetches its token through the cassette). Recording, it uses the
        sandbox's app or the live one; with ``tokens="static"`` its token is fetched off the
        record, so the cassette holds only the calls the test makes.
        """
        from wxcore.adapters.client import Client

        klass: type[Any] = cls if cls is not None else Client
        if self.replay is not None:
            from wxcore.adapters.cassette import replay_client

            return replay_client(klass, self.replay, tokens=self.tokens, **kwargs)  # type: ignore[arg-type,no-any-return]
        if self.tokens == "static" and "token_provider" not in kwargs:
            # Fetch the token outside the recording: replay uses a fixed token instead.
            helper = Client(self._appid, self._secret, transport=self._inner, retry=None)
            kwargs["token_provider"] = helper.token_provider
        kwargs.setdefault("retry", None)
        return klass(self._appid, self._secret, transport=self.recorder, **kwargs)  # type: ignore[no-any-return]

    def value(self, name: str, make: Callable[[], Any]) -> Any:
        """``make()`` when recording (saved in the cassette's ``values``), else the saved one."""
        if self.recorder is not None:
            made = make()
            self.recorder.values[name] = made
            return made
        assert self.replay is not None
        values = self.replay.cassette.values
        if not isinstance(values, dict) or name not in values:
            raise pytest.fail.Exception(
                f"{self.path}: the cassette has no recorded value {name!r}; re-record it with "
                "--wx-record", pytrace=False)
        return values[name]

    def __repr__(self) -> str:
        return f"CassetteSession({self.name!r}, {self.mode})"


def _default_name(item: pytest.Item) -> str:
    module = Path(str(item.path)).stem
    return f"{module}/{re.sub(r'[^A-Za-z0-9_.-]+', '_', item.name).strip('_')}"


@pytest.fixture
def wx_cassette_dir(request: pytest.FixtureRequest) -> Path:
    """Where cassettes live: the ``wx_cassette_dir`` ini option (relative to the rootdir),
    else ``cassettes`` beside the test file. Override this fixture to choose another."""
    configured = request.config.getini("wx_cassette_dir")
    if configured:
        return Path(request.config.rootpath, str(configured))
    return Path(str(request.path)).parent / "cassettes"


@pytest.fixture
def wx_cassette(request: pytest.FixtureRequest, wx_cassette_dir: Path) -> Iterator[CassetteSession]:
    """Clients replaying (or, with ``--wx-record``, recording) this test's cassette.

    The cassette is named by ``@pytest.mark.wx_cassette("group/scenario")`` (default:
    ``<test module>/<test name>``) and read from ``<dir>/<name>.json``. After the test, an
    exchange it never made fails it (ini ``wx_unused_exchanges``, marker ``unused=``), and
    so does a replay mismatch that the code under test caught and swallowed.
    """
    marker = request.node.get_closest_marker("wx_cassette")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    unknown = set(options) - _MARKER_OPTIONS
    if unknown:
        raise pytest.UsageError(f"wx_cassette marker: unknown option(s) {sorted(unknown)}")
    name = (marker.args[0] if marker and marker.args else options.get("name")) or _default_name(
        request.node)
    directory = wx_cassette_dir
    if options.get("dir"):
        directory = Path(request.config.rootpath, str(options["dir"]))
    unused = options.get("unused") or request.config.getini("wx_unused_exchanges") or "fail"
    if unused not in UNUSED_POLICIES:
        raise pytest.UsageError(f"wx_cassette unused= must be one of {UNUSED_POLICIES}, "
                                f"not {unused!r}")
    path = directory / f"{name}.json"
    session = CassetteSession(
        name=str(name), path=path, mode=request.config.getoption("wx_record"),
        order=options.get("order", "strict"), repeat=bool(options.get("repeat", False)),
        tokens=options.get("tokens", "static"),
        redact_phone_numbers=bool(options.get("redact_phone_numbers", False)),
    )
    yield session
    reports = request.node.stash.get(_REPORTS, {})
    passed = "call" in reports and reports["call"].passed
    if session.recorder is not None:
        recorded = request.config.stash.get(_RECORDED, [])
        if passed:
            session.recorder.save(path)
            recorded.append(f"{path} ({len(session.recorder)} exchanges)")
        else:
            recorded.append(f"{path}: NOT saved, the test did not pass")
        return
    replay = session.replay
    if replay is None or not passed:
        return
    if replay.mismatches:
        pytest.fail(f"the code under test caught a cassette mismatch:\n{replay.mismatches[0]}",
                    pytrace=False)
    report = replay.report_unused()
    if report and unused == "fail":
        pytest.fail(report, pytrace=False)
    if report and unused == "warn":
        warnings.warn(WxCassetteWarning(report), stacklevel=1)
