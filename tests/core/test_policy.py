"""The per-call policy, driven by hand: every effect it yields is checked."""

from __future__ import annotations

import pytest

from wxcore.endpoint import Endpoint, WxResult
from wxcore.errors import QuotaError, SystemBusyError, TokenInvalidError
from wxcore.http import APP_SECRET_IN_QUERY, Response
from wxcore.policy import CallPolicy, Invalidate, NeedCredential, Pause, Send, run_call
from wxcore.tokens import Token


class Done(WxResult, kw_only=True):
    value: int


GET = Endpoint("t.get", "GET", "/t", Done)
POST = Endpoint("t.post", "POST", "/t", Done)
SECRET = Endpoint("t.secret", "GET", "/s", Done, auth=APP_SECRET_IN_QUERY)

OK = Response(status=200, body=b'{"value":7}')
STALE = Response(status=200, body=b'{"errcode":40001,"errmsg":"invalid credential"}')
BUSY = Response(status=200, body=b'{"errcode":-1,"errmsg":"system error"}')
QUOTA = Response(status=200, body=b'{"errcode":45009,"errmsg":"reach max api daily quota limit"}')
T1, T2 = Token(value="t1", expires_at=100.0), Token(value="t2", expires_at=200.0)


def test_happy_path_needs_a_token_then_sends_once() -> None:
    gen = run_call(GET.call(query={"a": "1"}))
    assert next(gen) == NeedCredential("access_token")
    effect = gen.send(T1)
    assert isinstance(effect, Send)
    assert effect.request.query == (("a", "1"), ("access_token", "t1"))
    with pytest.raises(StopIteration) as done:
        gen.send(OK)
    assert done.value.value.value == 7


def test_rejected_token_is_invalidated_refetched_and_resent_once() -> None:
    gen = run_call(POST.call(json={}))
    next(gen)
    gen.send(T1)
    assert gen.send(STALE) == Invalidate("access_token", T1)
    assert gen.send(None) == NeedCredential("access_token")
    resend = gen.send(T2)
    assert isinstance(resend, Send) and resend.request.query[-1] == ("access_token", "t2")
    with pytest.raises(StopIteration):
        gen.send(OK)


def test_a_second_rejection_raises_instead_of_looping() -> None:
    gen = run_call(GET.call())
    next(gen)
    gen.send(T1)
    gen.send(STALE)
    gen.send(None)
    gen.send(T2)
    with pytest.raises(TokenInvalidError):
        gen.send(STALE)


def test_a_rejected_secret_is_not_refetched() -> None:
    gen = run_call(SECRET.call())
    assert next(gen) == NeedCredential("app_secret")
    gen.send(Token(value="s"))
    with pytest.raises(TokenInvalidError):
        gen.send(STALE)


def test_busy_idempotent_requests_back_off_and_resend_within_bounds() -> None:
    gen = run_call(GET.call(), CallPolicy(busy_retries=2, busy_backoff=0.5))
    next(gen)
    gen.send(T1)
    assert gen.send(BUSY) == Pause(0.5, "errcode -1 (system busy)")
    assert isinstance(gen.send(None), Send)
    assert gen.send(BUSY) == Pause(1.0, "errcode -1 (system busy)")
    assert isinstance(gen.send(None), Send)
    with pytest.raises(SystemBusyError):
        gen.send(BUSY)


def test_busy_non_idempotent_requests_are_not_resent() -> None:
    gen = run_call(POST.call(json={}))
    next(gen)
    gen.send(T1)
    with pytest.raises(SystemBusyError):
        gen.send(BUSY)


def test_quota_errors_are_raised_at_once() -> None:
    gen = run_call(GET.call())
    next(gen)
    gen.send(T1)
    with pytest.raises(QuotaError):
        gen.send(QUOTA)


def test_a_first_attempt_made_by_the_executor_continues_under_the_same_rules() -> None:
    # A rejected token: the policy goes on with invalidate, refetch, resend once.
    gen = run_call(GET.call(), first=(T1, STALE))
    assert next(gen) == Invalidate("access_token", T1)
    assert gen.send(None) == NeedCredential("access_token")
    effect = gen.send(T2)
    assert isinstance(effect, Send) and effect.request.query == (("access_token", "t2"),)
    with pytest.raises(TokenInvalidError):
        gen.send(STALE)  # the second rejection is raised: renewed once only
    # -1 on an idempotent request: a pause, then a resend with the same token.
    gen = run_call(GET.call(), CallPolicy(busy_retries=1, busy_backoff=0.25), first=(T1, BUSY))
    assert next(gen) == Pause(0.25, "errcode -1 (system busy)")
    effect = gen.send(None)
    assert isinstance(effect, Send) and effect.request.query == (("access_token", "t1"),)
    with pytest.raises(StopIteration) as done:
        gen.send(OK)
    assert done.value.value.value == 7
    # -1 on a POST is raised at once, as without a first attempt.
    with pytest.raises(SystemBusyError):
        next(run_call(POST.call(json={}), first=(T1, BUSY)))

