"""Record modes: one cassette file used as a transport, replayed, recorded or both.

The modes are vcrpy's:

* ``"none"``: replay only. The file must exist; a request it does not hold fails.
* ``"once"``: replay the file if it exists (like ``"none"``), else record it.
* ``"new_episodes"``: replay what the file holds and record the requests it does not,
  adding them where they happened; the old exchanges keep their bytes.
* ``"all"``: record everything again. Exchanges that did not change keep their bytes (see
  :mod:`.merging`), and a cassette whose exchanges all stayed the same is not rewritten.

Recording needs a transport to WeChat (or the sandbox): ``inner`` is one, or a function
making one, which is called only when this mode and file do record.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from msgspec import UNSET

from wxcore.errors import TransportError
from wxcore.http import Request, Response

from wxcore.adapters.cassette.merging import add_new_episodes, keep_unchanged
from wxcore.adapters.cassette.model import Cassette, CassetteError, CassetteMismatchError
from wxcore.adapters.cassette.recording import RecordingTransport
from wxcore.adapters.cassette.replay import ReplayTransport
from wxcore.adapters.cassette.storage import load_cassette, save_cassette
from wxcore.adapters.transport import Transport

__all__ = ["RecordMode", "RECORD_MODES", "CassetteTransport"]

RecordMode = Literal["none", "once", "new_episodes", "all"]
RECORD_MODES: tuple[RecordMode, ...] = ("none", "once", "new_episodes", "all")

T = TypeVar("T")


class CassetteTransport:
    """The cassette at ``path`` in ``record_mode``, as a transport (see the module docstring).

    ``recording`` tells whether this run reaches ``inner``; :meth:`value` gives test inputs
    made when recording and read back when replaying; :meth:`close` (or leaving a ``with``
    block without an exception) saves what was recorded, unless :meth:`discard` was called
    or ``save_on_close=False`` (then :meth:`save` is up to the caller). Recording options
    (``redact_phone_numbers``, ``secrets``, ``appid``...) go to :class:`RecordingTransport`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        record_mode: RecordMode = "none",
        inner: Transport | Callable[[], Transport] | None = None,
        *,
        order: Literal["strict", "any"] = "strict",
        repeat: bool = False,
        name: str | None = None,
        save_on_close: bool = True,
        **recording: Any,
    ) -> None:
        if record_mode not in RECORD_MODES:
            raise ValueError(f"record_mode must be one of {', '.join(RECORD_MODES)}, "
                             f"not {record_mode!r}")
        self.path = Path(path)
        self.record_mode = record_mode
        exists = self.path.exists()
        if record_mode == "none" and not exists:
            raise CassetteError(f"{self.path}: no such cassette (record mode 'none' only "
                                "replays; record it with mode 'once' or 'all')")
        #: The cassette as it was in the file before this run (None if there was none).
        self.old: Cassette | None = load_cassette(self.path) if exists else None
        self.recording = record_mode in ("new_episodes", "all") or not exists
        replays = record_mode in ("none", "new_episodes") or (record_mode == "once" and exists)
        self.replay: ReplayTransport | None = None
        if replays and self.old is not None:
            self.replay = ReplayTransport(self.old, order=order, repeat=repeat,
                                          source=str(self.path))
        self.recorder: RecordingTransport | None = None
        if self.recording:
            if inner is None:
                raise CassetteError(f"{self.path}: record mode {record_mode!r} records, and "
                                    "needs a transport to record through (inner=...)")
            # A class (Urllib3Transport itself) is a factory, though it has a send attribute.
            transport = (inner if isinstance(inner, Transport) and not isinstance(inner, type)
                         else inner())
            recording.setdefault("description", self.old.description if self.old else "")
            self.recorder = RecordingTransport(
                transport, name=name or (self.old.name if self.old else self.path.stem),
                **recording)
        self._history: list[int | tuple[int]] = []  # old index, or (index in recorder,)
        self._discarded = not save_on_close
        self._closed = False
        self._lock = threading.Lock()

    @property
    def mismatches(self) -> list[CassetteMismatchError]:
        """Requests nothing answered (in ``new_episodes`` they are recorded instead)."""
        return self.replay.mismatches if self.replay is not None and not self.recording else []

    def send(self, request: Request) -> Response:
        """Answer from the cassette or record, one request at a time (so the cassette keeps
        the order things happened in)."""
        with self._lock:
            response = self._answer(request)
            if response is not None:
                return response
            assert self.recorder is not None
            self._history.append((len(self.recorder),))
            return self.recorder.send(request)

    def answer(self, request: Request) -> Response | None:
        """The cassette's answer to ``request``, or None when this run is to record it
        (see :meth:`record`); a request nothing answers raises CassetteMismatchError."""
        with self._lock:
            return self._answer(request)

    def _answer(self, request: Request) -> Response | None:
        if self.replay is not None:
            try:
                response = self.replay.send(request)
            except CassetteMismatchError:
                if self.recorder is None:
                    raise
                self.replay.mismatches.pop()  # a new episode, not a failure
            else:
                self._history.append(self.replay.history[-1])
                return response
        return None

    def record(self, request: Request, outcome: Response | TransportError) -> None:
        """Keep an exchange sent elsewhere (through an async transport) where it happened."""
        with self._lock:
            if self.recorder is None:
                raise CassetteError(f"{self.path}: this run only replays (record mode "
                                    f"{self.record_mode!r}); nothing can be recorded")
            self._history.append((len(self.recorder),))
            self.recorder.record(request, outcome)

    def value(self, name: str, make: Callable[[], T]) -> T:
        """A test input: ``make()`` when this run records it (saved under the cassette's
        ``values``), else the value the cassette holds. ``new_episodes`` reuses a saved
        value and makes only missing ones; ``all`` makes every one again. A saved value
        comes back as JSON gives it (a tuple made when recording is a list on replay)."""
        saved = self.old.values if self.old is not None else UNSET
        if self.record_mode != "all" and isinstance(saved, dict) and name in saved:
            return cast(T, saved[name])
        if self.recorder is None:
            raise CassetteError(f"{self.path}: the cassette has no recorded value {name!r}; "
                                "record it again")
        made = make()
        self.recorder.values[name] = made
        return made

    def cassette(self) -> Cassette | None:
        """What :meth:`save` would write (None when this run records nothing)."""
        if self.recorder is None:
            return None
        if self.record_mode == "new_episodes" and self.old is not None:
            fresh = self.recorder.cassette(numbered_after=self.old)
            history = [e if isinstance(e, int) else fresh.interactions[e[0]]
                       for e in self._history]
            new_values = fresh.values if isinstance(fresh.values, dict) else {}
            return add_new_episodes(self.old, history, new_values)
        return keep_unchanged(self.old, self.recorder.cassette())

    def save(self) -> bool:
        """Write what was recorded; False (file untouched) if it equals the file's cassette."""
        merged = self.cassette()
        if merged is None or merged == self.old:
            return False
        save_cassette(merged, self.path)
        return True

    def discard(self) -> None:
        """Do not save on :meth:`close` (a test that failed must not overwrite its cassette)."""
        self._discarded = True

    def close(self) -> None:
        """Save (unless discarded) and close the transport recording went through; once."""
        if self._closed:
            return
        self._closed = True
        try:
            if not self._discarded:
                self.save()
        finally:
            if self.recorder is not None:
                self.recorder.inner.close()

    def __enter__(self) -> CassetteTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            self.discard()
        self.close()

    def __repr__(self) -> str:
        state = "recording" if self.recording else "replaying"
        return f"CassetteTransport({self.path}, {self.record_mode}, {state})"
