"""The sandbox console: its page (served at ``/``) and the state it shows (``/sandbox/state``).

The page is three static files beside this module (``console_page/``), plain HTML, CSS
and JavaScript with no build step and nothing fetched from elsewhere; it reads and changes
the sandbox only through the JSON control API, so whatever it does can be scripted.

:func:`snapshot` is that state as JSON: the apps (secrets masked; ``/sandbox/reveal_secret``
shows one), their current tokens and tickets with the seconds left, the force-refresh budget,
quotas, the faults pending and used up, the push target and replies, and one section per API
group that registered a :func:`~wxcore.adapters.sandbox.core.snapshot` (Mini Program, and the
Official Account once its routes fill one).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from wxcore.http import Response
from wxcore.redact import mask

from wxcore.adapters.sandbox import push_console, tokens
from wxcore.adapters.sandbox.core import ROUTES, Fault, SandboxApp, WeChatSandbox

__all__ = ["snapshot", "fault_view", "page_file", "PAGE_FILES"]

#: URL path -> (file in console_page/, content type)
PAGE_FILES: dict[str, tuple[str, str]] = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/sandbox/console/console.js": ("console.js", "text/javascript; charset=utf-8"),
    "/sandbox/console/console.css": ("console.css", "text/css; charset=utf-8"),
}


def page_file(path: str) -> Response | None:
    """The console's file for URL ``path`` (None if it is not one)."""
    found = PAGE_FILES.get(path)
    if found is None:
        return None
    name, content_type = found
    body = (resources.files("wxcore.adapters.sandbox") / "console_page" / name).read_bytes()
    return Response(status=200, body=body,
                    headers={"content-type": content_type, "cache-control": "no-store"})


def fault_view(fault: Fault) -> dict[str, Any]:
    return {"id": fault.id, "label": fault.label(), "kind": fault.kind, "path": fault.path,
            "times_left": fault.times, "used": fault.used}


def _tokens(sb: WeChatSandbox, appid: str, now: float) -> list[dict[str, Any]]:
    shown = []
    for (owner, kind), value in sorted(sb.current.items()):
        token = sb.tokens.get(value)
        # tickets are current under "ticket:<type>"; the bare "ticket" entry repeats one
        if owner != appid or token is None or kind == "ticket":
            continue
        shown.append({"kind": kind, "value": mask(value), "revoked": token.revoked,
                      "expires_in": max(0, int(token.expires_at - now))})
    return shown


def _force_refresh(sb: WeChatSandbox, appid: str, now: float) -> dict[str, Any]:
    forced = [t for t in sb.forced.get(appid, []) if now - t < 86400]
    wait = tokens.FORCE_SPACING - (now - forced[-1]) if forced else 0.0
    return {"used": len(forced), "left": max(0, tokens.FORCE_PER_DAY - len(forced)),
            "per_day": tokens.FORCE_PER_DAY, "next_in": max(0, round(wait))}


def _quotas(sb: WeChatSandbox, appid: str) -> list[dict[str, Any]]:
    day = sb.quota_day()
    return [{"path": path, "limit": limit, "used": sb.usage[(appid, path, day)]}
            for path, limit in sorted(sb.quotas.items())]


def _app(sb: WeChatSandbox, app: SandboxApp, now: float) -> dict[str, Any]:
    return {"appid": app.appid, "name": app.name, "original_id": app.original_id,
            "secret": mask(app.secret), "tokens": _tokens(sb, app.appid, now),
            "force_refresh": _force_refresh(sb, app.appid, now),
            "quotas": _quotas(sb, app.appid), "sections": sb.app_state(app.appid)}


def snapshot(sb: WeChatSandbox) -> dict[str, Any]:
    """Everything the console shows, as JSON with no secret in it."""
    with sb.lock:
        now = sb.clock()
        return {
            "now": now,
            "apps": [_app(sb, app, now) for app in sb.apps.values()],
            "faults": [fault_view(f) for f in sb.faults],
            "spent_faults": [fault_view(f) for f in reversed(sb.spent_faults)],
            "calls": sum(sb.calls.values()),
            "pushes": push_console.push_snapshot(sb),
            "paths": sorted({path for _, path in ROUTES}),
        }
