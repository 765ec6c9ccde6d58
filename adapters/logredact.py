"""Keep secrets out of the logs of the HTTP libraries wxcore drives.

wxcore's own loggers only ever see redacted URLs, but the libraries under its transports log
too: at DEBUG, urllib3's connection pool writes every request line, query string included
(``GET /sns/jscode2session?appid=...&secret=...``, ``...?access_token=...``). A user who
turns on ``logging.basicConfig(level=logging.DEBUG)`` would see the app secret and every
token in clear.

:class:`RedactingFilter` is a logging filter that rewrites a record's message with
:func:`wxcore.redact.redact_text` (the one place that knows which names are secret);
:func:`redact_library_logs` puts it on the loggers of a library, once. Each transport calls it
for the library it uses (:data:`URLLIB3_LOGGERS`; an httpx or aiohttp transport passes its
own names). A filter on a logger sees exactly the records created on that logger, so the
list names every module logger of the library that may print a URL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from wxcore.redact import redact_text

__all__ = ["RedactingFilter", "redact_library_logs", "URLLIB3_LOGGERS"]

#: urllib3's module loggers (``logging.getLogger(__name__)`` in each module).
URLLIB3_LOGGERS: tuple[str, ...] = (
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)


class RedactingFilter(logging.Filter):
    """Replaces secret values in a record's message (and its formatted arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for logging to report
            return True
        redacted = redact_text(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, ()
        return True


_FILTER = RedactingFilter()
_guard = threading.Lock()


def redact_library_logs(names: Iterable[str]) -> None:
    """Put the redacting filter on each named logger (idempotent, thread-safe)."""
    with _guard:
        for name in names:
            target = logging.getLogger(name)
            if _FILTER not in target.filters:
                target.addFilter(_FILTER)
