"""AsyncRedisDedupStore on a real redis-server: the sync RedisDedupStore's keys, so a WSGI and
an ASGI server of one account drop each other's re-sends; a store that is down is reported
as such (503 when closed)."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from urllib.parse import urlencode

import httpx
import redis
import redis.asyncio
from msgvectors import OA_ID, REF_AES_KEY, REF_APPID, REF_TOKEN, USER

from wxcore.adapters.async_message_server import AsyncMessageServer, AsyncRedisDedupStore
from wxcore.adapters.message_server import MessageServer, RedisDedupStore
from wxcore.messages import PushSettings, Router, TextMessage
from wxcore.adapters.sandbox.pushes import PushSender, SignedPush, text_push

SAFE = PushSettings(token=REF_TOKEN, encoding_aes_key=REF_AES_KEY, appid=REF_APPID)
URL = "http://wechat.test/wechat"


def recording_router(seen: list[str], name: str) -> Router:
    router = Router()

    @router.message("text")
    def record(message: TextMessage) -> str:
        seen.append(f"{name}:{message.Content}")
        return f"{name} got it"

    return router


async def post_async(server: AsyncMessageServer, push: SignedPush) -> httpx.Response:
    transport = httpx.ASGITransport(app=server.asgi_app)
    async with httpx.AsyncClient(transport=transport) as client:
        return await client.post(f"{URL}?{urlencode(push.query)}", content=push.body)


def test_sync_and_async_servers_deduplicate_together(redis_url: str) -> None:
    handled: list[str] = []
    sync_client = redis.Redis.from_url(redis_url)
    sync_server = MessageServer(recording_router(handled, "wsgi"), SAFE,
                                dedup=RedisDedupStore(sync_client, ttl=60))
    sender = PushSender(URL, SAFE)
    first, second = (text_push(OA_ID, USER, text, msg_id=secrets.randbelow(10**15) + 1)
                     for text in ("one", "two"))

    async def main() -> list[int | bytes]:
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            async_server = AsyncMessageServer(recording_router(handled, "asgi"), SAFE,
                                              dedup=AsyncRedisDedupStore(client, ttl=60))
            # "one" reaches the async server first; WeChat's retry lands on the sync one
            answer = await post_async(async_server, sender.sign(first))
            retry = await asyncio.to_thread(sync_server.respond, "POST", *_request(sender.sign(first)))
            # "two" the other way round
            other = await asyncio.to_thread(sync_server.respond, "POST", *_request(sender.sign(second)))
            other_retry = await post_async(async_server, sender.sign(second))
            ttl = await client.ttl(f"wxcore:push:m:{OA_ID}:{_msg_id(first)}")
        finally:
            await client.aclose()
        return [answer.status_code, retry[2], other[0], other_retry.content, ttl]

    status, retry_body, other_status, other_retry_body, ttl = asyncio.run(main())
    assert (status, other_status) == (200, 200)
    assert retry_body == other_retry_body == b"success"  # each retry dropped by the other server
    assert handled == ["asgi:one", "wsgi:two"]
    assert 0 < int(ttl) <= 60  # the key the sync store writes, with its TTL
    sync_client.close()


def _request(push: SignedPush) -> tuple[dict[str, str], bytes]:
    return push.query, push.body


def _msg_id(body: bytes) -> str:
    return body.split(b"<MsgId>")[1].split(b"</MsgId>")[0].decode()


def test_a_stopped_redis_is_a_503_when_closed_and_handled_when_open(
        own_redis: tuple[subprocess.Popen[bytes], str]) -> None:
    proc, url = own_redis
    handled: list[str] = []
    proc.terminate()
    proc.wait(timeout=10)
    sender = PushSender(URL, SAFE)
    push = text_push(OA_ID, USER, "while down", msg_id=secrets.randbelow(10**15) + 1)

    async def main() -> tuple[int, int]:
        client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=2)
        try:
            store = AsyncRedisDedupStore(client)
            closed = AsyncMessageServer(recording_router(handled, "closed"), SAFE, dedup=store,
                                        dedup_failure="closed")
            opened = AsyncMessageServer(recording_router(handled, "open"), SAFE, dedup=store)
            refused = await post_async(closed, sender.sign(push))
            accepted = await post_async(opened, sender.sign(push))
        finally:
            await client.aclose()
        return refused.status_code, accepted.status_code

    assert asyncio.run(main()) == (503, 200)
    assert handled == ["open:while down"]


def _clients(admin: redis.Redis, name: str) -> int:
    """How many connections named ``name`` the Redis server has open now."""
    return sum(1 for c in admin.client_list() if c.get("name") == name)


def test_both_stores_from_a_url_share_keys_and_close_only_what_they_opened(
        redis_url: str) -> None:
    admin = redis.Redis.from_url(redis_url)
    named = f"{redis_url}?client_name=dedup-from-url"
    prefix = f"t{secrets.token_hex(4)}:"

    async def main() -> tuple[bool, bool, int, int, int]:
        async with AsyncRedisDedupStore(named, ttl=45, prefix=prefix) as store:
            first = await store.add("push-1")
            with RedisDedupStore(named, prefix=prefix) as sync_store:
                repeat_seen_by_sync = not sync_store.add("push-1")
                open_during = _clients(admin, "dedup-from-url")
            after_sync_close = _clients(admin, "dedup-from-url")
            ttl = int(admin.ttl(f"{prefix}push-1"))
        return first, repeat_seen_by_sync, open_during, after_sync_close, ttl

    first, repeat_seen_by_sync, open_during, after_sync_close, ttl = asyncio.run(main())
    assert first and repeat_seen_by_sync  # one key scheme for both, from URLs
    assert open_during == 2 and after_sync_close == 1 and 0 < ttl <= 45
    assert _clients(admin, "dedup-from-url") == 0  # the async store closed its pool too

    async def given_client() -> bool:
        client = redis.asyncio.Redis.from_url(redis_url)
        async with AsyncRedisDedupStore(client, prefix=prefix) as store:
            await store.discard("push-1")
        alive = await client.ping()  # a client you pass stays yours: still open
        await client.aclose()
        return bool(alive)

    assert asyncio.run(given_client())
    with RedisDedupStore(redis.Redis.from_url(redis_url), prefix=prefix) as store:
        assert store.add("push-1")  # discarded above, so new again
    assert store.client.ping()
    store.client.close()
    admin.delete(f"{prefix}push-1")
    admin.close()
