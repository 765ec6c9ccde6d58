"""AsyncRemoteTokenProvider against the real token server over loopback HTTP: one request per
refresh however many tasks ask, a shared failure, the sync client's errors, no secret or
token in a repr or a message, and async clients that hold no app secret."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import pytest
from support import free_port
from token_helpers import CountingService

from wxcore.errors import TokenError, UsageError
from wxcore.tokens import Token

from wxcore.adapters.aiohttp_transport import AiohttpTransport
from wxcore.adapters.async_miniprogram import AsyncMiniProgram
from wxcore.adapters.async_officialaccount import AsyncOfficialAccount
from wxcore.adapters.async_token_remote import AsyncRemoteTokenProvider
from wxcore.adapters.client import Client
from wxcore.adapters.httpx_transport import HttpxAsyncTransport
from wxcore.adapters.sandbox import AsyncSandboxTransport, Fault, SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox import phone_code
from wxcore.adapters.token_server import RemoteTokenProvider, TokenServer, TokenService

SECRET = "s3cret-shared-by-the-fleet"
STABLE = "/cgi-bin/stable_token"
TICKET = "/cgi-bin/ticket/getticket"

TRANSPORTS: dict[str, Callable[..., AiohttpTransport | HttpxAsyncTransport]] = {
    "aiohttp": AiohttpTransport.for_base_url,
    "httpx": HttpxAsyncTransport.for_base_url,
}


@pytest.fixture
def served() -> Iterator[tuple[TokenServer, WeChatSandbox, CountingService]]:
    """A counting token server for the sandbox's app (the sandbox in-process, the service
    over loopback)."""
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    client = Client(app.appid, app.secret, transport=SandboxTransport(sandbox))
    service = CountingService(TokenService.for_clients([client]).providers)
    with TokenServer(service, SECRET, workers=4) as server:
        yield server, sandbox, service


@pytest.mark.parametrize("library", sorted(TRANSPORTS))
def test_1000_tasks_share_one_request_and_an_async_client_needs_no_app_secret(
        served: tuple[TokenServer, WeChatSandbox, CountingService], library: str) -> None:
    server, sandbox, service = served
    appid = sandbox.default_app.appid

    async def main() -> None:
        transport = TRANSPORTS[library](server.base_url, timeout=(2.0, 10.0))
        remote = AsyncRemoteTokenProvider(server.base_url, appid, secret=SECRET,
                                          transport=transport)
        async with transport, remote:  # a transport passed in is closed by its owner
            tokens = await asyncio.gather(*(remote.get() for _ in range(1000)))
            assert {t.value for t in tokens} == {tokens[0].value}
            assert service.asked == 1 and sandbox.calls[STABLE] == 1
            # The sync client of the same service gets the same token.
            assert RemoteTokenProvider(server.base_url, appid,
                                       secret=SECRET).get().value == tokens[0].value
            ticket = AsyncRemoteTokenProvider(server.base_url, appid, "jsapi_ticket",
                                              secret=SECRET)
            async with ticket:
                async with AsyncOfficialAccount(
                        appid, token_provider=remote, ticket_providers={"jsapi": ticket},
                        transport=AsyncSandboxTransport(sandbox)) as oa:
                    assert await oa.get_access_token() == tokens[0].value
                    config = await oa.jsapi_config("https://example.com/page", ["chooseImage"])
                    assert config["signature"] and sandbox.calls[TICKET] == 1
                async with AsyncMiniProgram(appid, token_provider=remote,
                                            transport=AsyncSandboxTransport(sandbox)) as mp:
                    result = await mp.get_phone_number(phone_code(sandbox, "13912345678"))
                    assert result.phone_info.purePhoneNumber == "13912345678"

    asyncio.run(main())


def test_a_rejected_token_is_renewed_once_for_async_and_sync_clients(
        served: tuple[TokenServer, WeChatSandbox, CountingService]) -> None:
    server, sandbox, _ = served
    appid = sandbox.default_app.appid
    sync = RemoteTokenProvider(server.base_url, appid, secret=SECRET)

    async def main() -> None:
        remotes = [AsyncRemoteTokenProvider(server.base_url, appid, secret=SECRET)
                   for _ in range(3)]
        old = await remotes[0].get()
        assert sync.get().value == old.value
        sandbox.revoke_tokens(appid)
        sandbox.calls.clear()
        for remote in remotes:  # every environment saw WeChat reject it
            await remote.invalidate(old)
        sync.invalidate(old)
        renewed = {(await r.get()).value for r in remotes} | {sync.get().value}
        assert len(renewed) == 1 and old.value not in renewed
        assert sandbox.calls[STABLE] == 1
        for remote in remotes:
            await remote.aclose()

    asyncio.run(main())


def test_tasks_share_one_failed_request_and_the_reason(
        served: tuple[TokenServer, WeChatSandbox, CountingService]) -> None:
    server, sandbox, service = served
    sandbox.inject(Fault("errcode", path=STABLE, errcode=40164, errmsg="invalid ip 10.0.0.9",
                         times=10))

    async def main() -> list[BaseException | Token]:
        async with AsyncRemoteTokenProvider(server.base_url, sandbox.default_app.appid,
                                            secret=SECRET) as remote:
            return await asyncio.gather(*(remote.get() for _ in range(200)),
                                        return_exceptions=True)

    outcomes = asyncio.run(main())
    assert all(isinstance(o, TokenError) for o in outcomes)
    assert len({str(o) for o in outcomes}) == 1 and "HTTP 502" in str(outcomes[0])
    assert "40164" in str(outcomes[0]) and service.asked == 1


def test_failures_are_explained_without_the_secret_or_the_token(
        served: tuple[TokenServer, WeChatSandbox, CountingService]) -> None:
    server, sandbox, _ = served
    appid = sandbox.default_app.appid

    async def main() -> None:
        async with AsyncRemoteTokenProvider(server.base_url, appid,
                                            secret="not-the-right-secret!") as wrong:
            with pytest.raises(TokenError, match="refused the client secret") as refused:
                await wrong.get()
            assert "not-the-right-secret!" not in str(refused.value) + repr(wrong)
        async with AsyncRemoteTokenProvider(f"http://127.0.0.1:{free_port()}", "wx1",
                                            secret=SECRET) as down:
            with pytest.raises(TokenError, match="is unreachable .*wxcore token-server") as gone:
                await down.get()
            assert SECRET not in str(gone.value) and SECRET not in repr(down)
            await down.invalidate(Token(value="81_x"))  # best effort: logs, does not raise
        with socket.socket() as listener:  # accepts connections, never answers
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            async with AsyncRemoteTokenProvider(
                    f"http://127.0.0.1:{listener.getsockname()[1]}", "wx1", secret=SECRET,
                    timeout=(1.0, 0.2)) as silent:
                with pytest.raises(TokenError, match="did not answer within 0.2s"):
                    await silent.get()
        async with AsyncRemoteTokenProvider(server.base_url, appid, secret=SECRET) as remote:
            token = await remote.get()
            assert token.value not in repr(remote) and token.value not in repr(token)
            assert SECRET not in repr(remote)

    asyncio.run(main())


def test_bad_arguments_fail_at_once() -> None:
    with pytest.raises(UsageError, match="unknown token kind"):
        AsyncRemoteTokenProvider("http://x", "wx1", "nope", secret=SECRET)
    with pytest.raises(UsageError, match="client secret"):
        AsyncRemoteTokenProvider("http://x", "wx1", secret="")
    with pytest.raises(UsageError, match="timeouts must be positive"):
        AsyncRemoteTokenProvider("http://x", "wx1", secret=SECRET, timeout=0)
