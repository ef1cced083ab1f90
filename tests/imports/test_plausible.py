"""Plausible CE's CSV export: its zip, one of its files, malformed rows, missing and foreign files."""

from __future__ import annotations

import zipfile

import pytest

from imports.models import Import
from tests.imports.conftest import DATA, load, rows

pytestmark = pytest.mark.django_db


def test_every_table_of_the_export_becomes_rows_of_footfalls_properties(loaded):
    job, summary = loaded("plausible", "plausible_export.zip")
    assert summary is not None
    assert (summary.read, summary.imported, dict(summary.skipped), summary.notes) == (60, 60, {}, [])
    assert rows(job, "") == {
        ("2025-01-01", ""): (57, 60, 77, 30, 3300, 0),
        ("2025-01-02", ""): (114, 120, 154, 60, 6600, 0),
        ("2025-01-03", ""): (171, 180, 231, 90, 9900, 0),
    }
    sources = rows(job, "visit:source")
    assert sources[("2025-01-01", "Google")] == (28, 30, 40, 15, 1800, 0)
    assert sources[("2025-01-01", "")] == (20, 20, 25, 12, 900, 0)  # Direct / None
    assert rows(job, "visit:referrer")[("2025-01-01", "news.ycombinator.com")][:2] == (9, 10)
    assert set(rows(job, "visit:utm_source")) == {
        (day, "newsletter") for day in ("2025-01-01", "2025-01-02", "2025-01-03")
    }
    assert {value for _, value in rows(job, "visit:os")} == {"macOS", "Linux"}
    assert {value for _, value in rows(job, "visit:device")} == {"desktop", "mobile"}
    assert {value for _, value in rows(job, "visit:country")} == {"DE", "US"}
    assert rows(job, "event:name")[("2025-01-02", "Signup")] == (8, 0, 0, 0, 0, 10)
    assert rows(job, "visit:entry_page")[("2025-01-01", "/blog/hello-world")] == (18, 20, 40, 5, 1000, 0)
    assert rows(job, "visit:exit_page")[("2025-01-01", "/blog/hello-world")] == (10, 12, 30, 4, 700, 0)
    assert rows(job, "event:page")[("2025-01-01", "/blog/hello-world")] == (18, 20, 30, 0, 0, 0)
    job.refresh_from_db()
    assert (job.status, job.first_day.isoformat(), job.last_day.isoformat()) == ("done", "2025-01-01", "2025-01-03")


def test_malformed_rows_are_counted_with_their_reason_and_line_and_the_rest_imported(loaded):
    job, summary = loaded("plausible", "plausible_export_malformed.zip")
    assert summary is not None
    assert (summary.read, summary.imported) == (64, 60)
    assert dict(summary.skipped) == {"bad_number": 1, "bad_date": 2, "wrong_column_count": 1}
    assert summary.problems == [
        "imported_visitors_20250101_20250103.csv:5: bad_number (pageviews='abc')",
        "imported_visitors_20250101_20250103.csv:6: bad_date ('2025-13-01')",
        "imported_visitors_20250101_20250103.csv:7: wrong_column_count (3 of 6)",
        "imported_pages_20250101_20250103.csv:8: bad_date ('not-a-date')",
    ]
    assert len(rows(job, "")) == 3
    assert job.summary["skipped"] == {"bad_number": 1, "bad_date": 2, "wrong_column_count": 1}


def _zip_of(tmp_path, names: dict[str, str]):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(DATA / "plausible_export.zip") as source, zipfile.ZipFile(path, "w") as target:
        for name, new_name in names.items():
            target.writestr(new_name, source.read(name))
    return path


def test_a_zip_missing_tables_imports_the_rest_and_names_what_is_missing(site, tmp_path):
    path = _zip_of(
        tmp_path,
        {
            "imported_visitors_20250101_20250103.csv": "imported_visitors_20250101_20250103.csv",
            "imported_sources_20250101_20250103.csv": "sources_20250101_20250103.csv",  # the short name works too
        },
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("README.txt", "not a table")
    job, summary = load(site, "plausible", path)
    assert summary is not None
    assert summary.imported == 12
    assert "README.txt: not a file of Plausible's export, skipped" in summary.notes
    assert "no imported_pages file in the zip" in summary.notes
    assert set(job.stats.values_list("dimension", flat=True)) >= {"", "visit:source"}


def test_one_csv_of_the_export_imports_alone(site, tmp_path):
    path = tmp_path / "imported_devices_20250101_20250103.csv"
    with zipfile.ZipFile(DATA / "plausible_export.zip") as archive:
        path.write_bytes(archive.read("imported_devices_20250101_20250103.csv"))
    job, summary = load(site, "plausible", path)
    assert summary is not None
    assert summary.imported == 6
    assert set(job.stats.values_list("dimension", flat=True)) == {"visit:device"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", "Not a Plausible CE export"),
        ("export.zip", None, "holds no Plausible CE export files"),
    ],
)
def test_a_file_that_is_no_export_fails_with_a_reason_and_no_rows(site, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("photo.jpg", b"\xff\xd8")
    else:
        path.write_bytes(content)
    job, summary = load(site, "plausible", path)
    job.refresh_from_db()
    assert summary is None
    assert job.status == Import.Status.FAILED
    assert message in job.error
    assert not job.stats.exists()


def test_a_table_without_its_date_column_is_skipped_with_a_note(site, tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("imported_visitors_20250101_20250101.csv", "day,visitors\n2025-01-01,3\n")
    _, summary = load(site, "plausible", path)
    assert summary is not None
    assert summary.imported == 0
    assert summary.skipped == {"missing_column": 1}
    assert any("no date column, file skipped" in note for note in summary.notes)
