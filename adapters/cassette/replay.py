"""Replay: a transport answering from a cassette as WeChat would, and clients built on it
with dummy credentials so that no token is fetched."""

from __future__ import annotations

import os
import threading
from typing import Any, Literal, TypeVar

from wxcore.errors import ConnectError, ReadError, ReadTimeoutError, TransportError
from wxcore.http import Request, Response
from wxcore.tokens import Token

from wxcore.adapters.cassette.diagnostics import explain_mismatch, unused_report
from wxcore.adapters.cassette.matching import View, matches, recorded_view, sent_view
from wxcore.adapters.cassette.model import (
    Cassette,
    CassetteMismatchError,
    Interaction,
    RecordedError,
    RecordedResponse,
    UnusedInteractionsError,
)
from wxcore.adapters.cassette.storage import load_cassette
from wxcore.adapters.client import Client
from wxcore.adapters.tokens import StaticTokenProvider

__all__ = ["ReplayTransport", "replay_client", "replay_token", "REPLAY_SECRET",
           "REPLAY_ACCESS_TOKEN"]

class ReplayTransport:
    """Answers requests from a cassette, as if WeChat had.

    ``order="strict"``: each request must match the next unused exchange; ``"any"``: the
    first unused exchange that matches. ``repeat=True`` lets an exchange answer again once
    all matching ones were used. Every mismatch is kept in :attr:`mismatches` as well as
    raised, so a test harness can fail a test whose code swallowed the error.
    """

    def __init__(
        self,
        cassette: Cassette | str | os.PathLike[str],
        *,
        order: Literal["strict", "any"] = "strict",
        repeat: bool = False,
        source: str | None = None,
    ) -> None:
        if order not in ("strict", "any"):
            raise ValueError(f"order must be 'strict' or 'any', not {order!r}")
        if isinstance(cassette, Cassette):
            self.cassette = cassette
            self.source = source or f"cassette {cassette.name!r}"
        else:
            self.cassette = load_cassette(cassette)
            self.source = source or str(cassette)
        self.order = order
        self.repeat = repeat
        self.uses = [0] * len(self.cassette.interactions)
        self.mismatches: list[CassetteMismatchError] = []
        #: The index of the exchange that answered each request, in order.
        self.history: list[int] = []
        self._lock = threading.Lock()

    @property
    def interactions(self) -> list[Interaction]:
        return self.cassette.interactions

    def send(self, request: Request) -> Response:
        sent = sent_view(request)
        with self._lock:
            index = self._find(request, sent)
            if index is None:
                error = CassetteMismatchError(explain_mismatch(
                    self.interactions, self.uses, self.order, self.source, request, sent))
                self.mismatches.append(error)
                raise error
            self.uses[index] += 1
            self.history.append(index)
        interaction = self.interactions[index]
        if isinstance(interaction.error, RecordedError):
            raise self._error(interaction.error, request)
        assert isinstance(interaction.response, RecordedResponse)
        return interaction.response.to_response()

    def _find(self, request: Request, sent: View) -> int | None:
        unused = [i for i, n in enumerate(self.uses) if n == 0]
        if self.order == "strict":
            candidates = unused[:1]
        else:
            candidates = unused
        for i in candidates:
            if matches(recorded_view(self.interactions[i].request, request), sent):
                return i
        if self.repeat:
            for i in reversed(range(len(self.uses))):
                if self.uses[i] and matches(
                        recorded_view(self.interactions[i].request, request), sent):
                    return i
        return None

    @staticmethod
    def _error(recorded: RecordedError, request: Request) -> TransportError:
        cls: type[TransportError] = {
            "connect": ConnectError, "read": ReadError, "read_timeout": ReadTimeoutError,
        }.get(recorded.kind, TransportError)
        message = recorded.message or f"{request.endpoint}: recorded {recorded.kind} failure"
        return cls(message, endpoint=request.endpoint)

    # -- reporting ------------------------------------------------------------------------

    def unused(self) -> list[tuple[int, Interaction]]:
        """The exchanges no request has used yet, with their index."""
        return [(i, it) for i, (it, n) in enumerate(zip(self.interactions, self.uses)) if not n]

    def report_unused(self) -> str:
        """A readable list of the unused exchanges ("" when every one was used)."""
        return unused_report(self.unused(), len(self.uses), self.source)

    def assert_all_used(self) -> None:
        """Raise :class:`UnusedInteractionsError` if some exchange was never requested."""
        report = self.report_unused()
        if report:
            raise UnusedInteractionsError(report)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"ReplayTransport({self.source}, {sum(map(bool, self.uses))}/{len(self.uses)} used)"


# -- clients on a cassette ----------------------------------------------------------------

C = TypeVar("C", bound=Client)

#: The dummy credentials a replaying client carries: never sent anywhere real.
REPLAY_SECRET = "replay-app-secret"
REPLAY_ACCESS_TOKEN = "replay-access-token"


def _no_sleep(seconds: float) -> None:
    pass


def replay_client(
    cls: type[C],
    cassette: Cassette | ReplayTransport | str | os.PathLike[str],
    *,
    appid: str | None = None,
    tokens: Literal["static", "fetch"] = "static",
    order: Literal["strict", "any"] = "strict",
    repeat: bool = False,
    **kwargs: Any,
) -> C:
    """A ``cls`` (``Client`` or a facade) answering from ``cassette``.

    The client carries dummy credentials and, with ``tokens="static"``, a fixed access token,
    so it makes exactly the requests the code under test makes and no token fetch. With
    ``tokens="fetch"`` it fetches its token through the cassette as a real client does.
    ``appid`` defaults to the cassette's. No retry wrapper and no real sleeping: the
    replay transport is ``client.transport``.
    """
    transport = (cassette if isinstance(cassette, ReplayTransport)
                 else ReplayTransport(cassette, order=order, repeat=repeat))
    kwargs.setdefault("sleep", _no_sleep)
    token = replay_token(tokens)
    if token is not None:
        kwargs.setdefault("token_provider", StaticTokenProvider(token))
    appid = appid if appid is not None else transport.cassette.default_appid()
    return cls(appid, REPLAY_SECRET, transport=transport, retry=None, **kwargs)


def replay_token(tokens: Literal["static", "fetch"]) -> Token | None:
    """The fixed access token of replaying clients (None with ``tokens="fetch"``)."""
    if tokens == "static":
        return Token(value=REPLAY_ACCESS_TOKEN)
    if tokens != "fetch":
        raise ValueError(f"tokens must be 'static' or 'fetch', not {tokens!r}")
    return None
