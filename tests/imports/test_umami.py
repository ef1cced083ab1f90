"""Umami's website_event export: events counted into days, visits, entry and exit pages."""

from __future__ import annotations

import pytest

from imports.models import Import
from tests.imports.conftest import DATA, load, rows

pytestmark = pytest.mark.django_db


def test_events_become_daily_counts_as_footfall_counts_its_own(loaded):
    job, summary = loaded("umami", "umami_website_event.csv")
    assert summary is not None
    assert (summary.read, summary.imported, dict(summary.skipped)) == (10, 10, {})
    # 1 February: visitor 1 in two visits (2 + 2 pages, 90 s and 5 min), visitor 2 bounced once.
    # 2 February: visitor 3 read three pages in 10 minutes, visitor 4 bounced.
    assert rows(job, "") == {
        ("2025-02-01", ""): (2, 3, 5, 1, 420, 6),
        ("2025-02-02", ""): (2, 2, 4, 1, 600, 4),
    }
    assert rows(job, "visit:source") == {
        ("2025-02-01", "Google"): (1, 1, 2, 0, 120, 0),
        ("2025-02-01", ""): (1, 1, 1, 1, 0, 0),
        ("2025-02-01", "newsletter"): (1, 1, 2, 0, 300, 0),  # as the pipeline names it
        ("2025-02-02", "Hacker News"): (1, 1, 3, 0, 600, 0),
        ("2025-02-02", ""): (1, 1, 1, 1, 0, 0),
    }
    assert rows(job, "visit:entry_page")[("2025-02-01", "/")] == (1, 1, 2, 0, 120, 0)
    assert rows(job, "visit:exit_page")[("2025-02-01", "/pricing")] == (2, 2, 3, 1, 300, 0)
    assert rows(job, "event:page")[("2025-02-01", "/blog/hello-world")] == (1, 2, 2, 0, 0, 0)
    assert rows(job, "event:name") == {("2025-02-01", "Signup"): (1, 0, 0, 0, 0, 1)}
    assert {value for _, value in rows(job, "visit:browser")} == {"Chrome", "Safari", "Firefox", "Edge"}
    assert {value for _, value in rows(job, "visit:os")} == {"Windows", "iOS", "Linux", "macOS"}
    assert {value for _, value in rows(job, "visit:device")} == {"desktop", "mobile"}


def test_days_are_the_sites_local_days(site):
    site.timezone = "Asia/Tokyo"
    site.save()
    job, _ = load(site, "umami", DATA / "umami_website_event.csv")
    # In Tokyo, the visit of 1 February 18:00 UTC is on 2 February, that of 2 February 22:30 on the 3rd.
    assert {day: counts[:2] for (day, _), counts in rows(job, "").items()} == {
        "2025-02-01": (2, 2),
        "2025-02-02": (2, 2),
        "2025-02-03": (1, 1),
    }


def test_malformed_rows_are_counted_with_their_reason_and_line(loaded):
    job, summary = loaded("umami", "umami_website_event_malformed.csv")
    assert summary is not None
    assert (summary.read, summary.imported) == (14, 10)
    assert summary.problems == [
        "umami_website_event_malformed.csv:12: bad_date ('yesterday')",
        "umami_website_event_malformed.csv:13: unknown_event_type ('7')",
        "umami_website_event_malformed.csv:14: missing_value (no session_id or visit_id)",
        "umami_website_event_malformed.csv:15: wrong_column_count (3 of 36)",
    ]
    assert rows(job, "")[("2025-02-01", "")] == (2, 3, 5, 1, 420, 6)


def test_a_csv_without_umamis_columns_fails_with_a_reason(site, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("date,visitors\n2025-01-01,3\n")
    job, summary = load(site, "umami", path)
    job.refresh_from_db()
    assert summary is None
    assert job.status == Import.Status.FAILED
    assert "no column(s) session_id, visit_id, url_path, event_type, created_at" in job.error
