"""import_microanalytics on µAnalytics data roots built here: rows, idempotency, broken files, no stored ip."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from compat.visitors import token_text
from sites.models import Site
from tracker import rollups
from tracker.models import Event, RollupDirty, Session

pytestmark = pytest.mark.django_db

SCHEMA = (
    "CREATE TABLE visits (time INTEGER, event TEXT, path TEXT, ip TEXT, platform TEXT, "
    "refererDomain TEXT, countryCode TEXT)"
)


def shard(root: Path, website: str, month: str, rows: list[tuple]) -> Path:
    folder = root / website / month
    folder.mkdir(parents=True)
    path = folder / "analytics.db"
    with sqlite3.connect(path) as connection:
        connection.execute(SCHEMA)
        connection.executemany("INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    connection.close()
    return path


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "dbs"
    shard(
        root,
        "docs.example",
        "2016-03",
        [
            (1457000000, "download", "/a", "81.2.69.1", "Linux", "www.gitbook.com", "fr"),
            (1457000060, "view", "/b", "81.2.69.1", "Apple Mac", "", "fr"),
            (1457000000, "download", "/a", "81.2.69.1", "Linux", "www.gitbook.com", "fr"),  # a true duplicate row
            (1457003600, "view", "", "", "", "", ""),
        ],
    )
    shard(root, "docs.example", "2016-04", [(1459500000, "view", "/c", "81.2.69.1", "", "", "FR")])
    (root / "docs.example" / "2016-05").mkdir()  # a month without a file
    (root / "empty.example").mkdir()  # a website without months
    broken = root / "broken.example" / "2016-03"
    broken.mkdir(parents=True)
    (broken / "analytics.db").write_bytes(b"not a database")
    return root


def run(root: Path) -> str:
    out = StringIO()
    call_command("import_microanalytics", str(root), "--no-progress", stdout=out)
    return out.getvalue()


def test_import_loads_every_row_through_the_pipeline(client, data_root):
    report = run(data_root)
    assert "5 events imported, 0 already imported" in report
    assert "unreadable, skipped" in report
    assert "broken.example" in report
    site = Site.objects.get(domain="docs.example")
    assert not Site.objects.filter(domain="broken.example").exists()
    events = list(Event.objects.order_by("timestamp", "id").values_list("name", "path", "os", "referrer", "country"))
    assert events == [
        ("download", "/a", "Linux", "www.gitbook.com", "FR"),
        ("download", "/a", "Linux", "www.gitbook.com", "FR"),
        ("view", "/b", "Apple Mac", "", "FR"),
        ("view", "", "", "", ""),
        ("view", "/c", "", "", "FR"),
    ]
    assert Session.objects.filter(site=site).exists()
    # The same opaque monthly token as the API gives, per month; the address itself nowhere.
    tokens = {token_text(h) for h in Event.objects.values_list("visitor_hash", flat=True)}
    assert "" in tokens
    assert len(tokens) == 3
    dumped = repr(list(Event.objects.values())) + repr(list(Session.objects.values()))
    assert "81.2.69.1" not in dumped


def test_reimport_adds_nothing_but_rows_appended_since_and_marks_their_rolled_up_days(data_root):
    run(data_root)
    report = run(data_root)
    assert "0 events imported, 5 already imported" in report
    assert Event.objects.count() == 5
    site = Site.objects.get(domain="docs.example")
    rollups.roll_up_site(site, now=datetime(2016, 6, 1, tzinfo=UTC))
    with sqlite3.connect(data_root / "docs.example" / "2016-04" / "analytics.db") as connection:
        connection.execute("INSERT INTO visits VALUES (1459600000, 'late', '/d', '8.8.8.8', '', '', 'US')")
    connection.close()
    assert "1 events imported, 5 already imported" in run(data_root)
    assert list(RollupDirty.objects.filter(site=site).values_list("day", flat=True)) == [date(2016, 4, 2)]


def test_imported_data_reads_through_the_api_like_the_original(client, data_root, settings):
    settings.MICROANALYTICS_AUTH = False
    run(data_root)
    counted = client.get("/compat/microanalytics/docs.example/count").json()
    # March: 81.2.69.1 and ""; April: 81.2.69.1.
    assert counted == {"total": 5, "unique": 3}
    countries = client.get("/compat/microanalytics/docs.example/countries").json()["list"]
    assert [(c["id"], c["label"], c["total"]) for c in countries] == [("fr", "France", 4), ("", "", 1)]


def test_rows_with_a_bad_time_are_counted_and_skipped(tmp_path):
    shard(tmp_path, "w", "2016-03", [(None, "x", "", "", "", "", ""), ("soon", "y", "", "", "", "", "")])
    assert "0 events imported, 0 already imported, 2 rows with an invalid time skipped" in run(tmp_path)


def test_not_a_directory_is_an_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run(tmp_path / "missing")
