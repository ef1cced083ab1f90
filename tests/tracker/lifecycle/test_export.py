"""The raw export: RFC 4180 CSV and NDJSON with stable keys, every enriched field, no address, streamed."""

from __future__ import annotations

import csv
import io
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import orjson
import pytest
from django.core.management import call_command

from tests.factories import TIME_ZERO, EventFactory, SiteFactory
from tests.tracker.events import hit, store, visits
from tracker.lifecycle import export
from tracker.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(domain="export.example")


def ndjson(site, **kwargs) -> list[dict]:
    return [orjson.loads(line) for line in b"".join(export.stream(site, "ndjson", **kwargs)).splitlines()]


def csv_rows(site, **kwargs) -> list[list[str]]:
    text = b"".join(export.stream(site, "csv", **kwargs)).decode()
    return list(csv.reader(io.StringIO(text, newline="")))


def test_ndjson_has_one_object_per_event_with_every_enriched_field_in_a_stable_order(site):
    store(visits(site, visitors=3, hours=1))
    rows = ndjson(site)
    assert len(rows) == Event.objects.count()
    assert all(list(row) == list(export.COLUMNS) for row in rows)
    first = rows[0]
    assert first["site"] == "export.example"
    assert first["timestamp"].endswith("Z")
    assert first["browser"] in ("Chrome", "Firefox")
    assert first["utm_source"] == "newsletter"
    assert first["country"] in ("DE", "FR")
    assert len(first["session_id"]) == 16
    assert [r["timestamp"] for r in rows] == sorted(r["timestamp"] for r in rows)
    signup = next(r for r in rows if r["name"] == "Signup")
    assert signup["props"] == {"plan": "pro", "n": 1}
    assert not any(key in row for row in rows for key in ("ip", "ip_address", "user_agent", "id"))
    # One visit, one id: the events of a session share it.
    by_session: dict[str, set[int]] = {}
    for row in rows:
        by_session.setdefault(row["session_id"], set()).add(row["visitor_hash"])
    assert all(len(hashes) == 1 for hashes in by_session.values())


def test_csv_is_rfc_4180_and_safe_to_open_in_a_spreadsheet(site):
    store(
        [
            hit(site, 1, TIME_ZERO, '/a,"quoted"', props={"note": 'say "hi",\ntwice'}),
            hit(site, 2, TIME_ZERO + timedelta(seconds=1), "/b?utm_source==HYPERLINK(1)&utm_campaign=-2+3"),
        ]
    )
    raw = b"".join(export.stream(site, "csv"))
    assert raw.startswith(b"uuid,site,timestamp,")
    assert raw.count(b"\r\n") == 3  # CRLF line ends; the JSON of props escapes its newline
    rows = csv_rows(site)
    assert rows[0] == list(export.COLUMNS)
    assert len(rows) == 3
    first, second = (dict(zip(rows[0], r, strict=True)) for r in rows[1:])
    assert first["path"] == '/a,"quoted"'
    assert b'"/a,""quoted"""' in raw  # quotes doubled inside a quoted field
    assert orjson.loads(first["props"]) == {"note": 'say "hi",\ntwice'}
    assert second["utm_source"] == "'=HYPERLINK(1)"
    assert second["utm_campaign"] == "'-2 3"
    assert first["engaged_ms"] == ""  # None is empty


def test_date_selects_local_days_of_the_site():
    site = SiteFactory(domain="tz.example", timezone="Europe/Berlin")
    # 23:30 UTC on the 19th is already the 20th in Berlin.
    for moment in (datetime(2026, 11, 19, 22, 30, tzinfo=UTC), datetime(2026, 11, 19, 23, 30, tzinfo=UTC)):
        EventFactory(site=site, timestamp=moment)
    bounds = export.parse_date_param("2026-11-20", site.timezone)
    assert [r["timestamp"] for r in ndjson(site, bounds=bounds)] == ["2026-11-19T23:30:00.000000Z"]
    assert len(ndjson(site, bounds=export.parse_date_param("2026-11-19,2026-11-20", site.timezone))) == 2


@pytest.mark.parametrize(
    "value", ["2026-13-01", "yesterday", "2026-11-20,2026-11-19", "2026-11-01,2026-11-02,2026-11-03"]
)
def test_bad_dates_are_refused(value):
    with pytest.raises(export.ExportRangeError):
        export.parse_date_param(value, "UTC")


def test_an_empty_export_has_the_header_only(site):
    assert b"".join(export.stream(site, "csv")) == (",".join(export.COLUMNS) + "\r\n").encode()
    assert b"".join(export.stream(site, "ndjson")) == b""


def test_the_export_streams_in_constant_memory(site):
    """Peak memory while streaming does not grow with the number of rows."""

    def add(n: int) -> None:
        Event.objects.bulk_create(
            Event(
                uuid=uuid.uuid4(),
                site=site,
                name="pageview",
                timestamp=TIME_ZERO + timedelta(seconds=i),
                path=f"/p/{i}",
                url=f"https://export.example/p/{i}",
                visitor_hash=i,
            )
            for i in range(n)
        )

    def peak() -> int:
        tracemalloc.start()
        total = sum(len(piece) for piece in export.stream(site, "csv"))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert total > 0
        return top

    add(3000)
    small = peak()
    add(27_000)
    large = peak()
    assert large < small * 2.5  # ten times the rows


def test_export_events_command_writes_the_file(site, tmp_path):
    store(visits(site, visitors=2, hours=1))
    output = tmp_path / "events.ndjson"
    call_command(
        "export_events", "--site", "export.example", "--format", "ndjson", "--output", str(output), stderr=StringIO()
    )
    assert output.read_bytes() == b"".join(export.stream(site, "ndjson"))
    output = tmp_path / "day.csv"
    call_command(
        "export_events",
        "--site=export.example",
        "--since=2026-11-20",
        "--until=2026-11-20",
        f"--output={output}",
        stderr=StringIO(),
    )
    assert len(output.read_text().splitlines()) == Event.objects.count() + 1
