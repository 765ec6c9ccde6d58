"""Sandbox routes for Mini Program data analysis (datacube).

The date rules are WeChat's (one day; Monday..Sunday; 1st..last day; up to yesterday, China
time); a range that breaks them answers 61501 "date range error" (not in the API pages'
tables; WeChat answers it so, e.g.
https://developers.weixin.qq.com/community/develop/doc/000462e3ab4fe8b13f8a3b18d5a400). A
date that does not parse answers 61500 "date format error": unverified, no WeChat page shows
it. Numbers are made up but stable: the same app and dates always give the same figures.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from wxcore.facade import china_date

from wxcore.adapters.sandbox.core import Handler, SandboxRequest, WeChatSandbox, WxFail, route

def _dates(sb: WeChatSandbox, req: SandboxRequest, period: str) -> tuple[date, date]:
    body = req.json()
    try:
        begin = datetime.strptime(str(body.get("begin_date")), "%Y%m%d").date()
        end = datetime.strptime(str(body.get("end_date")), "%Y%m%d").date()
    except ValueError:
        raise WxFail(61500, "date format error") from None
    natural: date | None
    if period == "daily":
        natural = begin
    elif period == "weekly":
        natural = begin + timedelta(days=6) if begin.weekday() == 0 else None
    else:
        last = calendar.monthrange(begin.year, begin.month)[1]
        natural = begin.replace(day=last) if begin.day == 1 else None
    today = china_date(sb.clock())
    if natural is None or end != natural or end >= today:
        raise WxFail(61501, "date range error")
    return begin, end


def _number(appid: str, *parts: object, low: int = 0, high: int = 10_000) -> int:
    digest = hashlib.sha256(":".join([appid, *map(str, parts)]).encode()).digest()
    return low + int.from_bytes(digest[:4], "big") % (high - low + 1)


def _ref_date(period: str, begin: date, end: date) -> str:
    if period == "daily":
        return begin.strftime("%Y%m%d")
    if period == "weekly":
        return f"{begin:%Y%m%d}-{end:%Y%m%d}"
    return begin.strftime("%Y%m")


def _retain(period: str, spans: int) -> Handler:
    def handler(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
        begin, end = _dates(sb, req, period)
        ref = _ref_date(period, begin, end)
        base_new = _number(req.appid, ref, "new", low=50, high=900)
        base_all = _number(req.appid, ref, "all", low=1000, high=9000)
        return {
            "ref_date": ref,
            "visit_uv_new": [{"key": k, "value": base_new // (k + 1)} for k in range(spans)],
            "visit_uv": [{"key": k, "value": base_all // (k + 1)} for k in range(spans)],
        }
    return handler


def _visit_trend(period: str) -> Handler:
    def handler(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
        begin, end = _dates(sb, req, period)
        ref = _ref_date(period, begin, end)
        uv = _number(req.appid, ref, "uv", low=500, high=9000)
        return {"list": [{
            "ref_date": ref,
            "session_cnt": uv * 3,
            "visit_pv": uv * 7,
            "visit_uv": uv,
            "visit_uv_new": uv // 10,
            "stay_time_uv": _number(req.appid, ref, "st", low=1000, high=30000) / 100,
            "stay_time_session": _number(req.appid, ref, "ss", low=500, high=9000) / 100,
            "visit_depth": _number(req.appid, ref, "vd", low=100, high=400) / 100,
        }]}
    return handler


def daily_summary(sb: WeChatSandbox, req: SandboxRequest) -> dict[str, Any]:
    begin, end = _dates(sb, req, "daily")
    ref = _ref_date("daily", begin, end)
    return {"list": [{
        "ref_date": ref,
        "visit_total": _number(req.appid, ref, "total", low=100, high=90000),
        "share_pv": _number(req.appid, ref, "spv", low=10, high=900),
        "share_uv": _number(req.appid, ref, "suv", low=5, high=400),
    }]}


_ROUTES = {
    "getweanalysisappiddailyretaininfo": _retain("daily", 8),
    "getweanalysisappidweeklyretaininfo": _retain("weekly", 5),
    "getweanalysisappidmonthlyretaininfo": _retain("monthly", 2),
    "getweanalysisappiddailysummarytrend": daily_summary,
    "getweanalysisappiddailyvisittrend": _visit_trend("daily"),
    "getweanalysisappidweeklyvisittrend": _visit_trend("weekly"),
    "getweanalysisappidmonthlyvisittrend": _visit_trend("monthly"),
}
for _path, _handler in _ROUTES.items():
    route("POST", f"/datacube/{_path}")(_handler)
