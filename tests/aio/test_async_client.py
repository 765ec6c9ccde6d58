"""AsyncClient and AsyncMiniProgram: the per-call policy driven with await, async token
providers (single-flight within the loop, a shared outcome), the I/O methods off the loop."""

from __future__ import annotations

import asyncio
import inspect
import pathlib
from collections.abc import Awaitable, Callable

import pytest
from support import FakeClock

from wxcore.errors import CredentialError, ReadTimeoutError, SystemBusyError
from wxcore.http import Request, Response
from wxcore.tokens import Token

from wxcore.adapters.async_miniprogram import AsyncMiniProgram
from wxcore.adapters.async_tokens import AsyncCachedTokenProvider
from wxcore.adapters.async_transport import AsyncTransport
from wxcore.adapters.deadline import deadline, time_left
from wxcore.adapters.retry import RetryPolicy
from wxcore.adapters.tokens import TokenWaitTimeout
from wxcore.adapters.sandbox import (
    AsyncSandboxTransport,
    Fault,
    SandboxServer,
    WeChatSandbox,
    phone_code,
)

STABLE = "/cgi-bin/stable_token"
PHONE = "/wxa/business/getuserphonenumber"
TICKET = "/cgi-bin/ticket/getticket"


def async_sleep(clock: FakeClock) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        await asyncio.sleep(0)

    return sleep


def in_memory(sandbox: WeChatSandbox, clock: FakeClock, secret: str | None = None,
              **kwargs: object) -> AsyncMiniProgram:
    app = sandbox.default_app
    sleep = async_sleep(clock)
    transport = AsyncSandboxTransport(sandbox, sleep=sleep, **kwargs)  # type: ignore[arg-type]
    return AsyncMiniProgram(app.appid, secret or app.secret, clock=clock, sleep=sleep,
                            transport=transport)


def test_declared_methods_are_coroutine_functions() -> None:
    assert inspect.iscoroutinefunction(AsyncMiniProgram.code2session)
    assert inspect.iscoroutinefunction(AsyncMiniProgram.ocr_bank_card)
    assert inspect.iscoroutinefunction(AsyncMiniProgram.get_temp_media)


def test_1000_tasks_on_a_cold_token_make_one_fetch_over_loopback(
        make_transport: Callable[..., AsyncTransport], sandbox_server: SandboxServer) -> None:
    sandbox = sandbox_server.sandbox
    app = sandbox.default_app

    async def main() -> set[str]:
        transport = make_transport(base_urls={"*": [sandbox_server.base_url]})
        async with AsyncMiniProgram(app.appid, app.secret, transport=transport) as mp:
            tokens = await asyncio.gather(*(mp.get_access_token() for _ in range(1000)))
            numbers = await asyncio.gather(*(
                mp.get_phone_number(phone_code(sandbox, f"1391234{i:04d}")) for i in range(20)))
        assert [n.phone_info.purePhoneNumber for n in numbers] == [
            f"1391234{i:04d}" for i in range(20)]
        return set(tokens)

    assert len(asyncio.run(main())) == 1
    assert sandbox.calls[STABLE] == 1 and sandbox.calls[PHONE] == 20


def test_the_waiters_of_a_failing_fetch_share_its_failure(sandbox: WeChatSandbox,
                                                          clock: FakeClock) -> None:
    async def main() -> list[BaseException]:
        mp = in_memory(sandbox, clock, secret="wrong-secret")
        outcomes = await asyncio.gather(*(mp.get_access_token() for _ in range(1000)),
                                        return_exceptions=True)
        return [o for o in outcomes if isinstance(o, BaseException)]

    failures = asyncio.run(main())
    assert len(failures) == 1000 and len({id(f) for f in failures}) == 1
    assert isinstance(failures[0], CredentialError) and failures[0].errcode == 40125
    assert "wrong-secret" not in str(failures[0])
    assert sandbox.calls[STABLE] == 1


def test_a_revoked_token_is_renewed_once_and_the_call_succeeds(sandbox: WeChatSandbox,
                                                               clock: FakeClock) -> None:
    async def main() -> str:
        mp = in_memory(sandbox, clock)
        await mp.get_access_token()
        sandbox.inject(Fault("revoke", path=PHONE))
        info = await mp.get_phone_number(phone_code(sandbox, "13912345678"))
        return info.phone_info.purePhoneNumber

    assert asyncio.run(main()) == "13912345678"
    assert sandbox.calls[STABLE] == 2 and sandbox.calls[PHONE] == 2


def test_a_fresh_token_is_at_hand_and_a_due_or_expired_one_is_awaited_and_renewed(
        sandbox: WeChatSandbox, clock: FakeClock) -> None:
    """The client uses the provider's ``peek`` (no await) only while the token is fresh;
    within the refresh margin, or expired, it awaits ``get``, which renews it."""
    async def phone() -> str:
        info = await mp.get_phone_number(phone_code(sandbox, "13912345678"))
        return info.phone_info.purePhoneNumber

    mp = in_memory(sandbox, clock)
    provider = mp.token_provider
    assert isinstance(provider, AsyncCachedTokenProvider)

    async def main() -> None:
        assert provider.peek() is None  # cold: nothing at hand
        assert await phone() == "13912345678"
        first = provider.peek()
        assert first is not None and first.value == await mp.get_access_token()
        assert await phone() == "13912345678" and sandbox.calls[STABLE] == 1
        clock.advance(first.remaining(clock()) - provider.margin / 2)  # due, still valid
        assert provider.peek() is None
        assert await phone() == "13912345678" and sandbox.calls[STABLE] == 2
        second = provider.peek()
        assert second is not None and second.value != first.value
        clock.advance(second.remaining(clock()) + 1)  # expired
        assert provider.peek() is None
        assert await phone() == "13912345678" and sandbox.calls[STABLE] == 3
        assert sandbox.calls[PHONE] == 4

    asyncio.run(main())


class SeesDeadline:
    """The sandbox's transport, noting the time left before the call's deadline each send."""

    def __init__(self, inner: AsyncSandboxTransport) -> None:
        self.inner = inner
        self.left: list[float | None] = []

    async def send(self, request: Request) -> Response:
        self.left.append(time_left())
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_every_send_of_a_call_runs_within_its_deadline_and_none_is_left_after(
        sandbox: WeChatSandbox, clock: FakeClock) -> None:
    app = sandbox.default_app
    transport = SeesDeadline(AsyncSandboxTransport(sandbox, sleep=async_sleep(clock)))

    async def main() -> None:
        mp = AsyncMiniProgram(app.appid, app.secret, clock=clock, sleep=async_sleep(clock),
                              transport=transport, retry=RetryPolicy(deadline=3.0))
        await mp.get_phone_number(phone_code(sandbox, "13912345678"))  # fetch, then the call
        assert time_left() is None
        with deadline(1.0):  # the caller's tighter deadline bounds the call's
            await mp.get_phone_number(phone_code(sandbox, "13912345678"))
        assert time_left() is None

    asyncio.run(main())
    fetch, first, second = transport.left
    assert fetch is not None and first is not None and 0 < first <= fetch <= 3.0
    assert second is not None and 0 < second <= 1.0


def test_busy_idempotent_calls_are_resent_with_async_pauses(sandbox: WeChatSandbox,
                                                            clock: FakeClock) -> None:
    async def main() -> None:
        mp = in_memory(sandbox, clock)
        sandbox.inject(Fault("errcode", times=2, path=TICKET))
        assert await mp.get_jsapi_ticket()
        assert sandbox.calls[TICKET] == 3 and clock.sleeps == [0.5, 1.0]
        await mp.ticket_provider("jsapi").invalidate(Token(value=await mp.get_jsapi_ticket()))
        sandbox.inject(Fault("errcode", times=5, path=TICKET))
        with pytest.raises(SystemBusyError):
            await mp.get_jsapi_ticket()
        assert sandbox.calls[TICKET] == 3 + 3

    asyncio.run(main())


def test_a_slow_sandbox_answer_times_out_after_the_read_timeout(sandbox: WeChatSandbox,
                                                                clock: FakeClock) -> None:
    async def main() -> None:
        mp = in_memory(sandbox, clock, read_timeout=2.0)
        await mp.get_access_token()
        sandbox.inject(Fault("slow", delay=5.0, path=TICKET, times=5))
        with pytest.raises(ReadTimeoutError):
            await mp.get_jsapi_ticket()

    asyncio.run(main())
    assert clock.sleeps[0] == 2.0  # one read timeout waited, then retried within bounds


def test_images_from_paths_and_downloads_to_paths(sandbox: WeChatSandbox, clock: FakeClock,
                                                  tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        mp = in_memory(sandbox, clock)
        original = (await mp.get_wxacode("pages/a")).content
        source = tmp_path / "code.png"
        source.write_bytes(original)
        media_id = (await mp.super_resolution(img=source)).media_id
        with source.open("rb") as handle:
            assert (await mp.ocr_printed_text(img=handle)).items[0].text
        target = tmp_path / "big.png"
        media = await mp.get_temp_media(media_id, target)
        assert media.content == original == target.read_bytes()

    asyncio.run(main())


def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch(clock: FakeClock) -> None:
    fetches: list[Token | None] = []
    release = asyncio.Event()

    async def fetch(rejected: Token | None) -> Token:
        fetches.append(rejected)
        await release.wait()
        return Token(value="T1", expires_at=clock() + 7200)

    async def main() -> str:
        provider = AsyncCachedTokenProvider(fetch, key="k", clock=clock)
        first = asyncio.ensure_future(provider.get())
        second = asyncio.ensure_future(provider.get())
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
        release.set()
        token = await second
        assert first.cancelled()
        return token.value

    assert asyncio.run(main()) == "T1" and fetches == [None]


def test_waiting_for_a_refresh_is_bounded(clock: FakeClock) -> None:
    async def fetch(rejected: Token | None) -> Token:
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    async def main() -> None:
        provider = AsyncCachedTokenProvider(fetch, key="k", clock=clock, wait_timeout=0.05)
        with pytest.raises(TokenWaitTimeout):
            await provider.get()

    asyncio.run(main())
