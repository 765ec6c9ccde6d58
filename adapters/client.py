"""The client: binds an app's credentials, token providers and a transport, and drives calls.

``Client.call(call)`` runs the per-call policy (:func:`wxcore.policy.run_call`), answering its
effects: a credential from the matching provider, a request through the transport, an
invalidation to the provider, a pause through ``sleep``. That loop is the whole executor;
what to do when WeChat says "token invalid" or "busy" is decided in the core.

Facades (:class:`~wxcore.adapters.miniprogram.MiniProgram`, ...) subclass :class:`Client`
and add one-line methods per endpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal, TypeVar

from wxcore.endpoint import Call
from wxcore.errors import UsageError
from wxcore.http import Request
from wxcore.policy import DEFAULT_POLICY, CallPolicy, Invalidate, NeedCredential, Pause, Send, run_call
from wxcore.redact import redact_url
from wxcore.tokens import Token

from wxcore.adapters.retry import DEFAULT_RETRY_POLICY, RetryingTransport, RetryPolicy
from wxcore.adapters.tokens import (
    AccessTokenFetcher,
    CachedTokenProvider,
    ForceRefreshBudget,
    SecretProvider,
    StaticTokenProvider,
    TicketFetcher,
    TokenProvider,
    TokenStore,
)
from wxcore.adapters.transport import Transport, Urllib3Transport

__all__ = ["Client"]

T = TypeVar("T")
logger = logging.getLogger("wxcore.client")


class Client:
    """One WeChat app (appid + secret) and everything needed to call its APIs.

    * ``transport``: how requests reach WeChat (default: :class:`Urllib3Transport` to WeChat's
      hosts with fail-over). It is wrapped in :class:`RetryingTransport` with ``retry``
      unless ``retry`` is None.
    * ``token_provider``: where the access token comes from. By default a
      :class:`CachedTokenProvider` in ``token_store`` (process memory unless given, e.g. a
      Redis store) fetching through ``token_api`` (``"stable"``: cgi-bin/stable_token, or
      ``"token"``: cgi-bin/token). Without a secret, a :class:`StaticTokenProvider` that you
      fill with :meth:`set_access_token`.
    * ``policy``: the per-call semantic retries; ``clock`` and ``sleep`` are injectable so
      tests control time.
    """

    def __init__(
        self,
        appid: str,
        secret: str | None = None,
        *,
        transport: Transport | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY_POLICY,
        token_provider: TokenProvider | None = None,
        token_store: TokenStore | None = None,
        token_api: Literal["stable", "token"] = "stable",
        policy: CallPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not appid:
            raise UsageError("appid is required")
        self.appid = appid
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        base = transport if transport is not None else Urllib3Transport()
        self.transport: Transport = (
            RetryingTransport(base, retry, sleep=sleep) if retry is not None else base
        )
        self.token_store = token_store
        if token_provider is None:
            if secret:
                token_provider = CachedTokenProvider(
                    AccessTokenFetcher(self.call, appid, api=token_api, clock=clock,
                                       budget=ForceRefreshBudget(
                                           clock=clock, store=token_store,
                                           key=f"wxcore:{appid}:force_refresh")),
                    key=f"wxcore:{appid}:access_token:{token_api}",
                    store=token_store,
                    clock=clock,
                )
            else:
                token_provider = StaticTokenProvider(clock=clock)
        self.token_provider = token_provider
        self._credentials: dict[str, TokenProvider] = {
            "access_token": token_provider,
            "app_secret": SecretProvider(secret, "app secret"),
        }
        self._tickets: dict[str, CachedTokenProvider] = {}

    # -- driving calls --------------------------------------------------------------------

    def call(self, call: Call[T]) -> T:
        """Send ``call`` with the right credential and return its typed result."""
        effects = run_call(call, self.policy)
        send = effects.send
        answer: object = None
        debug = logger.isEnabledFor(logging.DEBUG)
        try:
            while True:
                effect = send(answer)
                if type(effect) is Send:
                    if debug:
                        self._log_send(effect.request)
                    answer = self.transport.send(effect.request)
                elif type(effect) is NeedCredential:
                    answer = self.credential_provider(effect.kind).get()
                elif type(effect) is Invalidate:
                    logger.info("%s: WeChat rejected the %s; renewing it once",
                                call.request.endpoint, effect.kind)
                    self.credential_provider(effect.kind).invalidate(effect.stale)
                    answer = None
                elif type(effect) is Pause:
                    logger.warning("%s: %s; resending in %.2fs",
                                   call.request.endpoint, effect.reason, effect.seconds)
                    self._sleep(effect.seconds)
                    answer = None
                else:  # pragma: no cover - the policy only yields the effects above
                    raise TypeError(f"unknown effect {effect!r}")
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def credential_provider(self, kind: str) -> TokenProvider:
        """The provider answering for credential ``kind`` (``access_token``, ...)."""
        try:
            return self._credentials[kind]
        except KeyError:
            raise UsageError(f"this client has no {kind!r} credential; "
                             f"it has {sorted(self._credentials)}") from None

    def add_credential(self, kind: str, provider: TokenProvider) -> None:
        """Make ``provider`` answer for credential ``kind`` (used by component clients)."""
        self._credentials[kind] = provider

    @staticmethod
    def _log_send(request: Request) -> None:
        logger.debug("%s %s (%s)", request.method, redact_url(request.url), request.endpoint)

    # -- tokens -----------------------------------------------------------------------------

    def get_access_token(self) -> str:
        """The current access token (fetched or refreshed if needed)."""
        return self.token_provider.get().value

    def set_access_token(self, access_token: str, expires_in: float | None = 7200) -> None:
        """Use a token obtained elsewhere; ``expires_in=None`` means wxcore never expires it."""
        expires_at = float("inf") if expires_in is None else self._clock() + expires_in
        setter = getattr(self.token_provider, "set", None)
        if setter is None:
            raise UsageError(f"{type(self.token_provider).__name__} does not accept set tokens")
        setter(Token(value=access_token, expires_at=expires_at))

    def ticket_provider(self, ticket_type: Literal["jsapi", "wx_card"] = "jsapi") -> CachedTokenProvider:
        """The cached provider of the JS-SDK (``jsapi``) or card (``wx_card``) ticket."""
        provider = self._tickets.get(ticket_type)
        if provider is None:
            provider = CachedTokenProvider(
                TicketFetcher(self.call, ticket_type, clock=self._clock),
                key=f"wxcore:{self.appid}:ticket:{ticket_type}",
                store=self.token_store,
                clock=self._clock,
            )
            self._tickets[ticket_type] = provider
        return provider

    def get_jsapi_ticket(self) -> str:
        """The JS-SDK ticket for ``wx.config`` signatures, cached for its lifetime."""
        return self.ticket_provider("jsapi").get().value

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        self.transport.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r}, transport={self.transport!r})"


_C = TypeVar("_C", bound=Client)

