"""Recorded WeChat traffic ("cassettes"): the file format, recording, and replay.

A cassette is one human-readable JSON file per scenario: a format version, a name, and the
ordered exchanges -- each the request as sent (method, host, path, query, body; credentials
stripped) and WeChat's response (status, headers, body) -- plus optional keys that let a
generic test replay it (``call``, ``expect``) and inputs a test recorded (``values``)::

    {"wxcore_cassette": 1, "name": "token/stable_token", "description": "...",
     "interactions": [{"request": {"method": "POST", "host": "api.weixin.qq.com",
                                   "path": "/cgi-bin/stable_token", "query": {},
                                   "body": {"json": {"grant_type": "client_credential", ...}}},
                       "response": {"status": 200, "headers": {...},
                                    "body": {"json": {"access_token": "...", ...}}}}]}

A body is ``null`` or exactly one of ``{"json": value}``, ``{"text": "exact text"}``,
``{"base64": "..."}`` and (requests only) ``{"multipart": [parts]}``. A response body is
written as ``json`` only when re-encoding the value compactly gives back the exact bytes, so
replay is byte-exact whichever form was chosen.

* :class:`RecordingTransport` wraps any transport and writes a cassette with every secret
  replaced by a stable placeholder (``<redacted:access_token:1>``): the bound credential is
  dropped, secret fields in queries and bodies are replaced, secret values seen anywhere are
  scrubbed from all recorded text; phone numbers too when asked.
* :class:`ReplayTransport` answers from a cassette, matching by method, path, query and body
  (credentials ignored; a recorded placeholder matches any value), in strict or any order.
  A request with no match raises :class:`CassetteMismatchError` showing the request and the
  closest recorded one side by side; :meth:`ReplayTransport.assert_all_used` reports the
  exchanges a test never made.
* :class:`AsyncCassetteTransport`, :class:`AsyncReplayTransport` and
  :func:`async_replay_client` do the same for async clients (``AsyncMiniProgram``...): the
  same files, matching and redaction, recording through an async transport.
* :class:`CassetteTransport` uses one cassette file in a record mode (``none``, ``once``,
  ``new_episodes``, ``all``, as in vcrpy); re-recording keeps unchanged exchanges' bytes.
* :func:`replay_client` builds any client or facade on a replay transport with dummy
  credentials, so no token is fetched; :func:`check_cassette` runs a cassette's ``call`` and
  checks its ``expect`` (what the suite's generic replay test does for every cassette).
  A cassette runs no code of its own: every name in it is checked (``names``).

Malformed files raise :class:`CassetteFormatError` naming the file, the JSON path and the
problem. The format is described for people in ``docs/testing.md``.

One module per concern: ``model`` (the format), ``storage`` (files), ``names`` (what a
cassette may name), ``multipart``, ``redaction``, ``recording``, ``matching``,
``diagnostics`` (mismatch reports), ``replay``, ``modes`` and ``merging`` (record modes),
``async_cassette`` (the async transports),
``runner`` (a cassette's ``call``/``expect``) and ``vcr`` (hooks for vcrpy users, imported
on its own). Import from this package, not from the modules, except ``vcr``.
"""

from __future__ import annotations

from wxcore.adapters.cassette.async_cassette import (
    AsyncCassetteTransport,
    AsyncReplayTransport,
    async_replay_client,
)
from wxcore.adapters.cassette.model import (
    FORMAT_VERSION,
    Body,
    CallSpec,
    Cassette,
    CassetteError,
    CassetteFormatError,
    CassetteMismatchError,
    Expect,
    Interaction,
    Part,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    UnusedInteractionsError,
    is_placeholder,
)
from wxcore.adapters.cassette.modes import RECORD_MODES, CassetteTransport, RecordMode
from wxcore.adapters.cassette.names import ARGUMENT_TYPES, register_argument_type
from wxcore.adapters.cassette.recording import RecordingTransport
from wxcore.adapters.cassette.redaction import PHONE_FIELDS, RECORD_SECRET_FIELDS
from wxcore.adapters.cassette.replay import (
    REPLAY_ACCESS_TOKEN,
    REPLAY_SECRET,
    ReplayTransport,
    replay_client,
)
from wxcore.adapters.cassette.runner import check_cassette, replay_cassette_call
from wxcore.adapters.cassette.storage import (
    dumps_cassette,
    load_cassette,
    loads_cassette,
    save_cassette,
)

__all__ = [
    "FORMAT_VERSION",
    "RECORD_SECRET_FIELDS",
    "PHONE_FIELDS",
    "REPLAY_SECRET",
    "REPLAY_ACCESS_TOKEN",
    "Cassette",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "RecordedError",
    "Body",
    "Part",
    "CallSpec",
    "Expect",
    "CassetteError",
    "CassetteFormatError",
    "CassetteMismatchError",
    "UnusedInteractionsError",
    "load_cassette",
    "loads_cassette",
    "dumps_cassette",
    "save_cassette",
    "RecordingTransport",
    "ReplayTransport",
    "replay_client",
    "AsyncCassetteTransport",
    "AsyncReplayTransport",
    "async_replay_client",
    "replay_cassette_call",
    "check_cassette",
    "is_placeholder",
    "ARGUMENT_TYPES",
    "RECORD_MODES",
    "RecordMode",
    "CassetteTransport",
    "register_argument_type",
]
