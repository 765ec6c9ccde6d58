"""The per-call policy, written once as a generator of effects.

A call needs a credential, sends a request, and reacts to what WeChat says. Those reactions
are the same for every endpoint and every way of doing I/O, so they live here, as a generator
that *yields* what it needs done and is *sent* the outcome::

    token = yield NeedCredential("access_token")
    response = yield Send(bind(request, token.value))
    # WeChat says the token is invalid (40001/40014/42001):
    yield Invalidate("access_token", token)     # drop exactly that token, nothing newer
    token = yield NeedCredential("access_token")  # a fresh one
    response = yield Send(bind(request, token.value))  # resend exactly once

An executor (the sync :class:`wxcore.adapters.client.Client`, or an async one later) drives the
generator with :func:`drive`-like loops of a few lines. The rules:

* token-invalid on a refreshable token: invalidate that very token, refetch, resend once;
  a second token-invalid is raised (no loop);
* ``-1`` (system busy) on an idempotent request: pause with exponential back-off and resend,
  at most ``busy_retries`` times; on a non-idempotent request it is raised at once, because
  WeChat may have acted on it;
* everything else (quota, bad credentials, permission) is raised at once.

A call that carries its own credential (``Call.credential``: a user's web OAuth token) is bound
with it and needs no provider; it is not refetched when WeChat rejects it (only the user's
refresh token, or the user, can renew it).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, Union

from wxcore.endpoint import Call
from wxcore.errors import SystemBusyError, TokenInvalidError
from wxcore.http import Request, Response
from wxcore.tokens import Token

__all__ = [
    "NeedCredential",
    "Send",
    "Invalidate",
    "Pause",
    "Effect",
    "CallPolicy",
    "DEFAULT_POLICY",
    "REFRESHABLE_KINDS",
    "RESUMABLE_ERRORS",
    "run_call",
]

T = TypeVar("T")

#: Credential kinds the executor can refetch when WeChat rejects them.
REFRESHABLE_KINDS = frozenset({"access_token", "component_access_token"})


class NeedCredential(NamedTuple):
    """Give me the current credential of this kind (answer: a :class:`Token`)."""

    kind: str


class Send(NamedTuple):
    """Send this (bound) request (answer: a :class:`Response`)."""

    request: Request


class Invalidate(NamedTuple):
    """WeChat rejected ``stale``: forget it, unless it was already replaced (answer: None)."""

    kind: str
    stale: Token


class Pause(NamedTuple):
    """Wait this many seconds before going on (answer: None)."""

    seconds: float
    reason: str


Effect = Union[NeedCredential, Send, Invalidate, Pause]


@dataclass(frozen=True)
class CallPolicy:
    """Semantic retries for one call.

    ``busy_retries`` resends of an idempotent request after errcode -1, pausing
    ``busy_backoff * 2**n`` seconds (at most ``busy_backoff_max``) before resend ``n``.
    """

    busy_retries: int = 2
    busy_backoff: float = 0.5
    busy_backoff_max: float = 4.0

    def busy_pause(self, attempt: int) -> float:
        return float(min(self.busy_backoff * (2**attempt), self.busy_backoff_max))


DEFAULT_POLICY = CallPolicy()

# The effects of the common credential kinds, made once (they are immutable values).
_NEED = {kind: NeedCredential(kind) for kind in
         ("access_token", "app_secret", "component_access_token", "component_secret")}


#: What the policy may still act on after an attempt (the others are raised at once): an
#: executor that made the first attempt itself hands these to :func:`run_call` as ``first``.
RESUMABLE_ERRORS = (TokenInvalidError, SystemBusyError)


def run_call(call: Call[T], policy: CallPolicy = DEFAULT_POLICY,
             first: tuple[Token | None, Response] | None = None) -> Generator[Effect, Any, T]:
    """The effects one call needs, ending with its typed result (or raising).

    ``first`` is a first attempt the executor already made on its own -- the token it sent
    (from the provider of ``call.request.auth.kind``) and the response it got -- because its
    parse raised one of :data:`RESUMABLE_ERRORS`. The common call (one credential, one send,
    one parse) then costs the executor no generator at all, and the rules for what follows
    stay here: the policy goes on from that response exactly as if it had sent the request.
    """
    request = call.request
    kind = request.auth.kind
    token: Token | None = None
    response: Response | None = None
    if first is not None:
        token, response = first
    elif kind is not None and call.credential is not None:
        token = Token(value=call.credential)  # carried by the call (a user's web token)
    elif kind is not None:
        token = yield _NEED.get(kind) or NeedCredential(kind)
    renewed = False
    busy = 0
    while True:
        if response is None:
            response = yield Send(call.bound(token.value if token is not None else None))
        try:
            return call.parse(response)
        except TokenInvalidError:
            if renewed or token is None or kind not in REFRESHABLE_KINDS:
                raise
            renewed = True
            yield Invalidate(kind, token)
            token = yield NeedCredential(kind)
        except SystemBusyError:
            if not request.idempotent or busy >= policy.busy_retries:
                raise
            yield Pause(policy.busy_pause(busy), "errcode -1 (system busy)")
            busy += 1
        response = None
