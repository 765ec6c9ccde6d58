"""The client and token providers against the in-process sandbox, on a fake clock."""

from __future__ import annotations

import threading
import time

import pytest
from netkit import Blackhole
from support import FakeClock
from token_helpers import HeldFetch, in_threads

from wxcore.errors import (
    ConnectError,
    CredentialError,
    QuotaError,
    SystemBusyError,
    TokenError,
    TokenInvalidError,
)
from wxcore.tokens import Token

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import Fault, SandboxTransport, WeChatSandbox, login_code, phone_code
from wxcore.adapters.deadline import deadline
from wxcore.adapters.retry import RetryingTransport
from wxcore.adapters.stores import CacheTokenStore
from wxcore.adapters.tokens import (
    DEFAULT_LOCK_TTL,
    FETCH_DEADLINE,
    AccessTokenFetcher,
    CachedTokenProvider,
    ForceRefreshBudget,
    StaticTokenProvider,
    TicketFetcher,
    TokenWaitTimeout,
)
from wxcore.adapters.transport import Urllib3Transport

STABLE = "/cgi-bin/stable_token"
PHONE = "/wxa/business/getuserphonenumber"
TICKET = "/cgi-bin/ticket/getticket"


def test_one_token_fetch_is_reused_across_calls(mp: MiniProgram, sandbox: WeChatSandbox) -> None:
    for _ in range(5):
        assert mp.get_phone_number(phone_code(sandbox, "13912345678")).phone_info.purePhoneNumber \
            == "13912345678"
    assert sandbox.calls[STABLE] == 1 and sandbox.calls[PHONE] == 5


def test_code2session_uses_the_secret_and_no_access_token(
    mp: MiniProgram, sandbox: WeChatSandbox
) -> None:
    session = mp.code2session(login_code(sandbox, "alice"))
    assert session.openid == sandbox.openid_for(sandbox.default_app.appid, "alice")
    assert sandbox.calls[STABLE] == 0
    with pytest.raises(Exception) as info:
        mp.code2session("never-issued")
    assert getattr(info.value, "errcode", None) == 40029


def test_token_is_refetched_after_expiry(mp: MiniProgram, sandbox: WeChatSandbox,
                                         clock: FakeClock) -> None:
    first = mp.get_access_token()
    clock.advance(7200 - 200)  # inside the refresh margin: sandbox rotates the stable token
    second = mp.get_access_token()
    assert first != second and sandbox.calls[STABLE] == 2


def test_revoked_token_is_renewed_once_and_the_call_succeeds(
    mp: MiniProgram, sandbox: WeChatSandbox
) -> None:
    mp.get_access_token()
    sandbox.revoke_tokens(sandbox.default_app.appid)
    result = mp.get_phone_number(phone_code(sandbox))
    assert result.phone_info.countryCode == "86"
    assert sandbox.calls[STABLE] == 2 and sandbox.calls[PHONE] == 2


def test_rejected_current_stable_token_spends_one_force_refresh(
    mp: MiniProgram, sandbox: WeChatSandbox
) -> None:
    token = mp.get_access_token()
    sandbox.inject(Fault("errcode", errcode=40001, errmsg="invalid credential", path=PHONE))
    mp.get_phone_number(phone_code(sandbox))
    assert mp.get_access_token() != token
    assert len(sandbox.forced[sandbox.default_app.appid]) == 1
    assert sandbox.calls[STABLE] == 3  # first fetch, re-fetch (same token), forced refresh


def test_persistent_token_rejection_gives_one_refresh_one_resend_then_a_typed_error(
    mp: MiniProgram, sandbox: WeChatSandbox
) -> None:
    mp.get_access_token()
    sandbox.inject(Fault("errcode", errcode=40001, errmsg="invalid credential", times=10,
                         path=PHONE))
    with pytest.raises(TokenInvalidError):
        mp.get_phone_number(phone_code(sandbox))
    assert sandbox.calls[PHONE] == 2


def test_busy_idempotent_calls_are_resent_within_bounds(
    mp: MiniProgram, sandbox: WeChatSandbox, clock: FakeClock
) -> None:
    sandbox.inject(Fault("errcode", times=2, path=TICKET))
    assert mp.get_jsapi_ticket()
    assert sandbox.calls[TICKET] == 3 and clock.sleeps == [0.5, 1.0]
    mp.ticket_provider("jsapi").invalidate(Token(value=mp.get_jsapi_ticket()))
    sandbox.inject(Fault("errcode", times=5, path=TICKET))
    with pytest.raises(SystemBusyError):
        mp.get_jsapi_ticket()
    assert sandbox.calls[TICKET] == 3 + 3


def test_gateway_errors_on_token_fetch_are_retried(mp: MiniProgram, sandbox: WeChatSandbox) -> None:
    sandbox.inject(Fault("status", status=503, times=2, path=STABLE))
    assert mp.get_access_token()
    assert sandbox.calls[STABLE] == 3


def test_bad_credentials_fail_fast_without_a_retry_storm(sandbox: WeChatSandbox,
                                                         clock: FakeClock) -> None:
    mp = MiniProgram(sandbox.default_app.appid, "wrong-secret", clock=clock, sleep=clock.sleep,
                     transport=SandboxTransport(sandbox))
    for _ in range(3):
        with pytest.raises(CredentialError) as info:
            mp.get_phone_number("anything")
        assert info.value.errcode == 40125
        assert "wrong-secret" not in str(info.value)
    assert sandbox.calls[STABLE] == 3 and sandbox.calls[PHONE] == 0
    assert clock.sleeps == []


def test_plain_token_api_cuts_the_previous_token_short(sandbox: WeChatSandbox,
                                                       clock: FakeClock) -> None:
    app = sandbox.default_app
    a = MiniProgram(app.appid, app.secret, token_api="token", clock=clock,
                    transport=SandboxTransport(sandbox))
    b = MiniProgram(app.appid, app.secret, token_api="token", clock=clock,
                    transport=SandboxTransport(sandbox))
    a.get_phone_number(phone_code(sandbox))
    b.get_phone_number(phone_code(sandbox))  # mints a new token: a's works 5 more minutes
    clock.advance(301)
    a.get_phone_number(phone_code(sandbox))  # a's token expired: renewed transparently
    assert sandbox.calls["/cgi-bin/token"] == 3


def test_quota_is_enforced_and_not_retried(sandbox: WeChatSandbox, clock: FakeClock) -> None:
    sandbox.quotas["/cgi-bin/token"] = 1
    app = sandbox.default_app
    mp = MiniProgram(app.appid, app.secret, token_api="token", clock=clock, sleep=clock.sleep,
                     transport=SandboxTransport(sandbox))
    mp.get_access_token()
    mp.token_provider.invalidate(Token(value=mp.get_access_token()))
    with pytest.raises(QuotaError):
        mp.get_access_token()
    assert sandbox.calls["/cgi-bin/token"] == 2 and clock.sleeps == []


def test_static_token_provider_uses_the_set_token(sandbox: WeChatSandbox, clock: FakeClock) -> None:
    mp = MiniProgram(sandbox.default_app.appid, transport=SandboxTransport(sandbox), clock=clock)
    with pytest.raises(TokenError, match="set_access_token"):
        mp.get_phone_number("x")
    issued = sandbox.issue_token(sandbox.default_app.appid, "stable")
    mp.set_access_token(issued.value, expires_in=7200)
    assert mp.get_phone_number(phone_code(sandbox)).errcode == 0
    assert sandbox.calls[STABLE] == 0
    clock.advance(7201)
    with pytest.raises(TokenError, match="expired"):
        mp.get_access_token()


def test_a_static_token_is_served_until_the_very_second_it_expires(clock: FakeClock) -> None:
    provider = StaticTokenProvider(clock=clock)
    token = Token(value="set", expires_at=clock() + 10)
    provider.set(token)
    assert provider.get() is token
    clock.advance(9.999)
    assert provider.get() is token
    clock.advance(0.001)
    with pytest.raises(TokenError, match="expired"):
        provider.get()


def test_the_token_last_found_fresh_is_answered_until_it_falls_due(clock: FakeClock) -> None:
    fetched: list[float] = []

    def fetch(rejected: Token | None) -> Token:
        fetched.append(clock())
        return Token(value=f"t{len(fetched)}", expires_at=clock() + 1000, issued_at=clock())

    provider = CachedTokenProvider(fetch, key="k", margin=300, clock=clock)
    first = provider.get()
    clock.advance(699)  # fresh until 700 s (expiry minus the margin)
    assert provider.get() is first and len(fetched) == 1
    provider.margin = 400  # a new margin applies at once: now due, so refreshed early
    assert provider.get().value == "t2" and len(fetched) == 2
    elsewhere = Token(value="elsewhere", expires_at=clock() + 1000)
    provider.store.save("k", elsewhere)  # the store is still read on every get
    assert provider.get() is elsewhere
    provider.invalidate(elsewhere)
    assert provider.get().value == "t3"
    clock.advance(700)  # t3 falls due: refreshed, not served from the remembered one
    assert provider.get().value == "t4"


def test_an_idle_clients_small_parts_carry_no_instance_dict() -> None:
    mp = MiniProgram("wx1234567890abcdef", "secret")
    provider = mp.token_provider
    retrying = mp.transport
    assert isinstance(provider, CachedTokenProvider) and isinstance(retrying, RetryingTransport)
    fetcher = provider._fetch
    assert isinstance(fetcher, AccessTokenFetcher) and isinstance(retrying.inner, Urllib3Transport)
    ticket = mp.ticket_provider("jsapi")
    assert isinstance(ticket, CachedTokenProvider)
    parts: list[object] = [provider, provider._flight, provider.store, fetcher, fetcher.budget,
                           mp._secret_provider, retrying, retrying.inner, retrying.inner.routes,
                           StaticTokenProvider(), ticket._fetch]
    for part in parts:  # __slots__: about 100 bytes saved on each (docs/performance.md)
        assert not hasattr(part, "__dict__"), type(part).__name__


def test_64_threads_finding_the_token_stale_make_exactly_one_fetch() -> None:
    fetch = HeldFetch("token-", hold=0.05)
    provider = CachedTokenProvider(fetch, key="k")
    provider.set(Token(value="old", expires_at=time.time() - 1))
    results = in_threads(64, lambda: provider.get().value)
    assert fetch.count == 1 and set(results) == {"token-1"}


def test_refresh_ahead_keeps_serving_the_valid_token_while_one_thread_refreshes() -> None:
    fetch = HeldFetch("token-", hold=0.05)
    provider = CachedTokenProvider(fetch, key="k", margin=300)
    provider.set(Token(value="old", expires_at=time.time() + 100))  # due, still valid
    results = in_threads(16, lambda: provider.get().value)
    assert fetch.count == 1
    assert "old" in results and "token-1" in results
    assert provider.get().value == "token-1"


def test_invalidate_never_drops_a_token_someone_already_renewed() -> None:
    provider = CachedTokenProvider(HeldFetch("token-", hold=0.05), key="k")
    provider.set(Token(value="new", expires_at=time.time() + 7200))
    provider.invalidate(Token(value="old"))
    assert provider.get().value == "new"
    static = StaticTokenProvider(Token(value="new"))
    static.invalidate(Token(value="old"))
    assert static.get().value == "new"


def test_force_refresh_budget_allows_20_a_day_30_seconds_apart(clock: FakeClock) -> None:
    budget = ForceRefreshBudget(clock=clock)
    assert budget.take() and not budget.take()
    taken = 1
    for _ in range(40):
        clock.advance(31)
        taken += budget.take()
    assert taken == 20
    clock.advance(86400)
    assert budget.take()


def test_client_secrets_stay_out_of_reprs(mp: MiniProgram, sandbox: WeChatSandbox) -> None:
    token = mp.get_access_token()
    text = " ".join(repr(x) for x in (mp, mp.token_provider, mp.token_provider.get(),
                                      mp.credential_provider("app_secret")))
    assert token not in text and sandbox.default_app.secret not in text


def test_debug_logs_show_redacted_urls_only(
    mp: MiniProgram, sandbox: WeChatSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG", logger="wxcore"):
        mp.get_phone_number(phone_code(sandbox))
        mp.code2session(login_code(sandbox))
    token = mp.get_access_token()
    assert "getuserphonenumber?access_token=***" in caplog.text
    assert "secret=***" in caplog.text
    assert token not in caplog.text and sandbox.default_app.secret not in caplog.text
    assert all(r.name.startswith("wxcore") for r in caplog.records)


def test_a_failed_fetch_is_shared_by_the_threads_that_waited_for_it(
        sandbox: WeChatSandbox) -> None:
    # stable_token answers -1 (system busy) to everyone; the call policy resends twice.
    sandbox.inject(Fault("errcode", times=10_000, path=STABLE))
    app = sandbox.default_app
    mp = MiniProgram(app.appid, app.secret, transport=SandboxTransport(sandbox),
                     sleep=lambda s: time.sleep(s / 10))  # the policy's pauses, shortened

    def get() -> object:
        try:
            return mp.get_access_token()
        except Exception as exc:  # collected: every thread must get the fetch's own error
            return exc

    results = in_threads(16, get)
    assert all(isinstance(r, SystemBusyError) for r in results)
    assert sandbox.calls[STABLE] == 3  # one fetch (sent 3 times by the policy), not 16 x 3


def test_waiting_for_someone_elses_refresh_is_bounded_with_a_typed_error() -> None:
    release = threading.Event()

    def stuck(rejected: Token | None) -> Token:
        release.wait(10)
        return Token(value="late", expires_at=time.time() + 7200)

    provider = CachedTokenProvider(stuck, key="k", wait_timeout=0.2)
    leader = threading.Thread(target=provider.get)
    leader.start()
    try:
        while not provider._flight.busy:
            time.sleep(0.005)
        with pytest.raises(TokenWaitTimeout, match="waited 0.2s"):
            provider.get()
    finally:
        release.set()
        leader.join()
    assert isinstance(TokenWaitTimeout("x"), TokenError)


def test_the_calls_deadline_also_bounds_waiting_for_someone_elses_refresh() -> None:
    release = threading.Event()

    def stuck(rejected: Token | None) -> Token:
        release.wait(10)
        return Token(value="late", expires_at=time.time() + 7200)

    provider = CachedTokenProvider(stuck, key="k")  # wait_timeout 60 s by default
    leader = threading.Thread(target=provider.get)
    leader.start()
    try:
        while not provider._flight.busy:
            time.sleep(0.005)
        with deadline(0.2), pytest.raises(TokenWaitTimeout, match="the call's deadline"):
            provider.get()
    finally:
        release.set()
        leader.join()


def test_a_short_lived_answer_is_not_refetched_on_every_call(
        mp: MiniProgram, sandbox: WeChatSandbox, clock: FakeClock) -> None:
    # WeChat hands out a ticket with 200 s left, less than the 300 s refresh margin.
    issued = sandbox.issue_token(sandbox.default_app.appid, "ticket", lifetime=200)
    sandbox.current[(sandbox.default_app.appid, "ticket:jsapi")] = issued.value
    for _ in range(60):  # 60 calls in 3 s
        assert mp.get_jsapi_ticket() == issued.value
        clock.advance(0.05)
    assert sandbox.calls[TICKET] == 1
    clock.advance(100)  # past half its lifetime: due, refreshed once
    mp.get_jsapi_ticket()
    assert sandbox.calls[TICKET] == 2


def test_one_token_fetch_is_bounded_by_its_deadline_even_across_dead_hosts() -> None:
    holes = [Blackhole() for _ in range(5)]
    try:
        transport = Urllib3Transport(base_urls={"api.weixin.qq.com": [h.base_url for h in holes]},
                                     proxy=False)  # connect timeout 5 s per host
        mp = MiniProgram("wx5b2e7d9c1a04f836", "secret-of-some-length", transport=transport)
        provider = CachedTokenProvider(AccessTokenFetcher(mp.call, mp.appid), key="k",
                                       fetch_deadline=1.0)
        started = time.monotonic()
        with pytest.raises(ConnectError):
            provider.get()
        # 5 hosts x 3 attempts x 5 s would be 75 s; the deadline stops it at about 1 s.
        assert time.monotonic() - started < 4
    finally:
        for hole in holes:
            hole.close()


def test_the_shared_stores_lease_outlasts_a_fetch() -> None:
    store = CacheTokenStore(_GetSet())
    assert store.lock_ttl == DEFAULT_LOCK_TTL > FETCH_DEADLINE
    provider = CachedTokenProvider(HeldFetch("token-", hold=0.05), key="k", store=store)
    assert provider.fetch_deadline == FETCH_DEADLINE


class _GetSet:
    def get(self, key: str) -> object:
        return None

    def set(self, key: str, value: object) -> None:
        pass


def test_a_fetch_answered_with_no_token_result_is_a_type_error() -> None:
    """The executor must answer a fetch's call with the call's result; anything else is a bug
    in the executor, named as such rather than an AttributeError deep in the parse."""
    fetcher = TicketFetcher(lambda call: {"ticket": "t", "expires_in": 7200}, "jsapi")
    with pytest.raises(TypeError, match="answered dict, not a token result"):
        fetcher(None)


@pytest.mark.parametrize("client_class", ["MiniProgram", "OfficialAccount"])
def test_an_unknown_option_is_refused_not_dropped(client_class: str) -> None:
    """A misspelt or invented keyword (``access_token=`` is a common guess) raises at once:
    silently ignored, it would leave the client fetching tokens the caller meant to set."""
    import wxcore

    cls = getattr(wxcore, client_class)
    with pytest.raises(TypeError) as refused:
        cls("wx1234567890abcdef", "appsecret", access_token="t", tokn_store=None)
    message = str(refused.value)
    assert "'access_token', 'tokn_store'" in message
    assert "token_store" in message  # says what it does take
    assert "appsecret" not in message
