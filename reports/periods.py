"""The periods reports cover: whole weeks (Monday to Sunday) and calendar months in the site's time zone.

A report is due from local midnight after its period ends (Monday, or the 1st) for a short while, so a
beat that missed Monday still sends it on Tuesday, while a subscription made on a Wednesday waits for the
next week instead of mailing an old one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from stats import DateRange

WEEK = "week"
MONTH = "month"
PERIODS = (WEEK, MONTH)
# Days after the period's end during which its report is still sent.
DUE_FOR_DAYS = 2


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def period_containing(period: str, day: date, timezone: str) -> DateRange:
    """The week (from Monday) or calendar month the day falls in."""
    if period == WEEK:
        first = day - timedelta(days=day.weekday())
        return DateRange(first, first + timedelta(days=6), timezone)
    if period == MONTH:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return DateRange(first, following - timedelta(days=1), timezone)
    raise ValueError(f"unknown period {period!r}")


def last_completed(period: str, now: datetime, timezone: str) -> DateRange:
    """The last whole week or month that ended before `now`, in the site's zone."""
    today = local_today(now, timezone)
    current = period_containing(period, today, timezone)
    return period_containing(period, current.first - timedelta(days=1), timezone)


def previous(period: str, dates: DateRange) -> DateRange:
    """The period before: the week before, or the whole month before (months differ in length)."""
    return period_containing(period, dates.first - timedelta(days=1), dates.timezone)


def due(period: str, now: datetime, timezone: str) -> DateRange | None:
    """The period whose report is due at `now`, or None between sending days."""
    dates = last_completed(period, now, timezone)
    today = local_today(now, timezone)
    return dates if (today - dates.last).days <= DUE_FOR_DAYS else None
