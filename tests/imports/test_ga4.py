"""GA4 report CSVs: comment lines, several tables, dimensions by date, totals from the sources table."""

from __future__ import annotations

import pytest

from imports.models import Import
from tests.imports.conftest import load, rows

pytestmark = pytest.mark.django_db


def test_a_zip_of_reports_becomes_rows_of_pages_sources_countries_and_devices(loaded):
    job, summary = loaded("ga4", "ga4_reports.zip")
    assert summary is not None
    assert (summary.read, summary.imported, dict(summary.skipped)) == (17, 17, {})
    assert summary.notes == ["daily totals summed from the session source table (users approximate)"]
    assert rows(job, "event:page")[("2025-03-01", "/")] == (50, 0, 90, 0, 0, 0)
    # Sessions 45, engaged 30: 15 bounces; 62.5 s on average over 45 sessions.
    assert rows(job, "visit:source")[("2025-03-01", "Google")] == (40, 45, 0, 15, 2812, 0)
    assert rows(job, "visit:source")[("2025-03-01", "")] == (20, 22, 0, 12, 660, 0)  # (direct)
    assert rows(job, "visit:country")[("2025-03-02", "KR")] == (10, 0, 0, 0, 0, 0)
    assert {value for _, value in rows(job, "visit:country")} == {"DE", "US", "KR"}
    assert rows(job, "visit:device")[("2025-03-01", "desktop")][0] == 50
    assert rows(job, "") == {
        ("2025-03-01", ""): (72, 80, 0, 31, 4447, 0),
        ("2025-03-02", ""): (53, 57, 0, 24, 2736, 0),
    }


def test_malformed_rows_and_tables_without_a_date_are_reported(loaded):
    job, summary = loaded("ga4", "ga4_traffic_acquisition_malformed.csv")
    assert summary is not None
    assert (summary.read, summary.imported) == (9, 5)
    assert dict(summary.skipped) == {"bad_date": 1, "inconsistent_counts": 1, "bad_number": 1, "wrong_column_count": 1}
    assert summary.problems[0] == "ga4_traffic_acquisition_malformed.csv:16: bad_date ('2025-03-XX')"
    assert any("a table without a Date column" in note for note in summary.notes)
    assert len(rows(job, "visit:source")) == 5


def test_a_country_name_ga4_uses_but_nobody_knows_is_skipped(site, tmp_path):
    path = tmp_path / "countries.csv"
    path.write_text("Country,Date,Active users\nAtlantis,20250301,3\n(not set),20250301,2\nFrance,20250301,4\n")
    job, summary = load(site, "ga4", path)
    assert summary is not None
    assert summary.skipped == {"unknown_country": 1}
    assert rows(job, "visit:country") == {
        ("2025-03-01", ""): (2, 0, 0, 0, 0, 0),
        ("2025-03-01", "FR"): (4, 0, 0, 0, 0, 0),
    }


def test_a_file_without_any_report_table_fails(site, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    job, summary = load(site, "ga4", path)
    job.refresh_from_db()
    assert summary is None
    assert job.status == Import.Status.FAILED
    assert "No GA4 report table" in job.error
