"""wxcore's pytest plugin, registered through the ``pytest11`` entry point.

Installing wxcore is enough: every pytest run gets the ``wx_cassette`` fixture and marker,
which give a test clients that replay a recorded cassette (see ``docs/testing.md``)::

    @pytest.mark.wx_cassette("miniprogram/login")
    def test_login(wx_cassette: CassetteSession) -> None:
        mp = wx_cassette.client(MiniProgram)
        assert my_app.login(mp, wx_cassette.value("js_code", ...)).openid

``--wx-record=MODE`` picks vcrpy's record modes: ``none`` (the default: replay only),
``once`` (record cassettes that do not exist yet), ``new_episodes`` (record the requests a
cassette lacks) and ``all`` (record everything again; unchanged exchanges keep their bytes).
``--wx-record-target`` says what recording talks to: ``sandbox`` (the default, an
in-process WeChat sandbox) or ``live`` (WeChat, with the app in ``WXCORE_APPID`` and
``WXCORE_SECRET``). ``--wx-record=sandbox`` and ``--wx-record=live`` are short for mode
``all`` against that target. The marker's ``record=`` sets a test's mode when the command
line does not. Cassettes live in ``wx_cassette_dir`` (ini option, relative to the rootdir),
by default a ``cassettes`` folder beside each test file; the marker's ``dir=`` or an
overridden ``wx_cassette_dir`` fixture can say otherwise.

This module imports nothing of wxcore at start-up, so it costs test runs that do not use it
nothing.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import pytest

if TYPE_CHECKING:
    from pluggy import Result

    from wxcore.adapters.async_client import AsyncClient
    from wxcore.adapters.async_transport import AsyncTransport
    from wxcore.adapters.cassette import (
        AsyncCassetteTransport,
        CassetteTransport,
        RecordingTransport,
        RecordMode,
        ReplayTransport,
    )
    from wxcore.adapters.client import Client
    from wxcore.adapters.sandbox import WeChatSandbox
    from wxcore.adapters.transport import Transport

__all__ = ["CassetteSession", "WxCassetteWarning", "RECORD_MODES", "RECORD_ALIASES", "TARGETS"]

#: The record modes (the same as ``wxcore.adapters.cassette.RECORD_MODES``, spelled out
#: here so that loading the plugin imports nothing).
RECORD_MODES: tuple[RecordMode, ...] = ("none", "once", "new_episodes", "all")
Target = Literal["sandbox", "live"]
TARGETS: tuple[Target, ...] = ("sandbox", "live")
#: ``--wx-record`` values kept from before record modes: (mode, target).
RECORD_ALIASES: dict[str, tuple[RecordMode, Target]] = {
    "sandbox": ("all", "sandbox"), "live": ("all", "live")}
UNUSED_POLICIES = ("fail", "warn", "ignore")
APPID_ENV = "WXCORE_APPID"
SECRET_ENV = "WXCORE_SECRET"
_MARKER_OPTIONS = {"name", "dir", "order", "repeat", "unused", "redact_phone_numbers", "tokens",
                   "record"}

C = TypeVar("C", bound="Client")
A = TypeVar("A", bound="AsyncClient")
T = TypeVar("T")


class WxCassetteWarning(UserWarning):
    """A cassette was not fully used (with ``wx_unused_exchanges = warn``)."""


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_RECORDED = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wxcore", "wxcore recorded WeChat traffic")
    group.addoption(
        "--wx-record",
        dest="wx_record",
        default=None,
        choices=(*RECORD_MODES, *RECORD_ALIASES),
        metavar="{none,once,new_episodes,all,sandbox,live}",
        help="record mode for tests using the wx_cassette fixture: 'none' replays only "
        "(the default, unless a marker says record=...), 'once' records missing cassettes, "
        "'new_episodes' records the requests a cassette lacks, 'all' records everything "
        "again; 'sandbox' and 'live' mean 'all' against that --wx-record-target",
    )
    group.addoption(
        "--wx-record-target",
        dest="wx_record_target",
        default="sandbox",
        choices=TARGETS,
        help="what recording talks to: 'sandbox' (default, an in-process WeChat sandbox) or "
        f"'live' (WeChat, with the app in {APPID_ENV}/{SECRET_ENV})",
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
        "tokens='static', redact_phone_numbers=False, record=None): the cassette the "
        "wx_cassette fixture replays (or records, by record mode)",
    )
    config.stash[_RECORDED] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None],
                              ) -> Generator[None, Result[pytest.TestReport], None]:
    """Keep each phase's report on the item, so the fixture knows whether the test passed."""
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(_REPORTS, {})[report.when] = report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recorded = config.stash.get(_RECORDED, [])
    if recorded:
        terminalreporter.write_sep("-", f"wxcore: {len(recorded)} cassette(s) recorded")
        for line in recorded:
            terminalreporter.write_line(line)


class CassetteSession:
    """What the ``wx_cassette`` fixture gives a test: clients on the cassette, and values.

    * :meth:`client` -- a client (or facade) on the cassette: replaying it, or recording
      through it when the record mode says so; an ``AsyncClient`` class (``AsyncMiniProgram``,
      ``AsyncOfficialAccount``...) gets an async client on the same cassette
      (:attr:`async_transport`);
    * :meth:`value` -- a test input made once when recording (a login code minted in the
      sandbox, say) and read back from the cassette when replaying;
    * :attr:`mode` -- where answers come from in this run: ``"replay"`` (the file only),
      ``"sandbox"`` (recording against an in-process sandbox) or ``"live"`` (recording
      against WeChat); :attr:`sandbox` is that sandbox, and None in the other two, so code
      that mints inputs in it must say what to do live (the type makes it);
    * :attr:`replay` -- the :class:`~wxcore.adapters.cassette.ReplayTransport` answering
      (None when nothing is replayed), typed as such for ``replay.assert_all_used()``;
    * :attr:`transport` -- the :class:`~wxcore.adapters.cassette.CassetteTransport` behind
      the clients; :attr:`record_mode` its mode.

    Annotate the fixture as ``wx_cassette: CassetteSession`` so a type checker sees this.
    """

    def __init__(
        self,
        *,
        name: str,
        path: Path,
        record_mode: RecordMode = "none",
        target: Target = "sandbox",
        order: Literal["strict", "any"] = "strict",
        repeat: bool = False,
        tokens: Literal["static", "fetch"] = "static",
        redact_phone_numbers: bool = False,
    ) -> None:
        from wxcore.adapters.cassette import CassetteError, CassetteFormatError, CassetteTransport

        self.name = name
        self.path = path
        self.record_mode: RecordMode = record_mode
        self.tokens: Literal["static", "fetch"] = tokens
        self.sandbox: WeChatSandbox | None = None
        self._async: AsyncCassetteTransport | None = None
        self._appid = ""
        self._secret = ""
        try:
            self.transport = CassetteTransport(
                path, record_mode, lambda: self._connect(target), order=order, repeat=repeat,
                name=name, save_on_close=False, redact_phone_numbers=redact_phone_numbers)
        except CassetteFormatError as exc:
            raise pytest.fail.Exception(f"CassetteFormatError: {exc}", pytrace=False) from None
        except CassetteError:
            raise pytest.fail.Exception(
                f"{path}: no such cassette; record it with --wx-record=sandbox (or "
                "--wx-record=once, --wx-record=live), or write it by hand (see "
                "docs/testing.md)", pytrace=False) from None
        self.mode: Literal["replay", "sandbox", "live"] = (
            target if self.transport.recording else "replay")
        recorder = self.transport.recorder
        if recorder is not None:
            recorder.appid = self._appid
            recorder.secrets.append(self._secret)

    def _connect(self, target: Target) -> Transport:
        """The transport recording goes through (called only when this run records)."""
        if target == "sandbox":
            from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox

            self.sandbox = WeChatSandbox()
            app = self.sandbox.default_app
            self._appid, self._secret = app.appid, app.secret
            return SandboxTransport(self.sandbox)
        from wxcore.adapters.transport import Urllib3Transport

        self._appid = os.environ.get(APPID_ENV, "")
        self._secret = os.environ.get(SECRET_ENV, "")
        if not (self._appid and self._secret):
            raise pytest.fail.Exception(
                f"--wx-record=live needs the app's credentials in {APPID_ENV} and "
                f"{SECRET_ENV}", pytrace=False)
        return Urllib3Transport()

    @property
    def recording(self) -> bool:
        return self.transport.recording

    @property
    def replay(self) -> ReplayTransport | None:
        return self.transport.replay

    @property
    def recorder(self) -> RecordingTransport | None:
        return self.transport.recorder

    @overload
    def client(self, cls: None = None, **kwargs: Any) -> Client: ...

    @overload
    def client(self, cls: type[C], **kwargs: Any) -> C: ...

    @overload
    def client(self, cls: type[A], **kwargs: Any) -> A: ...

    def client(self, cls: type[Any] | None = None, **kwargs: Any) -> Any:
        """A ``cls`` (default :class:`~wxcore.adapters.client.Client`) on this cassette.

        Replaying, it has dummy credentials and a fixed access token (or, with the marker's
        ``tokens="fetch"``, fetches its token through the cassette). Recording, it uses the
        sandbox's app or the live one; with ``tokens="static"`` its token is fetched off the
        record, so the cassette holds only the calls the test makes. An ``AsyncClient``
        class is made on :attr:`async_transport` the same way.
        """
        from wxcore.adapters.async_client import AsyncClient
        from wxcore.adapters.client import Client

        klass: type[Any] = cls if cls is not None else Client
        if issubclass(klass, AsyncClient):
            return self._async_client(klass, **kwargs)
        recorder = self.transport.recorder
        if recorder is None:
            from wxcore.adapters.cassette import replay_client

            assert self.transport.replay is not None
            return replay_client(klass, self.transport.replay, tokens=self.tokens, **kwargs)
        if self.tokens == "static" and "token_provider" not in kwargs:
            # Fetch the token outside the recording: replay uses a fixed token instead.
            helper = Client(self._appid, self._secret, transport=recorder.inner, retry=None)
            kwargs["token_provider"] = helper.token_provider
        kwargs.setdefault("retry", None)
        return klass(self._appid, self._secret, transport=self.transport, **kwargs)

    @property
    def async_transport(self) -> AsyncCassetteTransport:
        """This cassette as an async transport (what async clients of :meth:`client` use):
        recording goes through an ``AsyncSandboxTransport`` on :attr:`sandbox`, or live
        through the default async transport (close the client, ``await client.aclose()``)."""
        if self._async is None:
            from wxcore.adapters.cassette import AsyncCassetteTransport

            self._async = AsyncCassetteTransport(self.transport, inner=self._async_inner)
        return self._async

    def _async_inner(self) -> AsyncTransport:
        if self.sandbox is not None:
            from wxcore.adapters.sandbox import AsyncSandboxTransport

            return AsyncSandboxTransport(self.sandbox)
        from wxcore.adapters.async_transport import default_async_transport

        return default_async_transport()

    def _async_client(self, klass: type[A], **kwargs: Any) -> A:
        transport = self.async_transport
        if self.transport.recorder is None:
            from wxcore.adapters.cassette import async_replay_client

            return async_replay_client(klass, transport, tokens=self.tokens, **kwargs)
        if self.tokens == "static" and "token_provider" not in kwargs:
            from wxcore.adapters.async_client import AsyncClient

            helper = AsyncClient(self._appid, self._secret, transport=transport.inner(),
                                 retry=None)
            kwargs["token_provider"] = helper.token_provider
        kwargs.setdefault("retry", None)
        return klass(self._appid, self._secret, transport=transport, **kwargs)

    def value(self, name: str, make: Callable[[], T]) -> T:
        """``make()`` when recording (saved in the cassette's ``values``), else the saved one.

        ``make`` runs only when recording, in :attr:`mode` ``"sandbox"`` or ``"live"``:
        mint the value in :attr:`sandbox` when there is one, and say where a live value
        comes from when there is not (see docs/testing.md).
        """
        from wxcore.adapters.cassette import CassetteError

        try:
            return self.transport.value(name, make)
        except CassetteError:
            raise pytest.fail.Exception(
                f"{self.path}: the cassette has no recorded value {name!r}; re-record it with "
                "--wx-record", pytrace=False) from None

    def __repr__(self) -> str:
        return f"CassetteSession({self.name!r}, {self.record_mode}, {self.mode})"


def _record_mode(config: pytest.Config, marked: object) -> tuple[RecordMode, Target]:
    """This test's (record mode, target): ``--wx-record`` wins over the marker's
    ``record=``, which wins over the default ``none``."""
    target: Target = config.getoption("wx_record_target")
    given = config.getoption("wx_record")
    if given in RECORD_ALIASES:
        return RECORD_ALIASES[given]
    chosen = given or marked or "none"
    for mode in RECORD_MODES:
        if chosen == mode:
            return mode, target
    raise pytest.UsageError(f"wx_cassette record= must be one of {', '.join(RECORD_MODES)}, "
                            f"not {chosen!r}")


def _save(session: CassetteSession, passed: bool, summary: list[str]) -> None:
    """Save a recording test's cassette if it passed, and say so in the terminal summary."""
    transport = session.transport
    try:
        if not passed:
            summary.append(f"{session.path}: NOT saved, the test did not pass")
        elif transport.save():
            merged = transport.cassette()
            count = len(merged.interactions) if merged is not None else 0
            summary.append(f"{session.path} ({count} exchanges)")
        else:
            summary.append(f"{session.path}: unchanged")
    finally:
        transport.discard()
        transport.close()


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
    record_mode, target = _record_mode(request.config, options.get("record"))
    session = CassetteSession(
        name=str(name), path=path, record_mode=record_mode, target=target,
        order=options.get("order", "strict"), repeat=bool(options.get("repeat", False)),
        tokens=options.get("tokens", "static"),
        redact_phone_numbers=bool(options.get("redact_phone_numbers", False)),
    )
    yield session
    reports = request.node.stash.get(_REPORTS, {})
    passed = "call" in reports and reports["call"].passed
    if session.recording:
        _save(session, passed, request.config.stash.get(_RECORDED, []))
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
