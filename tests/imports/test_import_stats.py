"""manage.py import_stats: a summary printed, the same file twice changes nothing, errors as CommandError."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from imports.models import ImportedStat
from tests.imports.conftest import DATA

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("import_stats", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_the_summary_says_what_was_read_imported_and_skipped_and_why(site):
    out = _run("--site", "blog.example", "--format", "plausible", str(DATA / "plausible_export_malformed.zip"))
    assert "read 64 rows, imported 60, skipped 4" in out
    assert "skipped 2: bad_date" in out
    assert "imported_visitors_20250101_20250103.csv:5: bad_number (pageviews='abc')" in out
    count = ImportedStat.objects.count()
    again = _run("--site", "blog.example", "--format", "plausible", str(DATA / "plausible_export_malformed.zip"))
    assert "was imported into blog.example before" in again
    assert ImportedStat.objects.count() == count


def test_progress_is_drawn_on_stderr(site):
    err = StringIO()
    call_command("import_stats", "--site", "blog.example", "--format", "ga4", str(DATA / "ga4_reports.zip"), stderr=err)
    assert "100%" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--site", "nowhere.example", "--format", "umami", "x.csv"), "no site 'nowhere.example'"),
        (("--site", "blog.example", "--format", "umami", "missing.csv"), "cannot read missing.csv"),
        (("--site", "blog.example", "--format", "umami", str(DATA / "ga4_reports.zip")), "Not an Umami"),
    ],
)
def test_bad_input_is_a_command_error(site, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
