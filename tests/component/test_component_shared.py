"""Two platform processes' worth of Component objects sharing a real Redis token store: the
component token and an authorizer's token are fetched once for all (the store's lease), and
an authorizer's JS-SDK ticket comes from the authorizer token."""

from __future__ import annotations

import pathlib
import secrets
import threading

from component_support import AES_KEY, COMPONENT_SECRET, PUSH_TOKEN

from wxcore.adapters.component import Component
from wxcore.adapters.credentials import SQLiteCredentialStore
from wxcore.adapters.sandbox import SandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.component_platform import add_component, authorize, push_ticket
from wxcore.adapters.stores.redis import RedisTokenStore


def _race(calls: list) -> list[str]:  # type: ignore[type-arg]
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(fn) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        results.append(fn())

    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_tokens_are_fetched_once_across_components_sharing_redis(
        redis_url: str, tmp_path: pathlib.Path) -> None:
    appid = "wxc" + secrets.token_hex(8)  # fresh keys in the session's Redis
    authorizer = "wxa" + secrets.token_hex(8)
    sandbox = WeChatSandbox()
    db = tmp_path / "shared.sqlite3"

    def make() -> Component:
        return Component(appid, COMPONENT_SECRET, credential_store=SQLiteCredentialStore(db),
                         token_store=RedisTokenStore(redis_url),
                         transport=SandboxTransport(sandbox))

    first, second = make(), make()
    server = first.push_server(PUSH_TOKEN, AES_KEY)
    add_component(sandbox, appid, COMPONENT_SECRET, token=PUSH_TOKEN, encoding_aes_key=AES_KEY,
                  target=lambda q, b: server.respond("POST", q, b)[2])
    push_ticket(sandbox, appid)

    tokens = _race([c.get_component_access_token for c in (first, second) for _ in range(4)])
    assert len(set(tokens)) == 1
    assert sandbox.calls["/cgi-bin/component/api_component_token"] == 1

    pre = first.create_preauthcode().pre_auth_code
    authorize(sandbox, first.login_page_url(pre, "https://p.example.com/cb"), authorizer)
    first.query_auth(next(iter(sandbox.state["component"].platforms[appid].codes)))
    cached = first.token_store.load(first.authorizer_token_provider(authorizer).key)
    assert cached is not None
    first.token_store.delete_if(first.authorizer_token_provider(authorizer).key, cached)

    clients = [first.official_account(authorizer), second.official_account(authorizer)]
    tokens = _race([c.get_access_token for c in clients for _ in range(4)])
    assert len(set(tokens)) == 1
    assert sandbox.calls["/cgi-bin/component/api_authorizer_token"] == 1

    ticket = clients[1].get_jsapi_ticket()
    assert sandbox.requests[-1].path == "/cgi-bin/ticket/getticket"
    assert sandbox.requests[-1].query["access_token"] == tokens[0]
    assert ticket
