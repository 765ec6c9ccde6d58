"""Retries of network and gateway faults, with tenacity, around any transport.

What is retried, and why:

* :class:`~wxcore.errors.ConnectError` always: the request never reached WeChat.
* :class:`~wxcore.errors.ReadError` (timeouts, resets) and HTTP 502/503/504 only for
  idempotent requests: the request may have been processed, and sending a subscribe message
  or a customer-service message twice is worse than reporting the failure.

Waits grow exponentially with jitter, and the number of attempts, the total time spent
waiting and the time of the whole send (``deadline``: every attempt, fail-over and wait) are
bounded. The deadline reaches the inner transport through
:func:`~wxcore.adapters.deadline.deadline`, so :class:`~wxcore.adapters.urllib3_transport.Urllib3Transport`
cuts its timeouts to it, and no retry starts once the time left is shorter than its wait. Every retry is logged on the ``wxcore.retry`` logger. Semantic
retries (a token WeChat rejected, errcode -1) are not handled here but in the per-call
policy (:mod:`wxcore.policy`), which knows what the body means.

The first attempt runs outside tenacity, so a request that succeeds first time (nearly all
of them) pays nothing for the retry machinery.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wxcore.errors import ConnectError, ReadError, TransportError
from wxcore.http import Request, Response

from wxcore.adapters.deadline import close_deadline, open_deadline, time_left
from wxcore.adapters.transport import Transport

if TYPE_CHECKING:  # tenacity is imported on the first retry: most processes never retry
    import tenacity

__all__ = ["RetryPolicy", "DEFAULT_RETRY_POLICY", "RetryRules", "RetryingTransport"]

logger = logging.getLogger("wxcore.retry")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try.

    ``max_attempts`` counts the first attempt (3 = up to two retries). The wait before retry
    ``n`` is ``initial_wait * 2**(n-1)`` plus up to ``jitter`` seconds, capped at
    ``max_wait``; retrying stops once waits would exceed ``max_total_wait`` seconds in all.
    ``deadline`` bounds one send, attempts and waits together (None: only the timeouts
    bound it). With the default timeouts (connect 5 s, read 15 s) one send then takes at
    most ``deadline`` seconds, where five hosts x three attempts could otherwise take minutes.
    """

    max_attempts: int = 3
    initial_wait: float = 0.2
    max_wait: float = 2.0
    jitter: float = 0.2
    max_total_wait: float = 5.0
    retry_statuses: frozenset[int] = field(default=frozenset({502, 503, 504}))
    deadline: float | None = 25.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive (or None)")


DEFAULT_RETRY_POLICY = RetryPolicy()


class _WaitBudget:
    """Stop when the next wait would take the total waited past the policy's bound."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            return True
        waited = retry_state.idle_for
        upcoming = retry_state.upcoming_sleep or 0.0
        left = time_left()
        if left is not None and left <= upcoming:
            return True  # the retry could not even start before the deadline
        return waited + upcoming > self.policy.max_total_wait


class RetryRules:
    """The retry decisions both retrying transports (sync, async) share: what is retried,
    how long to wait, when to stop, how a retry is logged -- as tenacity arguments."""

    __slots__ = ("policy", "_rng", "resent_statuses")

    def __init__(self, policy: RetryPolicy, rng: Callable[[], float]) -> None:
        self.policy = policy
        self._rng = rng
        #: The statuses resent after attempt 1 (none when one attempt is all there is). The
        #: wrappers test a first response against it inline, as should_retry_response does:
        #: that test runs on every call, a method call costs more than the test.
        self.resent_statuses = policy.retry_statuses if policy.max_attempts > 1 else frozenset()

    def should_retry_error(self, exc: BaseException, request: Request) -> bool:
        if isinstance(exc, ConnectError):
            return True
        return isinstance(exc, ReadError) and request.idempotent

    def should_retry_response(self, response: Response, request: Request) -> bool:
        return request.idempotent and response.status in self.resent_statuses

    def retry_first_error(self, request: Request, exc: TransportError) -> bool:
        """Whether attempt 1's failure calls for tenacity at all."""
        return self.policy.max_attempts > 1 and self.should_retry_error(exc, request)

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        p = self.policy
        base = min(p.initial_wait * 2 ** (retry_state.attempt_number - 1), p.max_wait)
        return float(min(base + p.jitter * self._rng(), p.max_wait))

    def tenacity_args(self, request: Request) -> dict[str, Any]:
        """stop, wait, retry, logging and outcome arguments for tenacity's (Async)Retrying
        (tenacity is imported here, on the first retry: most processes never retry)."""
        import tenacity

        def log_retry(state: tenacity.RetryCallState) -> None:
            outcome = state.outcome
            assert outcome is not None
            cause = (
                f"HTTP {outcome.result().status}" if not outcome.failed else
                f"{type(outcome.exception()).__name__}: {outcome.exception()}"
            )
            logger.warning(
                "%s: attempt %d failed (%s); retrying in %.2fs",
                request.endpoint, state.attempt_number, cause, state.upcoming_sleep,
            )

        return dict(
            stop=_WaitBudget(self.policy),
            wait=self._wait,
            retry=(
                tenacity.retry_if_exception(lambda e: self.should_retry_error(e, request))
                | tenacity.retry_if_result(lambda r: self.should_retry_response(r, request))
            ),
            before_sleep=log_retry,
            reraise=True,
            retry_error_callback=lambda state: state.outcome.result(),
        )


class RetryingTransport(RetryRules):
    """Wraps ``inner`` and retries what :class:`RetryPolicy` allows.

    ``sleep`` is how waiting happens (``time.sleep`` by default); tests pass a recorder so
    they run instantly and can assert the waits. ``rng`` supplies the jitter.
    """

    __slots__ = ("inner", "_sleep")

    def __init__(
        self,
        inner: Transport,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(policy, rng)
        self.inner = inner
        self._sleep = sleep

    def send(self, request: Request) -> Response:
        opened = open_deadline(self.policy.deadline)
        try:
            try:
                response = self.inner.send(request)
            except TransportError as exc:
                if not self.retry_first_error(request, exc):
                    raise
                return self._retry(request, exc)
            if response.status in self.resent_statuses and request.idempotent:
                return self._retry(request, response)
            return response
        finally:
            close_deadline(opened)

    def _retry(self, request: Request, first: Response | TransportError) -> Response:
        """Attempts 2..n under tenacity; attempt 1's outcome (``first``) is replayed to it."""
        import tenacity

        pending: Iterator[Response | TransportError] = iter((first,))

        def attempt() -> Response:
            outcome = next(pending, None)
            if outcome is None:
                return self.inner.send(request)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        retrying = tenacity.Retrying(sleep=self._sleep, **self.tenacity_args(request))
        return retrying(attempt)

    def close(self) -> None:
        self.inner.close()

    def __repr__(self) -> str:
        return f"RetryingTransport({self.inner!r}, {self.policy!r})"
