"""Data analysis (数据分析, datacube): retention, daily summary and visit trends.

Every endpoint is ``POST /datacube/<path>`` with ``{"begin_date": "yyyymmdd", "end_date":
"yyyymmdd"}`` and one date rule per period, checked here before anything is sent:

* daily -- one day (``end_date`` defaults to ``begin_date`` and must equal it);
* weekly -- one natural week: ``begin_date`` a Monday, ``end_date`` (default) its Sunday;
* monthly -- one calendar month: ``begin_date`` the 1st, ``end_date`` (default) the last day.

WeChat has data up to yesterday only, so a range ending today or later is a usage error. The
core reads no clock: builders take ``today`` (China time, UTC+8); the facade passes it.
"""

from __future__ import annotations

import builtins
import calendar
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar

import msgspec

from wxcore.checks import checked
from wxcore.endpoint import Call, Endpoint, TableBuilder, WxResult
from wxcore.errors import UsageError

__all__ = [
    "DateLike",
    "Period",
    "RetainItem",
    "RetainResult",
    "SummaryItem",
    "DailySummaryResult",
    "VisitTrendItem",
    "VisitTrendResult",
    "date_range",
    "DatacubeQuery",
    "QUERIES",
    "get_daily_retain",
    "get_weekly_retain",
    "get_monthly_retain",
    "get_daily_summary",
    "get_daily_visit_trend",
    "get_weekly_visit_trend",
    "get_monthly_visit_trend",
]

R = TypeVar("R")

DateLike = date | str
Period = Literal["daily", "weekly", "monthly"]


class RetainItem(msgspec.Struct, kw_only=True):
    """``key`` 0 is the period itself, 1 the next day/week/month, ...; ``value`` users."""

    key: int = 0
    value: int = 0


class RetainResult(WxResult, kw_only=True):
    """Retention: ``ref_date`` is ``yyyymmdd``, ``yyyymmdd-yyyymmdd`` or ``yyyymm``."""

    ref_date: str = ""
    visit_uv_new: list[RetainItem] = []
    visit_uv: list[RetainItem] = []


class SummaryItem(msgspec.Struct, kw_only=True):
    ref_date: str = ""
    visit_total: int = 0
    share_pv: int = 0
    share_uv: int = 0


class DailySummaryResult(WxResult, kw_only=True):
    """``getweanalysisappiddailysummarytrend``: totals and shares of one day."""

    list: builtins.list[SummaryItem] = []


class VisitTrendItem(msgspec.Struct, kw_only=True):
    """Visits of one period; the ``stay_time_*`` are seconds, ``visit_depth`` pages."""

    ref_date: str = ""
    session_cnt: int = 0
    visit_pv: int = 0
    visit_uv: int = 0
    visit_uv_new: int = 0
    stay_time_uv: float = 0.0
    stay_time_session: float = 0.0
    visit_depth: float = 0.0


class VisitTrendResult(WxResult, kw_only=True):
    """Visit trend of a day, a week or a month (one item in ``list``)."""

    list: builtins.list[VisitTrendItem] = []


def _as_date(name: str, value: DateLike) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern in ("%Y%m%d", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
    raise UsageError(f"{name} must be a date or 'yyyymmdd' / 'yyyy-mm-dd' text (got {value!r})")


def _natural_end(period: Period, begin: date) -> date:
    if period == "daily":
        return begin
    if period == "weekly":
        return begin + timedelta(days=6)
    return begin.replace(day=calendar.monthrange(begin.year, begin.month)[1])


def date_range(
    period: Period, begin_date: DateLike, end_date: DateLike | None, today: date
) -> tuple[date, date]:
    """``(begin, end)`` of one natural day/week/month, or a usage error naming the rule."""
    begin = _as_date("begin_date", begin_date)
    if period == "weekly" and begin.weekday() != 0:
        raise UsageError(f"begin_date of a weekly query must be a Monday "
                         f"({begin.isoformat()} is a {begin.strftime('%A')})")
    if period == "monthly" and begin.day != 1:
        raise UsageError(f"begin_date of a monthly query must be the 1st of a month "
                         f"(got {begin.isoformat()})")
    natural = _natural_end(period, begin)
    end = natural if end_date is None else _as_date("end_date", end_date)
    if end != natural:
        what = {"daily": "equal begin_date (one day)",
                "weekly": "be the Sunday of begin_date's week",
                "monthly": "be the last day of begin_date's month"}[period]
        raise UsageError(f"end_date of a {period} query must {what}: "
                         f"{natural.isoformat()} (got {end.isoformat()})")
    yesterday = today - timedelta(days=1)
    if end > yesterday:
        raise UsageError(f"end_date {end.isoformat()} is not in the past: WeChat has data up to "
                         f"yesterday ({yesterday.isoformat()}) only")
    return begin, end


class DatacubeQuery(TableBuilder[R]):
    """One datacube endpoint and its period rule; calling it builds the call.

    ``query(today, begin_date, end_date=None)`` checks the period's date rule against
    ``today`` (China time) and returns the call. The endpoints below differ only in data, so
    each is one row of the table.
    """

    def __init__(self, name: str, path: str, result: type[R], period: Period, doc: str) -> None:
        # Reads with no side effect: safe to resend after a lost answer.
        super().__init__(Endpoint(f"miniprogram.{name}", "POST", f"/datacube/{path}", result,
                                  idempotent=True), f"get_{name}", doc)
        self.period: Period = period

    @checked
    def __call__(self, today: date, begin_date: DateLike,
                 end_date: DateLike | None = None) -> Call[R]:
        begin, end = date_range(self.period, begin_date, end_date, today)
        return self.endpoint.call(json={"begin_date": begin.strftime("%Y%m%d"),
                                        "end_date": end.strftime("%Y%m%d")})


get_daily_retain = DatacubeQuery("daily_retain", "getweanalysisappiddailyretaininfo",
                                 RetainResult, "daily",
                                 "Day-by-day retention of the users of one day (日留存).")
get_weekly_retain = DatacubeQuery("weekly_retain", "getweanalysisappidweeklyretaininfo",
                                  RetainResult, "weekly",
                                  "Week-by-week retention of one Monday..Sunday week (周留存).")
get_monthly_retain = DatacubeQuery("monthly_retain", "getweanalysisappidmonthlyretaininfo",
                                   RetainResult, "monthly",
                                   "Month-by-month retention of one calendar month (月留存).")
get_daily_summary = DatacubeQuery("daily_summary", "getweanalysisappiddailysummarytrend",
                                  DailySummaryResult, "daily",
                                  "Total visits and shares of one day (概况趋势).")
get_daily_visit_trend = DatacubeQuery("daily_visit_trend", "getweanalysisappiddailyvisittrend",
                                      VisitTrendResult, "daily", "Visits of one day (日趋势).")
get_weekly_visit_trend = DatacubeQuery("weekly_visit_trend", "getweanalysisappidweeklyvisittrend",
                                       VisitTrendResult, "weekly",
                                       "Visits of one Monday..Sunday week (周趋势).")
get_monthly_visit_trend = DatacubeQuery("monthly_visit_trend",
                                        "getweanalysisappidmonthlyvisittrend", VisitTrendResult,
                                        "monthly", "Visits of one calendar month (月趋势).")

#: Every datacube query, for tests, the sandbox and docs.
QUERIES: tuple[DatacubeQuery[Any], ...] = (
    get_daily_retain, get_weekly_retain, get_monthly_retain, get_daily_summary,
    get_daily_visit_trend, get_weekly_visit_trend, get_monthly_visit_trend,
)
