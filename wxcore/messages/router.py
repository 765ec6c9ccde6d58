"""Route typed pushes to handlers by message type, event (and event key), or InfoType (pure).

::

    router = Router()

    @router.message("text")
    def echo(msg: TextMessage) -> str:
        return msg.Content                   # a str is a text reply

    @router.event("CLICK", key="V1001_TODAY_MUSIC")
    def today(msg: ClickEvent) -> Reply: ...

    @router.event("subscribe")               # any follow, QR code or not
    def welcome(msg: SubscribeEvent) -> str: ...

    @router.info("component_verify_ticket")  # Open Platform component pushes
    def save_ticket(push: ComponentVerifyTicketPush) -> None: ...

    @router.default
    def fallback(msg: Push) -> None: ...     # None: answer "success"

Lookup order: (event, key) → event → "any event" (``router.event("*")``) → message type →
default. Event names match case-insensitively (WeChat writes ``subscribe`` but ``SCAN``).
For ``subscribe``, a key matches the scene with or without WeChat's ``qrscene_`` prefix.

Handlers may be ``async def`` functions too (typed the same way): the async server
(``AsyncMessageServer``, ASGI) awaits them on the event loop and runs plain functions in a
worker thread. The sync server (``MessageServer``, WSGI) cannot await, so it refuses a
router with async handlers when it is built, and a handler that returns an awaitable when
it is called (:class:`~wxcore.errors.UsageError`).

Typed: ``router.message("text")`` hands its handler a :class:`TextMessage`, and says so to
type checkers. The decorators are overloaded on the literal type names WeChat documents
(``router.event("CLICK")`` takes a ``Callable[[ClickEvent], ...]``), so mypy rejects a
handler annotated with the wrong class or returning something that is not a reply. A name
that is not modelled (or not a literal) gets an untyped registrar: such pushes arrive as
:class:`GenericMessage`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, Generic, Literal, TypeVar, Union, overload

from wxcore.errors import UsageError
from wxcore.messages.models import (
    AuthorizedPush,
    BaseEvent,
    ClickEvent,
    ComponentPush,
    ComponentVerifyTicketPush,
    FileMessage,
    GenericMessage,
    ImageMessage,
    LinkMessage,
    LocationEvent,
    LocationMessage,
    MediaCheckEvent,
    MiniProgramPageMessage,
    Push,
    ScanEvent,
    ShortVideoMessage,
    SubscribeEvent,
    SubscribeMsgChangeEvent,
    SubscribeMsgPopupEvent,
    SubscribeMsgSentEvent,
    TemplateSendJobFinishEvent,
    TextMessage,
    UnauthorizedPush,
    UnsubscribeEvent,
    UpdateAuthorizedPush,
    UserEnterTempSessionEvent,
    VideoMessage,
    WeappAuditDelayEvent,
    WeappAuditFailEvent,
    WeappAuditSuccessEvent,
    ViewEvent,
    VoiceMessage,
)
from wxcore.messages.replies import ReplyLike

__all__ = ["Handler", "Registrar", "Router", "refuse_awaitable"]

#: A registered handler: a function of the push returning a reply, or an async one.
Handler = Callable[[Any], Union[ReplyLike, Awaitable[ReplyLike]]]
M = TypeVar("M")
R = TypeVar("R", bound=ReplyLike)
#: What an "any event" handler receives: a modelled event, or an unmodelled one.
AnyEvent = Union[BaseEvent, GenericMessage]

_ANY_EVENT = "*"


class Registrar(Generic[M]):
    """The decorator ``router.message(...)`` / ``event(...)`` / ``info(...)`` returns.

    Its type parameter is the push class the handler will receive; the handler is returned
    unchanged (typed as a callable taking that class).
    """

    __slots__ = ("_register",)

    def __init__(self, register: Callable[[Handler], None]) -> None:
        self._register = register

    @overload
    def __call__(self, handler: Callable[[M], Coroutine[Any, Any, R]]
                 ) -> Callable[[M], Coroutine[Any, Any, R]]: ...
    @overload
    def __call__(self, handler: Callable[[M], R]) -> Callable[[M], R]: ...

    def __call__(self, handler: Handler) -> Handler:
        self._register(handler)
        return handler


class Router:
    """A table from push kinds to handlers; build it once at start-up, then only read it."""

    __slots__ = ("_messages", "_events", "_keyed", "_infos", "_default")

    def __init__(self) -> None:
        self._messages: dict[str, Handler] = {}
        self._events: dict[str, Handler] = {}
        self._keyed: dict[tuple[str, str], Handler] = {}
        self._infos: dict[str, Handler] = {}
        self._default: Handler | None = None

    # One overload per modelled type (the names as WeChat writes them); a test checks
    # these against the runtime tables MESSAGE_TYPES, EVENT_TYPES and COMPONENT_TYPES.
    @overload
    def message(self, msg_type: Literal["text"]) -> Registrar[TextMessage]: ...
    @overload
    def message(self, msg_type: Literal["image"]) -> Registrar[ImageMessage]: ...
    @overload
    def message(self, msg_type: Literal["voice"]) -> Registrar[VoiceMessage]: ...
    @overload
    def message(self, msg_type: Literal["video"]) -> Registrar[VideoMessage]: ...
    @overload
    def message(self, msg_type: Literal["shortvideo"]) -> Registrar[ShortVideoMessage]: ...
    @overload
    def message(self, msg_type: Literal["location"]) -> Registrar[LocationMessage]: ...
    @overload
    def message(self, msg_type: Literal["link"]) -> Registrar[LinkMessage]: ...
    @overload
    def message(self, msg_type: Literal["file"]) -> Registrar[FileMessage]: ...
    @overload
    def message(self, msg_type: Literal["miniprogrampage"]) -> Registrar[MiniProgramPageMessage]: ...
    @overload
    def message(self, msg_type: str) -> Registrar[Any]: ...

    def message(self, msg_type: str) -> Registrar[Any]:
        """Decorator: handle messages of ``msg_type`` (``text``, ``image``, ``file``, ...)."""
        if not msg_type or msg_type == "event":
            raise UsageError("use router.event(...) for events")

        def register(handler: Handler) -> None:
            self._messages[msg_type] = handler

        return Registrar(register)

    @overload
    def event(self, event: Literal["subscribe"], key: str | None = None) -> Registrar[SubscribeEvent]: ...
    @overload
    def event(self, event: Literal["unsubscribe"], key: str | None = None) -> Registrar[UnsubscribeEvent]: ...
    @overload
    def event(self, event: Literal["SCAN", "scan"], key: str | None = None) -> Registrar[ScanEvent]: ...
    @overload
    def event(self, event: Literal["LOCATION", "location"],
              key: str | None = None) -> Registrar[LocationEvent]: ...
    @overload
    def event(self, event: Literal["CLICK", "click"], key: str | None = None) -> Registrar[ClickEvent]: ...
    @overload
    def event(self, event: Literal["VIEW", "view"], key: str | None = None) -> Registrar[ViewEvent]: ...
    @overload
    def event(self, event: Literal["TEMPLATESENDJOBFINISH", "templatesendjobfinish"],
              key: str | None = None) -> Registrar[TemplateSendJobFinishEvent]: ...
    @overload
    def event(self, event: Literal["subscribe_msg_popup_event"],
              key: str | None = None) -> Registrar[SubscribeMsgPopupEvent]: ...
    @overload
    def event(self, event: Literal["subscribe_msg_change_event"],
              key: str | None = None) -> Registrar[SubscribeMsgChangeEvent]: ...
    @overload
    def event(self, event: Literal["subscribe_msg_sent_event"],
              key: str | None = None) -> Registrar[SubscribeMsgSentEvent]: ...
    @overload
    def event(self, event: Literal["wxa_media_check"], key: str | None = None) -> Registrar[MediaCheckEvent]: ...
    @overload
    def event(self, event: Literal["user_enter_tempsession"],
              key: str | None = None) -> Registrar[UserEnterTempSessionEvent]: ...
    @overload
    def event(self, event: Literal["weapp_audit_success"],
              key: str | None = None) -> Registrar[WeappAuditSuccessEvent]: ...
    @overload
    def event(self, event: Literal["weapp_audit_fail"],
              key: str | None = None) -> Registrar[WeappAuditFailEvent]: ...
    @overload
    def event(self, event: Literal["weapp_audit_delay"],
              key: str | None = None) -> Registrar[WeappAuditDelayEvent]: ...
    @overload
    def event(self, event: Literal["*"], key: str | None = None) -> Registrar[AnyEvent]: ...
    @overload
    def event(self, event: str, key: str | None = None) -> Registrar[Any]: ...

    def event(self, event: str, key: str | None = None) -> Registrar[Any]:
        """Decorator: handle ``event`` (``"*"`` for any event), optionally only one EventKey."""
        if not event:
            raise UsageError("event name is required")
        name = event.lower()
        if key is not None and name == "subscribe":
            key = key.removeprefix("qrscene_")

        def register(handler: Handler) -> None:
            if key is None:
                self._events[name] = handler
            else:
                self._keyed[(name, key)] = handler

        return Registrar(register)

    @overload
    def info(self, info_type: Literal["component_verify_ticket"]) -> Registrar[ComponentVerifyTicketPush]: ...
    @overload
    def info(self, info_type: Literal["authorized"]) -> Registrar[AuthorizedPush]: ...
    @overload
    def info(self, info_type: Literal["updateauthorized"]) -> Registrar[UpdateAuthorizedPush]: ...
    @overload
    def info(self, info_type: Literal["unauthorized"]) -> Registrar[UnauthorizedPush]: ...
    @overload
    def info(self, info_type: str) -> Registrar[Any]: ...

    def info(self, info_type: str) -> Registrar[Any]:
        """Decorator: handle component pushes of ``info_type`` (``authorized``, ...)."""
        if not info_type:
            raise UsageError("info_type is required")

        def register(handler: Handler) -> None:
            self._infos[info_type] = handler

        return Registrar(register)

    @overload
    def default(self, handler: Callable[[Push], Coroutine[Any, Any, R]]
                ) -> Callable[[Push], Coroutine[Any, Any, R]]: ...
    @overload
    def default(self, handler: Callable[[Push], R]) -> Callable[[Push], R]: ...

    def default(self, handler: Handler) -> Handler:
        """Decorator: handle everything no other route matched (any :data:`Push`)."""
        self._default = handler
        return handler

    def handlers(self) -> Iterator[Handler]:
        """Every registered handler (servers check them when they are built)."""
        yield from self._messages.values()
        yield from self._events.values()
        yield from self._keyed.values()
        yield from self._infos.values()
        if self._default is not None:
            yield self._default

    def resolve(self, message: Push) -> Handler | None:
        """The handler for ``message``, or ``None`` when nothing (not even a default) matches."""
        if isinstance(message, ComponentPush) or (
            isinstance(message, GenericMessage) and message.InfoType and not message.MsgType
        ):
            return self._infos.get(message.InfoType) or self._default
        if isinstance(message, BaseEvent) or (
            isinstance(message, GenericMessage) and message.MsgType == "event"
        ):
            name = message.Event.lower()
            if self._keyed:
                key = getattr(message, "EventKey", None)
                if key is None:
                    key = message.raw.get("EventKey")
                if type(key) is str:
                    if name == "subscribe":
                        key = key.removeprefix("qrscene_")
                    handler = self._keyed.get((name, key))
                    if handler is not None:
                        return handler
            return self._events.get(name) or self._events.get(_ANY_EVENT) or self._default
        return self._messages.get(message.MsgType) or self._default

    def dispatch(self, message: Push) -> ReplyLike:
        """Call the matching (sync) handler; ``None`` when no handler matches."""
        handler = self.resolve(message)
        if handler is None:
            return None
        answer = handler(message)
        if isinstance(answer, Awaitable):
            refuse_awaitable(answer, handler)
        return answer  # type: ignore[return-value]  # not awaitable, so a ReplyLike


def refuse_awaitable(answer: Awaitable[Any], handler: Handler) -> None:
    """A sync executor cannot await: close the coroutine (no "never awaited") and say so."""
    close = getattr(answer, "close", None)
    if callable(close):
        close()
    name = getattr(handler, "__qualname__", None) or repr(handler)
    raise UsageError(f"handler {name} is async (it returned an awaitable): the sync message "
                     "server cannot await it; serve the router with AsyncMessageServer (ASGI) "
                     "or make the handler a plain function")
