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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from wxcore.errors import UsageError
from wxcore.messages.models import BaseEvent, ComponentPush, GenericMessage, Push
from wxcore.messages.replies import ReplyLike

__all__ = ["Handler", "Router"]

Handler = Callable[[Any], ReplyLike]
H = TypeVar("H", bound=Handler)

_ANY_EVENT = "*"


class Router:
    """A table from push kinds to handlers; build it once at start-up, then only read it."""

    __slots__ = ("_messages", "_events", "_keyed", "_infos", "_default")

    def __init__(self) -> None:
        self._messages: dict[str, Handler] = {}
        self._events: dict[str, Handler] = {}
        self._keyed: dict[tuple[str, str], Handler] = {}
        self._infos: dict[str, Handler] = {}
        self._default: Handler | None = None

    def message(self, msg_type: str) -> Callable[[H], H]:
        """Decorator: handle messages of ``msg_type`` (``text``, ``image``, ``file``, ...)."""
        if not msg_type or msg_type == "event":
            raise UsageError("use router.event(...) for events")

        def register(handler: H) -> H:
            self._messages[msg_type] = handler
            return handler

        return register

    def event(self, event: str, key: str | None = None) -> Callable[[H], H]:
        """Decorator: handle ``event`` (``"*"`` for any event), optionally only one EventKey."""
        if not event:
            raise UsageError("event name is required")
        name = event.lower()
        if key is not None and name == "subscribe":
            key = key.removeprefix("qrscene_")

        def register(handler: H) -> H:
            if key is None:
                self._events[name] = handler
            else:
                self._keyed[(name, key)] = handler
            return handler

        return register

    def info(self, info_type: str) -> Callable[[H], H]:
        """Decorator: handle component pushes of ``info_type`` (``authorized``, ...)."""
        if not info_type:
            raise UsageError("info_type is required")

        def register(handler: H) -> H:
            self._infos[info_type] = handler
            return handler

        return register

    def default(self, handler: H) -> H:
        """Decorator: handle everything no other route matched."""
        self._default = handler
        return handler

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
        """Call the matching handler; ``None`` when no handler matches."""
        handler = self.resolve(message)
        return None if handler is None else handler(message)
