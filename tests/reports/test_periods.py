"""Reported periods are whole local weeks and months in the site's time zone, due from local midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reports import periods
from stats import DateRange

AUCKLAND = "Pacific/Auckland"  # UTC+13 in November (daylight saving time)


@pytest.mark.parametrize(
    ("period", "day", "first", "last"),
    [
        ("week", date(2026, 11, 25), date(2026, 11, 23), date(2026, 11, 29)),
        ("week", date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 29)),
        ("week", date(2026, 11, 29), date(2026, 11, 23), date(2026, 11, 29)),
        ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
        ("month", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
        ("month", date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_the_period_containing_a_day(period, day, first, last):
    dates = periods.period_containing(period, day, "UTC")
    assert (dates.first, dates.last) == (first, last)


def test_the_last_completed_week_follows_the_sites_midnight():
    # Sunday 10:59 UTC is Sunday 23:59 in Auckland: the week is not over there yet.
    before = periods.last_completed("week", datetime(2026, 11, 29, 10, 59, tzinfo=UTC), AUCKLAND)
    after = periods.last_completed("week", datetime(2026, 11, 29, 11, 0, tzinfo=UTC), AUCKLAND)
    assert before.first == date(2026, 11, 16)
    assert after.first == date(2026, 11, 23)
    # Its bounds are Auckland's midnights, in UTC.
    assert after.utc_bounds() == (datetime(2026, 11, 22, 11, tzinfo=UTC), datetime(2026, 11, 29, 11, tzinfo=UTC))


def first_due(period: str, now: datetime, timezone: str) -> date | None:
    dates: DateRange | None = periods.due(period, now, timezone)
    return None if dates is None else dates.first


def test_a_report_is_due_on_the_first_days_after_its_period_only():
    monday = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert first_due("week", monday, "UTC") == date(2026, 11, 23)
    assert first_due("week", datetime(2026, 12, 1, 23, 59, tzinfo=UTC), "UTC") == date(2026, 11, 23)
    assert periods.due("week", datetime(2026, 12, 2, 0, 0, tzinfo=UTC), "UTC") is None
    assert first_due("month", datetime(2026, 12, 1, 0, 0, tzinfo=UTC), "UTC") == date(2026, 11, 1)
    assert periods.due("month", datetime(2026, 12, 15, tzinfo=UTC), "UTC") is None


def test_a_report_is_due_from_local_midnight_not_utc_midnight():
    # Monday 00:00 UTC is still Sunday 14:00 in Honolulu: its week is not over, the one before was mailed.
    assert periods.due("week", datetime(2026, 11, 30, 0, 0, tzinfo=UTC), "Pacific/Honolulu") is None
    assert first_due("week", datetime(2026, 11, 30, 10, 0, tzinfo=UTC), "Pacific/Honolulu") == date(2026, 11, 23)


def test_the_month_before_is_a_whole_month():
    march = periods.period_containing("month", date(2026, 3, 10), "UTC")
    before = periods.previous("month", march)
    assert (before.first, before.last) == (date(2026, 2, 1), date(2026, 2, 28))
