"""Durable credentials: data whose loss forces every merchant to authorize again.

A third-party platform (component) lives on two credentials WeChat hands out only once:

* the latest ``component_verify_ticket`` (pushed every 10 minutes, valid 12 hours; without
  it no component_access_token can be obtained), and
* each authorizer's ``authorizer_refresh_token`` (returned by ``api_query_auth``; when it is
  lost, the merchant has to authorize the platform again).

They are kept in a :class:`CredentialStore`, deliberately separate from the token cache
(:class:`~wxcore.adapters.tokens.TokenStore`), which may be flushed at any time. Two stores:

* :class:`SQLiteCredentialStore` -- the embedded default: a file, stdlib ``sqlite3`` in WAL
  mode, safe for several processes on one machine;
* :class:`RedisCredentialStore` -- only for a Redis with persistence (AOF) enabled; it checks
  ``appendonly`` when it starts and warns (or, with ``require_aof=True``, refuses) otherwise.

Keys come from :func:`credential_key` (``wxcore:{component_appid}:verify_ticket``,
``wxcore:{component_appid}:refresh_token:{authorizer_appid}``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol, runtime_checkable

import msgspec

from wxcore.errors import UsageError
from wxcore.redact import mask

__all__ = [
    "Stored",
    "CredentialStore",
    "SQLiteCredentialStore",
    "RedisCredentialStore",
    "MemoryCredentialStore",
    "credential_key",
    "iter_prefix",
    "CREDENTIAL_KINDS",
    "encode_record",
    "decode_record",
    "redis_key_pattern",
    "judge_aof",
]

logger = logging.getLogger("wxcore.credentials")

#: The durable credential kinds and what their variant is.
CREDENTIAL_KINDS: dict[str, str] = {
    "verify_ticket": "the component_verify_ticket (no variant)",
    "refresh_token": "variant: the authorizer appid (its authorizer_refresh_token)",
}


def credential_key(component_appid: str, kind: str, variant: str | None = None) -> str:
    """The durable-store key of ``kind`` for ``component_appid`` (and an authorizer)."""
    if not component_appid or ":" in component_appid:
        raise UsageError(f"component_appid must be non-empty and free of ':', "
                         f"not {component_appid!r}")
    if kind not in CREDENTIAL_KINDS:
        raise UsageError(f"unknown credential kind {kind!r}; one of {sorted(CREDENTIAL_KINDS)}")
    return f"wxcore:{component_appid}:{kind}" + (f":{variant}" if variant else "")


class Stored(NamedTuple):
    """A durable credential and when it was stored (seconds since the epoch)."""

    value: str
    updated_at: float

    def __repr__(self) -> str:
        return f"Stored({mask(self.value)}, updated_at={self.updated_at})"


@runtime_checkable
class CredentialStore(Protocol):
    """Where durable credentials live. Writes must survive a process (and machine) restart."""

    def get(self, key: str) -> Stored | None: ...

    def put(self, key: str, value: str, updated_at: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str) -> list[str]: ...


class MemoryCredentialStore:
    """Credentials in this process only: for tests and throwaway scripts, never production."""

    def __init__(self) -> None:
        self._data: dict[str, Stored] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Stored | None:
        return self._data.get(key)

    def put(self, key: str, value: str, updated_at: float) -> None:
        with self._lock:
            self._data[key] = Stored(value, updated_at)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in list(self._data) if k.startswith(prefix))

    def __repr__(self) -> str:
        return f"MemoryCredentialStore({len(self._data)} keys)"


_SCHEMA = """CREATE TABLE IF NOT EXISTS wxcore_credentials (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL)"""


class SQLiteCredentialStore:
    """Durable credentials in one SQLite file (stdlib ``sqlite3``, WAL journal).

    Several processes on one machine may share the file: WAL lets readers run beside the one
    writer, every write is one committed statement, and ``busy_timeout`` makes a writer wait
    for another's lock instead of failing. (WAL needs a local file system, not NFS.) Each
    thread gets its own connection.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> None:
        self.path = os.fspath(path)
        if not self.path or self.path == ":memory:":
            raise UsageError("path must be a file (an in-memory database is not durable)")
        parent = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(parent):
            raise UsageError(f"path: directory {parent!r} does not exist")
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._connection()  # create the table and switch to WAL now, not at the first push

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("%s: SQLite refused WAL mode (%s)", self.path, mode)
            conn.execute("PRAGMA synchronous = FULL")  # a committed credential survives power loss
            conn.execute(_SCHEMA)
            self._local.conn = conn
        return conn

    def get(self, key: str) -> Stored | None:
        row = self._connection().execute(
            "SELECT value, updated_at FROM wxcore_credentials WHERE key = ?", (key,)).fetchone()
        return None if row is None else Stored(row[0], float(row[1]))

    def put(self, key: str, value: str, updated_at: float) -> None:
        if not value:
            raise UsageError(f"{key}: refusing to store an empty credential")
        self._connection().execute(
            "INSERT INTO wxcore_credentials (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at", (key, value, updated_at))

    def delete(self, key: str) -> None:
        self._connection().execute("DELETE FROM wxcore_credentials WHERE key = ?", (key,))

    def keys(self, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._connection().execute(
            "SELECT key FROM wxcore_credentials WHERE key LIKE ? ESCAPE '\\' ORDER BY key",
            (escaped + "%",)).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def __repr__(self) -> str:
        return f"SQLiteCredentialStore({self.path!r})"


class _Record(msgspec.Struct):
    value: str
    updated_at: float


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(_Record)


def encode_record(value: str, updated_at: float) -> bytes:
    """A credential as the Redis stores keep it: ``{"value": ..., "updated_at": ...}``."""
    return _ENCODER.encode(_Record(value, updated_at))


def decode_record(raw: bytes | str) -> Stored:
    """The credential a Redis store's value holds."""
    record = _DECODER.decode(raw)
    return Stored(record.value, record.updated_at)


def redis_key_pattern(prefix: str) -> str:
    """A SCAN pattern matching the keys under ``prefix`` (glob characters escaped)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in prefix) + "*"


def judge_aof(setting: object, require: bool) -> bool:
    """Whether Redis's ``appendonly`` ``setting`` is on; off, a warning is logged, or with
    ``require`` a :class:`UsageError` raised (what both Redis credential stores do)."""
    enabled = setting in ("yes", b"yes")
    if not enabled:
        message = ("Redis has persistence (appendonly) off: component_verify_ticket and "
                   "authorizer refresh tokens stored there are lost when it restarts; "
                   "set 'appendonly yes' or use SQLiteCredentialStore")
        if require:
            raise UsageError(message)
        logger.warning(message)
    return enabled


class RedisCredentialStore:
    """Durable credentials in Redis: use it only with persistence (``appendonly yes``).

    A Redis without AOF loses everything written since its last snapshot when it restarts,
    and with it every merchant's authorization. At start the store reads ``CONFIG GET
    appendonly``: ``no`` logs a warning, or raises :class:`UsageError` with
    ``require_aof=True``. (Managed Redis services that forbid CONFIG are trusted.) Values are
    plain keys without expiry: ``SET key {"value": ..., "updated_at": ...}``.
    """

    def __init__(self, client: Any, *, require_aof: bool = False) -> None:
        import redis

        self.client = redis.Redis.from_url(client) if isinstance(client, str) else client
        self.aof = self._check_aof(require_aof)

    def _check_aof(self, require: bool) -> bool | None:
        from redis.exceptions import ResponseError

        try:
            setting = self.client.config_get("appendonly").get("appendonly")
        except ResponseError:
            return None  # CONFIG disabled: a managed service; its persistence is documented there
        return judge_aof(setting, require)

    def get(self, key: str) -> Stored | None:
        raw = self.client.get(key)
        return None if raw is None else decode_record(raw)

    def put(self, key: str, value: str, updated_at: float) -> None:
        if not value:
            raise UsageError(f"{key}: refusing to store an empty credential")
        self.client.set(key, encode_record(value, updated_at))

    def delete(self, key: str) -> None:
        self.client.delete(key)

    def keys(self, prefix: str) -> list[str]:
        found = (k.decode() if isinstance(k, bytes) else str(k)
                 for k in self.client.scan_iter(match=redis_key_pattern(prefix), count=500))
        return sorted(found)

    def __repr__(self) -> str:
        return f"RedisCredentialStore({self.client!r})"


def iter_prefix(store: CredentialStore, prefix: str) -> Iterator[tuple[str, Stored]]:
    """``(key, stored)`` for every key under ``prefix`` that still exists."""
    for key in store.keys(prefix):
        stored = store.get(key)
        if stored is not None:
            yield key, stored

