"""RetryingTransport with a scripted inner transport and an injected sleep."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pytest

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError
from wxcore.http import Request, Response

from wxcore.adapters.deadline import deadline, time_left
from wxcore.adapters.retry import RetryingTransport, RetryPolicy

OK = Response(status=200, body=b"{}")
GET = Request(method="GET", path="/x", endpoint="t.get", idempotent=True)
POST = Request(method="POST", path="/x", endpoint="t.post", idempotent=False)


class Scripted:
    """Plays back outcomes (responses or exceptions) and counts sends."""

    def __init__(self, outcomes: Iterable[Response | Exception]) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[Request] = []

    def send(self, request: Request) -> Response:
        self.sent.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self) -> None:
        pass


def make(outcomes: Iterable[Response | Exception], **policy: object):  # type: ignore[no-untyped-def]
    waits: list[float] = []
    inner = Scripted(outcomes)
    transport = RetryingTransport(inner, RetryPolicy(jitter=0.0, **policy),  # type: ignore[arg-type]
                                  sleep=waits.append)
    return transport, inner, waits


def test_success_first_time_sends_once_and_never_waits() -> None:
    transport, inner, waits = make([OK])
    assert transport.send(POST) is OK
    assert len(inner.sent) == 1 and waits == []


def test_connect_errors_are_retried_even_for_non_idempotent_requests() -> None:
    transport, inner, waits = make([ConnectError("refused"), ConnectError("refused"), OK])
    assert transport.send(POST) is OK
    assert len(inner.sent) == 3
    assert waits == [0.2, 0.4]


def test_read_errors_are_retried_only_when_idempotent() -> None:
    transport, inner, _ = make([ReadTimeoutError("slow"), OK])
    assert transport.send(GET) is OK
    transport, inner, waits = make([ReadError("reset"), OK])
    with pytest.raises(ReadError):
        transport.send(POST)
    assert len(inner.sent) == 1 and waits == []


def test_gateway_statuses_are_retried_for_idempotent_requests_and_returned_when_exhausted() -> None:
    bad = Response(status=503, body=b"busy")
    transport, inner, waits = make([bad, bad, bad])
    assert transport.send(GET) is bad
    assert len(inner.sent) == 3 and len(waits) == 2
    transport, inner, _ = make([bad])
    assert transport.send(POST) is bad and len(inner.sent) == 1


def test_attempts_are_bounded_and_the_last_error_is_raised() -> None:
    errors = [ConnectError(f"refused {i}") for i in range(5)]
    transport, inner, waits = make(errors, max_attempts=4)
    with pytest.raises(ConnectError, match="refused 3"):
        transport.send(GET)
    assert len(inner.sent) == 4 and waits == [0.2, 0.4, 0.8]


def test_total_wait_is_bounded() -> None:
    errors = [ConnectError("refused") for _ in range(10)]
    transport, inner, waits = make(errors, max_attempts=10, initial_wait=1.0, max_wait=4.0,
                                   max_total_wait=5.0)
    with pytest.raises(ConnectError):
        transport.send(GET)
    assert waits == [1.0, 2.0]  # the next 4.0 would pass the 5.0 bound
    assert len(inner.sent) == 3


def test_jitter_is_added_and_capped() -> None:
    waits: list[float] = []
    inner = Scripted([ConnectError("x"), ConnectError("x"), OK])
    transport = RetryingTransport(inner, RetryPolicy(initial_wait=0.2, jitter=0.5, max_wait=0.6),
                                  sleep=waits.append, rng=lambda: 1.0)
    transport.send(GET)
    assert waits == [0.6, 0.6]


def test_each_retry_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    transport, _, _ = make([ConnectError("refused"), OK])
    with caplog.at_level(logging.WARNING, logger="wxcore.retry"):
        transport.send(GET)
    assert "t.get: attempt 1 failed (ConnectError: refused)" in caplog.text


def test_one_attempt_allowed_means_no_retry_of_any_outcome() -> None:
    busy = Response(status=503)
    transport, inner, waits = make([busy], max_attempts=1)
    assert transport.send(GET) is busy and len(inner.sent) == 1
    transport, inner, waits = make([ConnectError("refused")], max_attempts=1)
    with pytest.raises(ConnectError):
        transport.send(GET)
    assert len(inner.sent) == 1 and waits == []


class SeesDeadline(Scripted):
    def __init__(self, outcomes: Iterable[Response | Exception]) -> None:
        super().__init__(outcomes)
        self.left: list[float | None] = []

    def send(self, request: Request) -> Response:
        self.left.append(time_left())
        return super().send(request)


def test_each_send_runs_within_the_policys_deadline_or_a_tighter_one_around_it() -> None:
    inner = SeesDeadline([OK, OK, ReadError("reset"), OK, OK])
    transport = RetryingTransport(inner, RetryPolicy(jitter=0.0, deadline=5.0),
                                  sleep=lambda seconds: None)
    transport.send(GET)
    assert time_left() is None  # closed after the send
    with deadline(0.5):  # a tighter deadline around it applies inside
        transport.send(GET)
        transport.send(GET)  # retried after the read error, still within the outer 0.5 s
        outer = time_left()
        assert outer is not None and 0 < outer <= 0.5
    with deadline(60.0):  # a looser one: the policy's applies inside, the outer after
        transport.send(GET)
        assert (time_left() or 0) > 59
    lefts = [left for left in inner.left if left is not None]
    assert len(lefts) == 5 and 4.0 < lefts[0] <= 5.0 and 4.0 < lefts[4] <= 5.0
    assert 0 < lefts[3] <= lefts[2] <= lefts[1] <= 0.5
