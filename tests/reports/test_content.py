"""A report's numbers are the stats layer's answers for the site's local week or month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import stats
from reports import periods
from reports.content import TOTALS, country_name, report_content
from stats import build_query
from tests.factories import SiteFactory
from tests.reports.traffic import subscribed_site
from tests.tracker.events import hit
from tracker import pipeline

pytestmark = pytest.mark.django_db
WEEK = periods.period_containing("week", date(2026, 11, 23), "UTC")


def content_of(site, dates=WEEK, period="week"):
    return report_content(site, period, dates, periods.previous(period, dates))


def test_the_totals_are_the_stats_apis_answer_for_the_same_week():
    site = subscribed_site()
    params = {"period": "custom", "date": "2026-11-23,2026-11-29", "metrics": ",".join(TOTALS)}
    query = build_query(
        site_id=site.id, timezone="UTC", params=params | {"compare": "previous_period"}, now=datetime.now(UTC)
    )
    assert content_of(site).totals == stats.run(query).values


def test_the_top_lists_goals_and_days():
    content = content_of(subscribed_site())
    tops = {top.title: top.rows for top in content.tops}
    assert tops["Top pages"] == [("/blog/x", 2), ("/", 1), ("/about", 1)]
    assert tops["Top sources"] == [("Direct / None", 2), ("Google", 1)]
    assert tops["Top countries"] == [("Germany", 3)]
    assert [(g.goal, g.visitors, g.conversions, g.rate) for g in content.goals] == [("Signup", 1, 1, 33.3)]
    assert [visitors for _, visitors in content.days] == [0, 1, 0, 1, 0, 0, 1]


def test_a_site_without_goals_lists_none():
    site = SiteFactory()
    pipeline.process_batch([hit(site, 1, datetime(2026, 11, 24, tzinfo=UTC), "/", name="Signup")])
    assert content_of(site).goals == []


def test_an_empty_period_is_empty_and_still_has_its_days():
    content = content_of(subscribed_site(traffic=False))
    assert content.empty
    assert content.tops == []
    assert [visitors for _, visitors in content.days] == [0] * 7


def test_the_week_is_the_sites_local_week():
    site = SiteFactory(timezone="Pacific/Auckland")  # UTC+13
    sunday_night = datetime(2026, 11, 29, 10, 30, tzinfo=UTC)  # 23:30 on Sunday in Auckland
    pipeline.process_batch(
        [
            hit(site, 1, sunday_night, "/in-the-week"),
            hit(site, 2, sunday_night + timedelta(hours=1), "/next-week"),  # 00:30 on Monday there
            hit(site, 3, datetime(2026, 11, 22, 10, 30, tzinfo=UTC), "/week-before"),  # Sunday 23:30 a week earlier
        ]
    )
    dates = periods.last_completed("week", datetime(2026, 11, 29, 12, tzinfo=UTC), site.timezone)
    content = content_of(site, dates)
    assert [page for page, _ in content.tops[0].rows] == ["/in-the-week"]
    assert content.totals["visitors"].comparison == 1
    assert content.days[-1] == (date(2026, 11, 29), 1)


def test_country_names():
    assert country_name("DE") == "Germany"
    assert country_name("") == "Unknown"
    assert country_name("XX") == "XX"
