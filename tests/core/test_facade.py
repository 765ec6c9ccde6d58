"""Facade methods derived from builders: signatures, docs, binders, and sync + async from one
declaration."""

from __future__ import annotations

import asyncio
import inspect
import pydoc
from datetime import date
from typing import Any, TypeVar

import pytest

from wxcore.endpoint import Call
from wxcore.errors import UsageError
from wxcore.facade import APPID, TODAY, FacadeMethod, china_date, deferred_module, lazy_method, method
from wxcore.miniprogram import analysis, images, login
from wxcore.miniprogram.api import MiniProgramAPI
from wxcore.policy import Invalidate, NeedCredential, Pause, Send, run_call

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.miniprogram import login_code

T = TypeVar("T")


def test_a_method_has_the_builders_parameters_minus_the_bound_one(mp: MiniProgram) -> None:
    assert str(inspect.signature(mp.code2session)) == "(js_code: str) -> " \
        "wxcore.miniprogram.login.Code2SessionResult"
    assert list(inspect.signature(mp.get_paid_unionid).parameters) == [
        "openid", "transaction_id", "mch_id", "out_trade_no"]
    retain = inspect.signature(mp.get_weekly_retain)
    assert list(retain.parameters) == ["begin_date", "end_date"]
    assert retain.return_annotation is analysis.RetainResult
    assert inspect.signature(mp.ocr_bank_card).return_annotation is images.BankCardResult


def test_help_shows_each_method_with_the_builders_docstring() -> None:
    assert MiniProgram.code2session.__doc__ == inspect.getdoc(login.code2session)
    text = pydoc.render_doc(MiniProgram, renderer=pydoc.plaintext)  # type: ignore[attr-defined]  # plain renderer, not in typeshed
    assert "code2session(self, /, js_code: str)" in text
    assert "Exchange the code from ``wx.login``" in text
    assert "get_daily_retain(self, /, begin_date" in text
    assert "Day-by-day retention" in text


def test_binders_supply_appid_and_china_today(mp: MiniProgram, sandbox: WeChatSandbox) -> None:
    session = mp.code2session(login_code(sandbox, "alice"))
    assert session.openid  # the appid came from the client: the sandbox accepted the code
    # The fake clock is 2023-11-14 22:13:20 UTC, already 2023-11-15 in China: a query for
    # 2023-11-14 is allowed, one for the 15th (today in China) is refused.
    assert china_date(mp.now()) == date(2023, 11, 15)
    assert mp.get_daily_retain("20231114").ref_date == "20231114"
    with pytest.raises(UsageError, match="not in the past"):
        mp.get_daily_retain("20231115")


def test_a_method_passes_arguments_through_unchanged() -> None:
    seen: list[Call[Any]] = []

    class Recorder(MiniProgramAPI):
        appid = "wxrecorder"

        def now(self) -> float:
            return 1_700_000_000.0

        def call(self, call: Call[T]) -> T:
            seen.append(call)
            return "sent"  # type: ignore[return-value]

    client = Recorder()
    assert client.get_phone_number("code-1", openid="o1") == "sent"
    assert client.code2session(js_code="code-2") == "sent"
    first, second = seen
    assert first.request.body == b'{"code":"code-1","openid":"o1"}'
    assert dict(second.request.query)["appid"] == "wxrecorder"
    assert dict(second.request.query)["js_code"] == "code-2"


class AsyncSandboxMiniProgram(MiniProgramAPI):
    """A minimal async executor of the per-call policy, to show one declaration serves both."""

    def __init__(self, sandbox: WeChatSandbox) -> None:
        app = sandbox.default_app
        self.appid = app.appid
        self._secret = app.secret
        self._sandbox = sandbox
        self._transport = SandboxTransport(sandbox)

    def now(self) -> float:
        return self._sandbox.clock()

    async def call(self, call: Call[T]) -> T:
        effects = run_call(call)
        answer: object = None
        try:
            while True:
                effect = effects.send(answer)
                await asyncio.sleep(0)  # yield to the loop between effects, as real I/O would
                if isinstance(effect, Send):
                    answer = self._transport.send(effect.request)
                elif isinstance(effect, NeedCredential):
                    assert effect.kind == "app_secret"
                    from wxcore.tokens import Token
                    answer = Token(value=self._secret)
                else:  # pragma: no cover - not reached by a code2session
                    assert isinstance(effect, (Invalidate, Pause))
                    answer = None
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def test_the_same_declaration_gives_an_async_facade(sandbox: WeChatSandbox) -> None:
    client = AsyncSandboxMiniProgram(sandbox)
    assert inspect.iscoroutinefunction(client.code2session)
    code = login_code(sandbox, "bob")
    session = asyncio.run(client.code2session(code))
    assert isinstance(session, login.Code2SessionResult)
    assert session.openid == sandbox.openid_for(client.appid, "bob")


def test_a_declaration_read_from_the_class_is_the_descriptor() -> None:
    declared = MiniProgramAPI.__dict__["get_weekly_retain"]
    assert isinstance(declared, FacadeMethod)
    assert declared.binder is TODAY
    assert "get_weekly_retain" in repr(declared) and "today bound" in repr(declared)
    assert method(login.get_phone_number).builder is login.get_phone_number


class _Recorder:
    """A client whose ``call`` hands back the call it was given."""

    appid = "wx1234567890abcdef"

    def now(self) -> float:
        return 1_700_000_000.0

    def call(self, call: Call[T], /) -> Call[T]:
        return call


def test_a_lazy_method_finds_its_builder_on_first_use_and_then_is_the_same_method() -> None:
    found: list[str] = []

    def find_builder() -> Any:
        found.append("code2session")
        return login.code2session

    class Facade(_Recorder):
        eager = method(login.code2session, APPID)
        lazy = lazy_method(find_builder, APPID)

    assert found == []  # declaring it looked nothing up
    assert inspect.signature(Facade.lazy) == inspect.signature(Facade.eager)
    assert Facade.lazy.__doc__ == Facade.eager.__doc__ and Facade.lazy.__name__ == "lazy"
    recorder: Any = Facade()  # its call hands back the Call: not a SyncCaller to mypy
    lazy_call, eager_call = recorder.lazy("CODE"), recorder.eager("CODE")
    assert (lazy_call.request, lazy_call.endpoint) == (eager_call.request, eager_call.endpoint)
    assert found == ["code2session"]  # looked up once, however often it is used
    another: Any = Facade()
    another.lazy("CODE")
    assert found == ["code2session"]
    assert isinstance(vars(Facade)["lazy"], FacadeMethod)  # declared here: left in place


def test_a_method_once_made_is_set_on_the_client_class_as_a_plain_function() -> None:
    class Sync(MiniProgramAPI, _Recorder):
        pass

    class Async(MiniProgramAPI, _Recorder):
        async def call(self, call: Call[T], /) -> Call[T]:  # type: ignore[override]
            return call

    assert "code2session" not in vars(Sync)
    client: Any = Sync()
    first = client.code2session("CODE")
    made = vars(Sync)["code2session"]
    assert inspect.isfunction(made) and not inspect.iscoroutinefunction(made)
    assert made.__qualname__.endswith("Sync.code2session")
    assert str(inspect.signature(client.code2session)).startswith("(js_code: str)")
    assert isinstance(MiniProgramAPI.__dict__["code2session"], FacadeMethod)  # the declaration
    assert client.code2session("CODE").request == first.request  # through the plain function
    assert Sync.code2session is made
    # the async client class gets its own, a coroutine function, from the same declaration
    async_client: Any = Async()
    assert inspect.iscoroutinefunction(async_client.code2session)
    assert inspect.iscoroutinefunction(vars(Async)["code2session"])
    assert asyncio.run(async_client.code2session("CODE")).request == first.request


def test_a_deferred_module_imports_on_first_attribute_access() -> None:
    deferred = deferred_module("wxcore.miniprogram.login")
    assert deferred.code2session is login.code2session
    assert "wxcore.miniprogram.login" in repr(deferred)
    with pytest.raises(ModuleNotFoundError):
        deferred_module("wxcore.no_such_module").anything  # noqa: B018
