"""What the component tests share: the sandbox platform's credentials and the wiring."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

from support import FakeClock

from wxcore.adapters.component import Component
from wxcore.adapters.message_server import MessageServer
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.component_platform import Platform, add_component

__all__ = ["COMPONENT_APPID", "COMPONENT_SECRET", "PUSH_TOKEN", "AES_KEY", "AUTHORIZER",
           "Platformed", "make_component", "platformed_on"]

COMPONENT_APPID = "wx3e9a7c1b5d2f8046"
COMPONENT_SECRET = "c0mp0nent0secret0f0r0sandbox0000"
PUSH_TOKEN = "componentpushtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
AUTHORIZER = "wx5c2e8a1f7b3d9046"


@dataclass
class Platformed:
    """A component, its push server, and the sandbox's record of it."""

    component: Component
    server: MessageServer
    platform: Platform
    sandbox: WeChatSandbox
    clock: FakeClock


def make_component(sandbox: WeChatSandbox, clock: FakeClock, db: pathlib.Path) -> Component:
    return Component(COMPONENT_APPID, COMPONENT_SECRET, credential_store=str(db),
                     transport=SandboxTransport(sandbox, sleep=clock.sleep),
                     clock=clock, sleep=clock.sleep)


def platformed_on(sandbox: WeChatSandbox, clock: FakeClock, db: pathlib.Path) -> Platformed:
    """A component registered in ``sandbox``, pushes delivered to its push server in-process."""
    component = make_component(sandbox, clock, db)
    server = component.push_server(PUSH_TOKEN, AES_KEY)

    def deliver(query: dict[str, str], body: bytes) -> bytes:
        return server.respond("POST", query, body)[2]

    found = add_component(sandbox, COMPONENT_APPID, COMPONENT_SECRET, token=PUSH_TOKEN,
                          encoding_aes_key=AES_KEY, target=deliver)
    return Platformed(component, server, found, sandbox, clock)
