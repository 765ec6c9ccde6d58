"""Every sync facade's public method exists on its async counterpart with the same
parameters, and is a coroutine function there (an async iterator where the sync one
iterates); the few methods that are sync by nature are listed, each with its reason."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import wxcore
from wxcore.adapters.async_component import (
    AsyncAuthorizerMiniProgram,
    AsyncAuthorizerOfficialAccount,
)
from wxcore.adapters.component import AuthorizerMiniProgram, AuthorizerOfficialAccount
from wxcore.adapters.webauth import AsyncWebAuth, WebAuth

#: (sync facade, async facade): the public ones from wxcore's top level, the authorizer
#: clients a component hands out, and the web-authorization flow ``web_auth()`` gives.
PAIRS: list[tuple[type, type]] = [
    (wxcore.MiniProgram, wxcore.AsyncMiniProgram),
    (wxcore.OfficialAccount, wxcore.AsyncOfficialAccount),
    (wxcore.Component, wxcore.AsyncComponent),
    (AuthorizerOfficialAccount, AsyncAuthorizerOfficialAccount),
    (AuthorizerMiniProgram, AsyncAuthorizerMiniProgram),
    (WebAuth, AsyncWebAuth),
]

#: Methods that stay plain functions on the async facades: they do no I/O.
SYNC_BY_NATURE = {
    # the client's own set-up: credentials, providers, store keys, the clock
    "add_credential", "credential_provider", "set_access_token", "ticket_provider",
    "store_key", "now", "today", "authorizer_token_provider",
    # pure builders of URLs and signatures (no call to WeChat, no token)
    "authorize_url", "authorize", "qrconnect_url", "show_qrcode_url", "jsapi_signature",
    "card_signature", "subscribe_authorize_url", "component_authorize_url",
    "get_component_oauth_url", "login_page_url", "bind_component_url",
    "start",  # WebAuth.start: the authorize URL with a freshly signed state
    # pure decoding and checks of what WeChat or a client sent
    "decrypt_data", "decrypt_phone_number", "decrypt_user_info", "check_raw_data",
    "parse_media_check_push", "parse_subscribe_callback", "check_signature",
    "message_push_check",
    # objects made at once (a server, an authorizer client), their I/O comes later
    "message_server", "push_server", "official_account", "mini_program",
    "get_client_by_appid", "get_client", "web_auth",
}

#: Sync names with another form on the async side, by nature of the loop.
DIFFERENT_BY_NATURE = {
    "close",  # the async facades close with ``await aclose()`` / ``async with``
    # threads vs tasks: the sync one bounds worker threads, the async one concurrent tasks
    "refresh_authorizer_tokens",
}

def public_methods(facade: type) -> dict[str, Any]:
    return {name: getattr(facade, name) for name in dir(facade)
            if not name.startswith("_") and callable(getattr(facade, name))
            and not isinstance(getattr(facade, name), type)}


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    """Name, kind and default of each parameter after ``self`` (annotations aside: one side
    may hold them as text, the other resolved)."""
    listed = list(inspect.signature(function).parameters.values())[1:]
    return [(p.name, p.kind, p.default) for p in listed]


def iterates(function: Any) -> bool:
    return str(inspect.signature(function).return_annotation).startswith(("Iterator",
                                                                          "typing.Iterator"))


def parity_problems(sync: type, asynchronous: type) -> list[str]:
    problems = []
    for name, method in sorted(public_methods(sync).items()):
        if name in DIFFERENT_BY_NATURE:
            continue
        counterpart = getattr(asynchronous, name, None)
        if counterpart is None:
            problems.append(f"{name}: missing")
            continue
        if parameters(method) != parameters(counterpart):
            problems.append(f"{name}: parameters {inspect.signature(method)} "
                            f"vs {inspect.signature(counterpart)}")
        if name in SYNC_BY_NATURE:
            continue
        if iterates(method):
            annotation = str(inspect.signature(counterpart).return_annotation)
            if "AsyncIterator" not in annotation:
                problems.append(f"{name}: iterates on the sync side, not an async iterator")
        elif not inspect.iscoroutinefunction(counterpart):
            problems.append(f"{name}: not a coroutine function")
    return problems


@pytest.mark.parametrize(("sync", "asynchronous"), PAIRS,
                         ids=[sync.__name__ for sync, _ in PAIRS])
def test_the_async_facade_has_every_method_of_the_sync_one(sync: type,
                                                            asynchronous: type) -> None:
    problems = parity_problems(sync, asynchronous)
    assert not problems, f"{asynchronous.__name__} lacks:\n" + "\n".join(problems)


def test_the_check_names_what_is_missing() -> None:
    """The check reports a method absent, one with other parameters, one not awaited."""

    class Sync:
        def upload(self, file: bytes) -> None: ...
        def fetch(self, media_id: str) -> None: ...
        def rename(self, old: str) -> None: ...

    class Async:
        async def fetch(self, media_id: str) -> None: ...
        async def rename(self, new: str) -> None: ...

    assert parity_problems(Sync, Async) == [
        "rename: parameters (self, old: 'str') -> 'None' vs (self, new: 'str') -> 'None'",
        "upload: missing"]
    setattr(Async, "fetch", lambda self, media_id: None)  # a plain function, on purpose
    assert parity_problems(Sync, Async)[0] == "fetch: not a coroutine function"


def test_the_allow_lists_name_only_real_methods() -> None:
    """A listed name that no sync facade has is a stale entry (a renamed method)."""
    names = {name for sync, _ in PAIRS for name in public_methods(sync)}
    assert (SYNC_BY_NATURE | DIFFERENT_BY_NATURE) - names == set()
