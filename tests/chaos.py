"""A chaos soak: many threads call the sandbox over loopback while random faults are injected.

The sandbox (over real HTTP) answers -1, 5xx, resets, slow answers and revokes tokens at
random; worker threads meanwhile fetch tokens and tickets and send subscribe messages (not
idempotent). :func:`soak` runs for a bounded time and returns what it saw; :func:`violations`
checks the guarantees of docs/reliability.md against it:

1. a non-idempotent request is processed at most once: every subscribe message (marked with
   its own id) arrives at most once with a live token (a resend is allowed only after WeChat
   rejected the token, which means it did not act on the request);
2. every failure is a typed :class:`~wxcore.errors.WxError`;
3. token fetches stay within ``1 + revocations + 2 x faults that hit stable_token``: one
   fetch at the start, one per revocation, and at most one more request per fault;
4. no call outlives the documented worst case: the call deadline plus the longest busy
   pause plus ``SLACK`` for a loaded machine.

:func:`soak_processes` runs the same workers in several processes that share their tokens in
a real Redis, restarted (empty) during the run; the token bound then allows for the restarts
and for a failed fetch being retried by each process (see its docstring).

Used by tests/adapters/test_chaos.py (a few seconds) and benchmarks/chaos_soak.py (by hand).
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import urllib3

from wxcore.errors import WxError
from wxcore.policy import CallPolicy

from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.retry import RetryPolicy
from wxcore.adapters.sandbox import Fault, SandboxServer, WeChatSandbox, login_code
from wxcore.adapters.transport import Urllib3Transport

STABLE = "/cgi-bin/stable_token"
TICKET = "/cgi-bin/ticket/getticket"
SUBSCRIBE = "/cgi-bin/message/subscribe/send"
PATHS = (STABLE, TICKET, SUBSCRIBE)

#: Scheduling delays on a shared, loaded machine, on top of the documented bound.
SLACK = 1.5


@dataclass
class SoakReport:
    seconds: float
    calls: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    untyped: list[str] = field(default_factory=list)
    longest_call: float = 0.0
    worst_case: float = 0.0
    markers: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    token_fetches: int = 0
    fetch_bound: int = 0
    duplicates: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.calls} calls in {self.seconds:.0f}s, {sum(self.failures.values())} "
                f"typed failures {dict(self.failures)}, faults {dict(self.faults)}; "
                f"stable_token requests {self.token_fetches} (bound {self.fetch_bound}); "
                f"longest call {self.longest_call:.2f}s (bound {self.worst_case:.2f}s)")


class _App(NamedTuple):
    appid: str
    secret: str


def _client(base_url: str, app: Any, deadline: float, busy: CallPolicy,
            token_store: Any = None) -> MiniProgram:
    transport = Urllib3Transport.for_base_url(
        base_url, proxy=False, timeout=urllib3.Timeout(connect=1.0, read=0.3))
    retry = RetryPolicy(initial_wait=0.02, max_wait=0.1, jitter=0.02, max_total_wait=0.5,
                        deadline=deadline)
    return MiniProgram(app.appid, app.secret, transport=transport, retry=retry, policy=busy,
                       token_store=token_store)


def _faults(sandbox: WeChatSandbox, rng: random.Random, stop: threading.Event,
            injected: list[Fault]) -> None:
    while not stop.wait(rng.uniform(0.005, 0.02)):
        path = rng.choice(PATHS)
        if sum(1 for f in list(sandbox.faults) if f.path == path) >= 2:
            continue  # at most two pending per path, so every path keeps being hit
        kind = rng.choice(("errcode", "status", "reset", "slow", "revoke"))
        fault = Fault(kind, path=path, status=rng.choice((502, 503)),  # type: ignore[arg-type]
                      delay=rng.uniform(0.05, 0.5))
        injected.append(sandbox.inject(fault))


def _busy() -> CallPolicy:
    return CallPolicy(busy_retries=2, busy_backoff=0.02, busy_backoff_max=0.1)


def _work(mp: MiniProgram, openid: str, index: int, seed: int, stop: threading.Event,
          report: SoakReport, lock: threading.Lock) -> None:
    """One worker thread: random token, ticket and subscribe calls until ``stop``."""
    local = random.Random(seed * 1000 + index)
    while not stop.is_set():
        op = local.choice(("token", "ticket", "subscribe", "subscribe"))
        marker = uuid.uuid4().hex
        started = time.monotonic()
        try:
            if op == "token":
                mp.get_access_token()
            elif op == "ticket":
                mp.get_jsapi_ticket()
            else:
                with lock:
                    report.markers.append(marker)
                mp.send_subscribe_message(openid, "TPL-chaos", {"character_string1": marker})
        except WxError as exc:
            with lock:
                report.failures[type(exc).__name__] += 1
        except Exception as exc:  # an untyped failure: the invariant under test
            with lock:
                report.untyped.append(f"{op}: {type(exc).__name__}: {exc}")
        elapsed = time.monotonic() - started
        with lock:
            report.calls += 1
            report.longest_call = max(report.longest_call, elapsed)


def _run_threads(mp: MiniProgram, openid: str, threads: int, seed: int, seconds: float,
                 report: SoakReport, during: Callable[[], None] | None = None) -> None:
    """``threads`` workers for ``seconds``; ``during`` runs once halfway (a Redis restart)."""
    lock = threading.Lock()
    stop = threading.Event()
    workers = [threading.Thread(target=_work, args=(mp, openid, i, seed, stop, report, lock),
                                daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    if during is not None:
        time.sleep(seconds / 2)
        during()
        time.sleep(seconds / 2)
    else:
        time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join(timeout=report.worst_case + 5)


def soak(seconds: float = 3.0, threads: int = 12, seed: int = 1, deadline: float = 2.0
         ) -> SoakReport:
    """Run the soak in this process; ``deadline`` is each call's bound (RetryPolicy.deadline)."""
    busy = _busy()
    report = SoakReport(seconds=seconds,
                        worst_case=deadline + busy.busy_pause(busy.busy_retries - 1) + SLACK)
    injected: list[Fault] = []
    with SandboxServer(WeChatSandbox()) as server:
        sandbox = server.sandbox
        mp = _client(server.base_url, sandbox.default_app, deadline, busy)
        openid = mp.code2session(login_code(sandbox, "alice")).openid  # a user the app knows
        stop = threading.Event()
        chaos = threading.Thread(target=_faults, args=(sandbox, random.Random(seed + 1), stop,
                                                       injected), daemon=True)
        chaos.start()
        _run_threads(mp, openid, threads, seed, seconds, report)
        stop.set()
        chaos.join(timeout=5)
        mp.close()
        _account(sandbox, injected, report)
    return report


def _process_worker(base_url: str, appid: str, secret: str, redis_url: str, openid: str,
                    threads: int, seed: int, seconds: float, deadline: float,
                    results: Any) -> None:
    """One process of :func:`soak_processes`: its own client, the shared Redis store."""
    from wxcore.adapters.stores.redis import RedisTokenStore

    busy = _busy()
    report = SoakReport(seconds=seconds,
                        worst_case=deadline + busy.busy_pause(busy.busy_retries - 1) + SLACK)
    store = RedisTokenStore(redis_url, socket_timeout=0.5, wait_timeout=deadline)
    mp = _client(base_url, _App(appid, secret), deadline, busy, token_store=store)
    _run_threads(mp, openid, threads, seed, seconds, report)
    mp.close()
    results.put({"calls": report.calls, "failures": dict(report.failures),
                 "untyped": report.untyped, "longest": report.longest_call,
                 "markers": report.markers})


def soak_processes(redis: Any, seconds: float = 4.0, processes: int = 4, threads: int = 4,
                   seed: int = 1, deadline: float = 2.0, restarts: int = 1) -> SoakReport:
    """The soak across ``processes`` processes sharing tokens in Redis (``redis``: a
    ``support.RedisProcess``), which is restarted ``restarts`` times meanwhile, empty.

    The token bound becomes ``1 + revocations + restarts + 2 x processes x faults on
    stable_token``: a failed fetch is shared with the waiters of one process, while another
    process may take the lease over and try once more.
    """
    busy = _busy()
    report = SoakReport(seconds=seconds,
                        worst_case=deadline + busy.busy_pause(busy.busy_retries - 1) + SLACK)
    injected: list[Fault] = []
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    with SandboxServer(WeChatSandbox()) as server:
        sandbox = server.sandbox
        app = sandbox.default_app
        first = _client(server.base_url, app, deadline, busy)
        openid = first.code2session(login_code(sandbox, "alice")).openid
        first.close()
        workers = [context.Process(target=_process_worker, args=(
            server.base_url, app.appid, app.secret, redis.url, openid, threads, seed + i,
            seconds, deadline, results), daemon=True) for i in range(processes)]
        for w in workers:
            w.start()
        stop = threading.Event()
        chaos = threading.Thread(target=_faults, args=(sandbox, random.Random(seed + 1), stop,
                                                       injected), daemon=True)
        chaos.start()
        for _ in range(restarts):
            time.sleep(seconds / (restarts + 1))
            redis.restart()
        time.sleep(seconds / (restarts + 1))
        for _ in workers:
            part = results.get(timeout=seconds + report.worst_case + 60)
            report.calls += part["calls"]
            report.failures.update(part["failures"])
            report.untyped.extend(part["untyped"])
            report.longest_call = max(report.longest_call, part["longest"])
            report.markers.extend(part["markers"])
        stop.set()
        chaos.join(timeout=5)
        for w in workers:
            w.join(timeout=10)
        _account(sandbox, injected, report)
    revokes = sum(f.used for f in injected if f.kind == "revoke")
    on_stable = sum(f.used for f in injected if f.path == STABLE and f.kind != "revoke")
    report.fetch_bound = 1 + revokes + restarts + 2 * processes * on_stable
    return report


def _account(sandbox: WeChatSandbox, injected: list[Fault], report: SoakReport) -> None:
    for fault in injected:
        if fault.used:
            report.faults[fault.kind] += fault.used
    revokes = sum(f.used for f in injected if f.kind == "revoke")
    on_stable = sum(f.used for f in injected if f.path == STABLE and f.kind != "revoke")
    report.token_fetches = sandbox.calls[STABLE]
    report.fetch_bound = 1 + revokes + 2 * on_stable
    live: Counter[str] = Counter()
    arrivals: Counter[str] = Counter()
    wanted = set(report.markers)
    for request in list(sandbox.requests):
        if request.path != SUBSCRIBE:
            continue
        marker = _marker(request.body)
        if marker not in wanted:
            continue
        arrivals[marker] += 1
        token = sandbox.tokens.get(request.query.get("access_token", ""))
        if token is not None and not token.revoked:
            live[marker] += 1
    report.duplicates = [m for m in wanted if live[m] > 1 or arrivals[m] > 2]


def _marker(body: bytes) -> str:
    start = body.find(b'"character_string1":{"value":"')
    if start < 0:
        return ""
    start += len(b'"character_string1":{"value":"')
    return body[start:start + 32].decode("ascii", "replace")


def violations(report: SoakReport) -> list[str]:
    """The guarantees the run broke (empty: all held)."""
    broken = []
    if report.duplicates:
        broken.append(f"{len(report.duplicates)} subscribe messages processed more than once")
    if report.untyped:
        broken.append(f"untyped failures: {report.untyped[:3]}")
    if report.token_fetches > report.fetch_bound:
        broken.append(f"{report.token_fetches} stable_token requests > bound "
                      f"{report.fetch_bound}")
    if report.longest_call > report.worst_case:
        broken.append(f"a call took {report.longest_call:.2f}s > bound "
                      f"{report.worst_case:.2f}s")
    return broken
