"""The sandbox's log of the API calls it answered, for the console and for scripts.

Each call is kept as it happened (request, response, latency, the fault it used) in a
bounded ring; :meth:`CallLog.entries` renders them on demand as JSON-able dicts with every
secret replaced through :mod:`wxcore.redact`, so a secret never leaves the sandbox through
the log. Binary bodies (images, multipart uploads) are described, not shown.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from wxcore.http import Response
from wxcore.redact import redact_text, redact_url

if TYPE_CHECKING:
    from wxcore.adapters.sandbox.core import Fault, SandboxRequest

__all__ = ["CallLog", "LoggedCall", "BODY_LIMIT"]

#: Bodies longer than this many characters are cut in the log (the rest is counted).
BODY_LIMIT = 4000


@dataclass(frozen=True)
class LoggedCall:
    """One answered (or dropped) API call, raw; render with :meth:`CallLog.entries`."""

    seq: int
    at: float
    request: SandboxRequest
    response: Response | None  # None: the connection was reset by a fault
    latency: float
    fault: str | None


def _text(body: bytes, content_type: str) -> str:
    """A body for the log: redacted text, or a description of binary content."""
    if not body:
        return ""
    kind = content_type.split(";")[0].strip() or "binary"
    if kind.startswith("multipart/"):
        return f"<{len(body)} bytes {kind}>"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes {kind}>"
    text = redact_text(text)
    if len(text) > BODY_LIMIT:
        return text[:BODY_LIMIT] + f"... ({len(text) - BODY_LIMIT} more characters)"
    return text


def _errcode(response: Response) -> tuple[int | None, str]:
    """WeChat's errcode and errmsg from a JSON answer (0 for a success without one)."""
    if "json" not in response.headers.get("content-type", ""):
        return None, ""
    try:
        value = msgspec.json.decode(response.body)
    except msgspec.DecodeError:
        return None, ""
    if not isinstance(value, dict):
        return None, ""
    code = value.get("errcode", 0)
    return (code if isinstance(code, int) else None), str(value.get("errmsg", ""))


def render(call: LoggedCall) -> dict[str, Any]:
    """``call`` as a JSON-able dict with secrets replaced."""
    request, response = call.request, call.response
    query = "&".join(f"{k}={v}" for k, v in request.query.items())
    entry: dict[str, Any] = {
        "seq": call.seq,
        "at": call.at,
        "method": request.method,
        "path": request.path,
        "query": redact_url("?" + query)[1:] if query else "",
        "appid": request.appid,
        "latency_ms": round(call.latency * 1000, 2),
        "fault": call.fault,
        "request_body": _text(request.body, request.headers.get("content-type", "")),
    }
    if response is None:
        entry.update(status=None, errcode=None, errmsg="connection reset", response_body="")
        return entry
    errcode, errmsg = _errcode(response)
    entry.update(status=response.status, errcode=errcode, errmsg=errmsg,
                 response_body=_text(response.body, response.headers.get("content-type", "")))
    return entry


class CallLog:
    """A bounded, thread-safe ring of :class:`LoggedCall`, numbered from 1."""

    def __init__(self, maxlen: int = 2000) -> None:
        self._calls: deque[LoggedCall] = deque(maxlen=maxlen)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, at: float, request: SandboxRequest, response: Response | None,
            latency: float, fault: Fault | None) -> None:
        label = None if fault is None else fault.label()
        with self._lock:
            self._calls.append(LoggedCall(next(self._numbers), at, request, response,
                                          latency, label))

    def entries(self, after: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        """Rendered calls numbered above ``after``, oldest first, at most ``limit`` (newest)."""
        with self._lock:
            calls = [call for call in self._calls if call.seq > after]
        return [render(call) for call in calls[-limit:]]

    def raw(self) -> list[LoggedCall]:
        """The calls kept, oldest first, unrendered: for routes that look a call up (rid)."""
        with self._lock:
            return list(self._calls)

    def __len__(self) -> int:
        return len(self._calls)
