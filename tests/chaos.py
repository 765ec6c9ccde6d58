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

Used by tests/adapters/test_chaos.py (a few seconds) and benchmarks/chaos_soak.py (by hand).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

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


def _client(server: SandboxServer, deadline: float, busy: CallPolicy) -> MiniProgram:
    app = server.sandbox.default_app
    transport = Urllib3Transport.for_base_url(
        server.base_url, proxy=False, timeout=urllib3.Timeout(connect=1.0, read=0.3))
    retry = RetryPolicy(initial_wait=0.02, max_wait=0.1, jitter=0.02, max_total_wait=0.5,
                        deadline=deadline)
    return MiniProgram(app.appid, app.secret, transport=transport, retry=retry, policy=busy)


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


def soak(seconds: float = 3.0, threads: int = 12, seed: int = 1, deadline: float = 2.0
         ) -> SoakReport:
    """Run the soak; ``deadline`` is each call's bound (RetryPolicy.deadline)."""
    busy = CallPolicy(busy_retries=2, busy_backoff=0.02, busy_backoff_max=0.1)
    report = SoakReport(seconds=seconds,
                        worst_case=deadline + busy.busy_pause(busy.busy_retries - 1) + SLACK)
    injected: list[Fault] = []
    lock = threading.Lock()
    with SandboxServer(WeChatSandbox()) as server:
        sandbox = server.sandbox
        mp = _client(server, deadline, busy)
        openid = mp.code2session(login_code(sandbox, "alice")).openid  # a user the app knows
        stop = threading.Event()
        chaos = threading.Thread(target=_faults, args=(sandbox, random.Random(seed + 1), stop,
                                                       injected), daemon=True)

        def work(index: int) -> None:
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
                        mp.send_subscribe_message(openid, "TPL-chaos",
                                                  {"character_string1": marker})
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

        workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
        chaos.start()
        for w in workers:
            w.start()
        time.sleep(seconds)
        stop.set()
        for w in workers:
            w.join(timeout=report.worst_case + 5)
        chaos.join(timeout=5)
        mp.close()
        _account(sandbox, injected, report)
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
