"""The clients: an app's credentials and providers (:class:`ClientBase`), driven synchronously.

``Client.call(call)`` runs the per-call policy (:func:`wxcore.policy.run_call`), answering its
effects: a credential from the matching provider, a request through the transport, an
invalidation to the provider, a pause through ``sleep``. That loop is the whole executor;
what to do when WeChat says "token invalid" or "busy" is decided in the core, and what every
executor shares (credential wiring, providers per credential kind, store keys) is in
:class:`ClientBase`, so an async executor adds only its own loop and providers.

Facades (:class:`~wxcore.adapters.miniprogram.MiniProgram`, ...) mix the endpoint
declarations of :mod:`wxcore.facade` into a client class.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypedDict, TypeVar

from wxcore.endpoint import Call
from wxcore.errors import UsageError
from wxcore.http import Request, Response
from wxcore.policy import (
    DEFAULT_POLICY,
    RESUMABLE_ERRORS,
    CallPolicy,
    Effect,
    Invalidate,
    NeedCredential,
    Pause,
    Send,
    run_call,
)
from wxcore.redact import redact_url
from wxcore.tokens import Token

from wxcore.adapters.deadline import close_deadline, open_deadline
from wxcore.adapters.retry import DEFAULT_RETRY_POLICY, RetryingTransport, RetryPolicy
from wxcore.adapters.stores import token_key
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
from wxcore.adapters.transport import Transport

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ClientOptions", "ClientBase", "Client"]

T = TypeVar("T")


class AnyProvider(Protocol):
    """A token provider of either kind: ``get`` and ``invalidate`` return a value (sync) or
    an awaitable (async); :meth:`ClientBase._answer_effect` hands either to its executor."""

    def get(self) -> Any: ...

    def invalidate(self, stale: Token) -> Any: ...


P = TypeVar("P", bound=AnyProvider)  # the executor's kind of token provider (sync, or async)
S = TypeVar("S")  # the executor's kind of token store
logger = logging.getLogger("wxcore.client")


class ClientOptions(TypedDict, total=False):
    """What every executor takes besides appid and secret (see :class:`ClientBase`); each
    client's ``__init__`` accepts these as keywords, typed once here."""

    token_provider: TokenProvider | None
    token_store: TokenStore | None
    token_api: Literal["stable", "token"]
    ticket_providers: Mapping[str, TokenProvider] | None
    policy: CallPolicy
    clock: Callable[[], float]


_OPTION_NAMES = frozenset(ClientOptions.__annotations__)


class ClientBase(Generic[P, S]):
    """What every executor shares: an app's credentials, its providers, its store keys.

    The sync :class:`Client` (and an async client) add only the loop that drives
    :func:`wxcore.policy.run_call` and the providers that fit their way of doing I/O, through
    hooks: :meth:`_default_token_provider`, :meth:`_new_ticket_provider` and
    :meth:`_immediate` (a provider that does no I/O, such as the app secret, in their kind).
    ``P`` and ``S`` are the executor's kinds of token provider and token store; the options
    are the executor's own (:class:`ClientOptions` for the sync one).

    * ``token_provider``: where the access token comes from; by default one the executor
      makes from ``secret`` (cached in ``token_store``, fetched through ``token_api``:
      ``"stable"`` for cgi-bin/stable_token, ``"token"`` for cgi-bin/token), or, without a
      secret, a static provider you fill with :meth:`set_access_token`.
    * ``ticket_providers``: JS-SDK / card ticket providers to use instead of fetching tickets
      with this client (for example the central token service's).
    * Store keys come from :func:`wxcore.adapters.stores.token_key`, so every process and
      every kind of client that shares a store shares its keys.
    """

    def __init__(self, appid: str, secret: str | None = None,
                 **options: Any) -> None:
        unknown = sorted(set(options) - _OPTION_NAMES)
        if unknown:  # the TypedDict types them for mypy; at run time nothing else checks
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s) "
                            f"{', '.join(map(repr, unknown))}; it takes "
                            f"{', '.join(sorted(_OPTION_NAMES))} besides its own")
        token_provider: P | None = options.get("token_provider")
        token_store: S | None = options.get("token_store")
        token_api: Literal["stable", "token"] = options.get("token_api", "stable")
        ticket_providers: Mapping[str, P] | None = options.get("ticket_providers")
        policy: CallPolicy = options.get("policy", DEFAULT_POLICY)
        clock: Callable[[], float] = options.get("clock", time.time)
        if not appid or not isinstance(appid, str):
            raise UsageError("appid is required (a non-empty string)")
        if token_api not in ("stable", "token"):
            raise UsageError(f"token_api must be 'stable' or 'token' (got {token_api!r})")
        self.appid = appid
        self.policy = policy
        self.token_store = token_store
        self.token_api = token_api
        self._clock = clock
        self._secret_provider = SecretProvider(secret, "app secret")
        self._tickets: dict[str, P] = dict(ticket_providers or {})
        if token_provider is None:
            token_provider = self._default_token_provider(secret)
        self.token_provider = token_provider
        self._credentials: dict[str, P] = {
            "access_token": token_provider,
            "app_secret": self._immediate(self._secret_provider),
        }

    def now(self) -> float:
        """The current time by this client's clock (what builders' date rules are given)."""
        return self._clock()

    def store_key(self, kind: str, variant: str | None = None) -> str:
        """This app's key for credential ``kind`` in a shared store."""
        return token_key(self.appid, kind, variant)

    # -- hooks of each executor -------------------------------------------------------------

    def _default_token_provider(self, secret: str | None) -> P:
        raise NotImplementedError

    def _new_ticket_provider(self, ticket_type: Literal["jsapi", "wx_card"]) -> P:
        raise NotImplementedError

    def _immediate(self, provider: TokenProvider) -> P:
        raise NotImplementedError

    # -- what both call loops share ---------------------------------------------------------
    #
    # An executor's ``call`` makes the first attempt itself (the credential from its
    # provider, ``call.bound``, one send, one parse) and hands only the outcomes the policy acts on
    # (``RESUMABLE_ERRORS``) to ``run_call(call, first=(token, response))``; the generator
    # is driven from the start only for a call that carries its own credential. Answering
    # the policy's effects is written once, here: each answer is what the executor's own
    # transport, provider or ``sleep`` returns -- a value for the sync client, an awaitable
    # for the async one, which awaits it.

    def _resumed(self, call: Call[T], token: Token | None,
                 response: Response) -> Generator[Effect, Any, T]:
        """The policy going on from a first attempt whose parse raised a resumable error."""
        return run_call(call, self.policy, first=(token, response))

    def _answer_effect(self, call: Call[Any], effect: Effect) -> Any:
        """What the executor does for ``effect`` (its result, or an awaitable of it)."""
        if type(effect) is Send:
            if logger.isEnabledFor(logging.DEBUG):
                log_send(effect.request)
            return self._effect_send(effect.request)
        if type(effect) is NeedCredential:
            return self.credential_provider(effect.kind).get()
        if type(effect) is Invalidate:
            logger.info("%s: WeChat rejected the %s; renewing it once",
                        call.request.endpoint, effect.kind)
            return self.credential_provider(effect.kind).invalidate(effect.stale)
        if type(effect) is Pause:
            logger.warning("%s: %s; resending in %.2fs",
                           call.request.endpoint, effect.reason, effect.seconds)
            return self._effect_pause(effect.seconds)
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover - the policy yields no other

    def _effect_send(self, request: Request) -> Any:
        raise NotImplementedError

    def _effect_pause(self, seconds: float) -> Any:
        raise NotImplementedError

    # -- credentials ------------------------------------------------------------------------

    def credential_provider(self, kind: str) -> P:
        """The provider answering for credential ``kind`` (``access_token``, ...)."""
        try:
            return self._credentials[kind]
        except KeyError:
            raise UsageError(f"this client has no {kind!r} credential; "
                             f"it has {sorted(self._credentials)}") from None

    def add_credential(self, kind: str, provider: P) -> None:
        """Make ``provider`` answer for credential ``kind`` (used by component clients)."""
        self._credentials[kind] = provider

    def set_access_token(self, access_token: str, expires_in: float | None = 7200) -> None:
        """Use a token obtained elsewhere; ``expires_in=None`` means wxcore never expires it."""
        expires_at = float("inf") if expires_in is None else self._clock() + expires_in
        setter = getattr(self.token_provider, "set", None)
        if setter is None:
            raise UsageError(f"{type(self.token_provider).__name__} does not accept set tokens")
        setter(Token(value=access_token, expires_at=expires_at))

    def ticket_provider(self, ticket_type: Literal["jsapi", "wx_card"] = "jsapi") -> P:
        """The provider of the JS-SDK (``jsapi``) or card (``wx_card``) ticket."""
        if ticket_type not in ("jsapi", "wx_card"):
            raise UsageError(f"ticket_type must be 'jsapi' or 'wx_card' (got {ticket_type!r})")
        provider = self._tickets.get(ticket_type)
        if provider is None:
            provider = self._tickets[ticket_type] = self._new_ticket_provider(ticket_type)
        return provider

    def __repr__(self) -> str:
        return f"{type(self).__name__}(appid={self.appid!r})"


class Client(ClientBase[TokenProvider, TokenStore]):
    """One WeChat app (appid + secret) and everything needed to call its APIs, synchronously.

    * ``transport``: how requests reach WeChat (default: :class:`Urllib3Transport` to WeChat's
      hosts with fail-over). It is wrapped in :class:`RetryingTransport` with ``retry``
      unless ``retry`` is None.
    * ``sleep`` is injectable (with ``clock``) so tests control time.
    * Credentials, token and ticket providers, store keys: see :class:`ClientBase`.
    """

    def __init__(
        self,
        appid: str,
        secret: str | None = None,
        *,
        transport: Transport | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        **options: Unpack[ClientOptions],
    ) -> None:
        self._sleep = sleep
        if transport is None:  # urllib3 is imported here, not with the client's module
            from wxcore.adapters.urllib3_transport import Urllib3Transport

            transport = Urllib3Transport()
        self.transport: Transport = (
            RetryingTransport(transport, retry, sleep=sleep) if retry is not None else transport
        )
        self._deadline = retry.deadline if retry is not None else None
        super().__init__(appid, secret, **options)

    def _immediate(self, provider: TokenProvider) -> TokenProvider:
        return provider

    def _default_token_provider(self, secret: str | None) -> TokenProvider:
        if not secret:
            return StaticTokenProvider(clock=self._clock)
        budget = ForceRefreshBudget(clock=self._clock, store=self.token_store,
                                    key=self.store_key("force_refresh"))
        fetcher = AccessTokenFetcher(self.call, self.appid, api=self.token_api,
                                     clock=self._clock, budget=budget)
        return CachedTokenProvider(fetcher, key=self.store_key("access_token", self.token_api),
                                   store=self.token_store, clock=self._clock)

    def _new_ticket_provider(self, ticket_type: Literal["jsapi", "wx_card"]) -> TokenProvider:
        fetcher = TicketFetcher(self.call, ticket_type, clock=self._clock)
        return CachedTokenProvider(fetcher, key=self.store_key("ticket", ticket_type),
                                   store=self.token_store, clock=self._clock)

    # -- driving calls --------------------------------------------------------------------

    def call(self, call: Call[T]) -> T:
        """Send ``call`` with the right credential and return its typed result, within the
        retry policy's ``deadline`` (every send, resend, pause and token fetch included)."""
        limit = self._deadline
        if limit is None:  # no deadline to set: no context variable touched
            return self._drive(call)
        opened = open_deadline(limit)
        try:
            return self._drive(call)
        finally:
            close_deadline(opened)

    def _drive(self, call: Call[T]) -> T:
        if call.credential is not None:  # a user's own token: the policy from the start
            return self._drive_effects(call, run_call(call, self.policy))
        request = call.request
        kind = request.auth.kind
        token = None
        if kind is not None:
            provider = self._credentials.get(kind)
            token = (provider or self.credential_provider(kind)).get()
        bound = call.bound(token.value if token is not None else None)
        if logger.isEnabledFor(logging.DEBUG):  # the redacted URL costs a regex: log only
            log_send(bound)
        response = self.transport.send(bound)
        try:
            return call.endpoint.parse(response)  # what call.parse does, one frame less
        except RESUMABLE_ERRORS:
            return self._drive_effects(call, self._resumed(call, token, response))

    def _drive_effects(self, call: Call[T], effects: Generator[Effect, Any, T]) -> T:
        """Drive the policy to its end, answering each effect (see ClientBase._answer_effect)."""
        answer: Any = None
        try:
            while True:
                answer = self._answer_effect(call, effects.send(answer))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # StopIteration.value is Any

    def _effect_send(self, request: Request) -> Response:
        return self.transport.send(request)

    def _effect_pause(self, seconds: float) -> None:
        self._sleep(seconds)

    # -- tokens -----------------------------------------------------------------------------

    def get_access_token(self) -> str:
        """The current access token (fetched or refreshed if needed)."""
        return self.token_provider.get().value

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


def log_send(request: Request) -> None:
    """The debug line of one send (the URL redacted: call it only when debug is on)."""
    logger.debug("%s %s (%s)", request.method, redact_url(request.url), request.endpoint)
