"""Token stores shared between processes and machines.

* :class:`~wxcore.adapters.stores.redis.RedisTokenStore` -- Redis (``pip install wxcore[redis]``),
  with a cross-process lease lock, waiters that watch instead of fetching, and
  compare-and-delete invalidation;
* :class:`~wxcore.adapters.stores.cache.CacheTokenStore` -- any get/set cache object, such as
  Django's ``django.core.cache.cache``;
* :class:`~wxcore.adapters.stores.async_redis.AsyncRedisTokenStore` -- Redis for asyncio
  clients, with the sync Redis store's keys, scripts and lease (the two share tokens).

The first two implement :class:`~wxcore.adapters.tokens.TokenStore`, the last
:class:`~wxcore.adapters.async_tokens.AsyncTokenStore`; give one to a client as
``token_store=``. Beside them, the stores of other shared state, each sync and async
with one key scheme: :mod:`~wxcore.adapters.stores.dedup` (pushes a message server has
seen) and :mod:`~wxcore.adapters.stores.user_tokens` (users' web-authorization tokens).
Keys follow :func:`token_key`: ``wxcore:{appid}:{kind}[:{variant}]``.
The Redis stores are imported on first use, so this package works without redis-py installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wxcore.errors import UsageError

from wxcore.adapters.stores.cache import CacheTokenStore

if TYPE_CHECKING:
    from wxcore.adapters.stores.async_redis import AsyncRedisTokenStore
    from wxcore.adapters.stores.redis import RedisTokenStore

__all__ = ["RedisTokenStore", "AsyncRedisTokenStore", "CacheTokenStore", "token_key",
           "TOKEN_KINDS"]

#: The kinds of cached credentials and the variants each is kept under.
TOKEN_KINDS: dict[str, str] = {
    "access_token": "variant: 'stable' (cgi-bin/stable_token) or 'token' (cgi-bin/token)",
    "ticket": "variant: 'jsapi' or 'wx_card'",
    "force_refresh": "the stable_token force_refresh budget (a counter, not a token)",
    "component_access_token": "appid: the component (third-party platform) appid",
    "component_verify_ticket": "appid: the component appid (durable: keep Redis persistent)",
    "authorizer_access_token": "appid: the component appid; variant: the authorizer appid",
    "user_token": "variant: the user's openid (a web-authorization token, kept until its "
                  "refresh token expires)",
}


def token_key(appid: str, kind: str, variant: str | None = None) -> str:
    """The store key of credential ``kind`` of ``appid``, e.g. ``wxcore:wx1:ticket:jsapi``.

    Every store and client uses this one scheme, so processes that share a store share keys.
    """
    if not appid or ":" in appid:
        raise UsageError(f"appid must be non-empty and free of ':', not {appid!r}")
    if kind not in TOKEN_KINDS:
        raise UsageError(f"unknown token kind {kind!r}; one of {sorted(TOKEN_KINDS)}")
    return f"wxcore:{appid}:{kind}" + (f":{variant}" if variant else "")


def __getattr__(name: str) -> Any:
    if name == "RedisTokenStore":
        from wxcore.adapters.stores.redis import RedisTokenStore

        return RedisTokenStore
    if name == "AsyncRedisTokenStore":
        from wxcore.adapters.stores.async_redis import AsyncRedisTokenStore

        return AsyncRedisTokenStore
    raise AttributeError(name)
