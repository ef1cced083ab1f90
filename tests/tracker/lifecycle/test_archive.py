"""The archive: batches after n events or m seconds, hourly compaction that survives crashes, restore."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from django.db.models import Max

import stats
from sites.models import Site
from tests.factories import TIME_ZERO, EventFactory, SiteFactory
from tests.tracker.events import store, visits
from tracker import rollups
from tracker.lifecycle import archive, export, parquet
from tracker.models import ArchiveCursor, ArchiveFile, Event, Rollup, RollupDirty, RollupState, Session

pytestmark = pytest.mark.django_db

LATER = TIME_ZERO + timedelta(days=3)  # every test hour is long finished by then


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def export_ndjson(site: Site) -> bytes:
    return b"".join(export.stream(site, "ndjson"))


@pytest.fixture
def site():
    return SiteFactory(domain="archive.example")


def test_a_batch_waits_for_n_events_or_m_seconds(site, settings, archive_dir):
    settings.ARCHIVE_BATCH_EVENTS = 1000
    settings.ARCHIVE_BATCH_SECONDS = 60
    store(visits(site, visitors=2, hours=1))
    assert archive.archive_pending(now=TIME_ZERO).events == 0  # the cursor starts its clock now
    assert archive.archive_pending(now=TIME_ZERO + timedelta(seconds=30)).events == 0
    assert archive.archive_pending(now=TIME_ZERO + timedelta(seconds=61)).events == Event.objects.count()

    settings.ARCHIVE_BATCH_EVENTS = 3
    store(visits(site, start=TIME_ZERO + timedelta(hours=5), visitors=2, hours=1))
    new = Event.objects.filter(timestamp__gte=TIME_ZERO + timedelta(hours=5)).count()
    # Full batches of 3 go at once; the rest waits for the clock.
    result = archive.archive_pending(now=TIME_ZERO + timedelta(seconds=62))
    assert result.events == new - new % 3
    assert archive.archive_pending(now=TIME_ZERO + timedelta(seconds=200)).events == new % 3


def test_batches_hold_enriched_events_per_site_and_hour_and_no_address(site, archive_dir):
    other = SiteFactory(domain="other.example")
    store(visits(site) + visits(other, visitors=1, hours=1))
    result = archive.archive_pending(now=LATER, force=True)
    assert result.events == Event.objects.count()
    names = files_under(archive_dir)
    assert all(n.startswith(("archive.example/2026/11/20/", "other.example/2026/11/20/")) for n in names)
    assert {n.rsplit("/", 2)[1] for n in names} == {"12", "13", "14", "15"}
    rows = [row for name in names for row in lines(archive_dir / name)]
    assert len(rows) == Event.objects.count()
    assert list(rows[0]) == list(export.COLUMNS)
    assert not any("ip" in row or "user_agent" in row for row in rows)
    assert {row["browser"] for row in rows} == {"Chrome", "Firefox"}
    manifest = ArchiveFile.objects.filter(kind=ArchiveFile.Kind.BATCH)
    assert sorted(manifest.values_list("name", flat=True)) == names
    assert sum(manifest.values_list("events", flat=True)) == len(rows)
    assert archive.archive_pending(now=LATER, force=True).events == 0  # the cursor moved past them


def test_events_stored_after_the_high_water_mark_wait_for_the_next_run(site, monkeypatch, archive_dir):
    store(visits(site, visitors=1, hours=1))
    real = archive.safe_high_water_mark

    def mark_then_store(of_site) -> int:
        high = real(of_site)
        store(visits(site, start=TIME_ZERO + timedelta(hours=2), visitors=1, hours=1))  # lands above the mark
        return high

    monkeypatch.setattr(archive, "safe_high_water_mark", mark_then_store)
    first = archive.archive_pending(now=LATER, force=True).events
    monkeypatch.setattr(archive, "safe_high_water_mark", real)
    second = archive.archive_pending(now=LATER, force=True).events
    assert first > 0
    assert second > 0
    assert first + second == Event.objects.count()


def test_a_crash_before_the_cursor_moves_duplicates_nothing_after_compaction(site, monkeypatch, archive_dir):
    store(visits(site, visitors=3, hours=2))

    real = archive._write_batch

    def write_then_crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("killed after writing the batch, before the cursor moved")

    monkeypatch.setattr(archive, "_write_batch", write_then_crash)
    with pytest.raises(RuntimeError):
        archive.archive_pending(now=LATER, force=True)
    monkeypatch.undo()
    assert files_under(archive_dir)  # written, but neither recorded nor past the cursor
    assert not ArchiveFile.objects.exists()
    store(visits(site, start=TIME_ZERO + timedelta(minutes=5), visitors=1, hours=1))  # more of the same hours
    archive.archive_pending(now=LATER, force=True)
    archive.compact(now=LATER)
    names = files_under(archive_dir)
    assert all(n.count("/") == 4 for n in names)  # only hour files are left, the orphans merged
    uuids = [row["uuid"] for name in names for row in lines(archive_dir / name)]
    assert len(uuids) == len(set(uuids)) == Event.objects.count()


def test_compaction_merges_each_hour_into_one_file_and_late_batches_into_it(site, settings, archive_dir):
    settings.ARCHIVE_BATCH_EVENTS = 5  # many small batches
    store(visits(site, visitors=4, hours=2))
    archive.archive_pending(now=LATER, force=True)
    batches = ArchiveFile.objects.filter(kind=ArchiveFile.Kind.BATCH).count()
    result = archive.compact(now=LATER)
    assert result.batches == batches
    names = files_under(archive_dir)
    assert names == [f"archive.example/2026/11/20/{h}.json.gz" for h in ("12", "13", "14")]
    hours = ArchiveFile.objects.filter(kind=ArchiveFile.Kind.HOUR).order_by("hour")
    assert [f.name for f in hours] == names
    assert not ArchiveFile.objects.filter(kind=ArchiveFile.Kind.BATCH).exists()
    for entry in hours:
        rows = lines(archive_dir / entry.name)
        assert entry.events == len(rows)
        assert [(r["timestamp"], r["uuid"]) for r in rows] == sorted((r["timestamp"], r["uuid"]) for r in rows)
        assert all(r["timestamp"].startswith(f"{entry.hour:%Y-%m-%dT%H}") for r in rows)

    # A late batch for an hour compacted already is merged into its file.
    late = visits(site, start=TIME_ZERO + timedelta(minutes=1), visitors=1, hours=1)
    store(late)
    archive.archive_pending(now=LATER, force=True)
    archive.compact(now=LATER)
    assert files_under(archive_dir) == names
    total = sum(len(lines(archive_dir / name)) for name in names)
    assert total == Event.objects.count()


def test_compaction_waits_for_the_hour_to_end(site, settings, archive_dir):
    settings.ARCHIVE_COMPACT_AFTER_SECONDS = 600
    store(visits(site, visitors=1, hours=1))  # 12:5x and 13:0x
    archive.archive_pending(now=LATER, force=True)
    archive.compact(now=datetime(2026, 11, 20, 13, 5, tzinfo=UTC))
    assert ArchiveFile.objects.filter(kind=ArchiveFile.Kind.BATCH).count() == 2  # 12:00 ended only 5 min ago
    archive.compact(now=datetime(2026, 11, 20, 13, 11, tzinfo=UTC))
    assert list(ArchiveFile.objects.filter(kind=ArchiveFile.Kind.BATCH).values_list("hour", flat=True)) == [
        datetime(2026, 11, 20, 13, tzinfo=UTC)
    ]


@pytest.mark.parametrize("step", ["write", "manifest", "delete", "deleted-one"])
def test_a_crash_between_compaction_steps_loses_and_duplicates_nothing(site, settings, monkeypatch, step, archive_dir):
    settings.ARCHIVE_BATCH_EVENTS = 4
    store(visits(site, visitors=3, hours=1))
    archive.archive_pending(now=LATER, force=True)
    # One hour compacted before, so the crash also hits the replacing of an existing hour file.
    first_hour = datetime(2026, 11, 20, 12, tzinfo=UTC)
    archive.compact_hour(site, first_hour)
    store(visits(site, start=TIME_ZERO + timedelta(minutes=2), visitors=2, hours=1))
    archive.archive_pending(now=LATER, force=True)
    expected = set(map(str, Event.objects.values_list("uuid", flat=True)))

    def crash(reached: str) -> None:
        if reached == step:
            raise RuntimeError(f"killed at {step}")

    monkeypatch.setattr(archive, "checkpoint", crash)
    with pytest.raises(RuntimeError):
        archive.compact(now=LATER)
    # Mid-crash, a restore would still see every event (from the old files, the new or both).
    seen = [row["uuid"] for name in files_under(archive_dir) for row in lines(archive_dir / name)]
    assert set(seen) == expected
    monkeypatch.undo()
    archive.compact(now=LATER)
    names = files_under(archive_dir)
    assert all(n.count("/") == 4 for n in names)
    uuids = [row["uuid"] for name in names for row in lines(archive_dir / name)]
    assert len(uuids) == len(expected)
    assert set(uuids) == expected
    assert not ArchiveFile.objects.filter(kind=ArchiveFile.Kind.BATCH).exists()
    assert sum(ArchiveFile.objects.values_list("events", flat=True)) == len(expected)


def test_a_temporary_file_left_by_a_crashed_write_is_ignored_and_removed(site, archive_dir):
    store(visits(site, visitors=1, hours=1))
    archive.archive_pending(now=LATER, force=True)
    leftover = archive_dir / "archive.example/2026/11/20/12.json.gz.tmp-dead"
    leftover.write_bytes(b"half a file")
    assert archive.hours_in_archive("archive.example")  # the listing skips it
    assert all("tmp" not in n for names in archive.hours_in_archive("archive.example").values() for n in names)
    archive.compact(now=LATER)
    assert not leftover.exists()


def wipe_collected_data() -> None:
    """What a lost database leaves: no events, visits, rollups, fill states or archive bookkeeping."""
    for model in (Event, Session, Rollup, RollupDirty, RollupState, ArchiveCursor, ArchiveFile):
        model.objects.all().delete()


def rollup_rows() -> list[tuple]:
    fields = [f.attname for f in Rollup._meta.concrete_fields if f.attname != "id"]
    return sorted(Rollup.objects.values_list(*fields))


def stats_answers(site: Site) -> list:
    from stats.query import build_query
    from tests.stats import answers as report

    answers = []
    for params in (
        {"period": "7d", "date": "2026-11-21", "metrics": "visitors,visits,pageviews,bounce_rate,visit_duration"},
        {"period": "day", "date": "2026-11-20", "metrics": "visitors,pageviews", "interval": "hour"},
        {"period": "7d", "date": "2026-11-21", "property": "visit:source", "metrics": "visitors,visits"},
        {"period": "7d", "date": "2026-11-21", "property": "event:page", "metrics": "pageviews"},
    ):
        query = build_query(site_id=site.id, timezone=site.timezone, params=params, now=LATER)
        if query.breakdown is not None:
            answers.append(report.breakdown(query, limit=100, page=1))
        elif query.interval == "hour":
            answers.append(report.timeseries(query))
        else:
            answers.append(report.aggregate(query))
    return answers


@pytest.mark.parametrize("archive_format", ["json", "parquet"])
def test_round_trip_events_archive_compact_wipe_restore_gives_the_same_export_rollups_and_stats(
    settings, archive_dir, archive_format
):
    settings.ARCHIVE_FORMAT = archive_format
    settings.ARCHIVE_BATCH_EVENTS = 25
    site = SiteFactory(domain="roundtrip.example", timezone="Europe/Berlin")
    other = SiteFactory(domain="other.example")
    # Late in the day: visits cross midnight (UTC and Berlin), so days and carried counts matter.
    store(visits(site, start=TIME_ZERO + timedelta(hours=9), visitors=8, hours=4) + visits(other, visitors=2))
    for s in (site, other):
        rollups.roll_up_site(s, now=LATER)
    before = {s.domain: (export_ndjson(s), b"".join(export.stream(s, "csv"))) for s in (site, other)}
    rollups_before = rollup_rows()
    stats_before = stats_answers(site)
    assert stats_before[0]["visitors"].value > 0

    archive.archive_pending(now=LATER, force=True)
    archive.compact(now=LATER)
    wipe_collected_data()
    assert export_ndjson(site) == b""

    result = archive.restore()
    assert result.stored == result.events == sum(len(v[0].splitlines()) for v in before.values())
    for s in (site, other):
        rollups.roll_up_site(s, now=LATER)
        assert (export_ndjson(s), b"".join(export.stream(s, "csv"))) == before[s.domain]
    assert rollup_rows() == rollups_before
    assert stats_answers(site) == stats_before

    # Again: nothing is stored twice, and the restored events are not archived a second time.
    assert archive.restore().stored == 0
    assert archive.archive_pending(now=LATER, force=True).events == 0


def test_restore_reads_what_it_can_of_a_partially_written_batch(site, settings, archive_dir):
    settings.ARCHIVE_BATCH_EVENTS = 10_000
    store(visits(site, visitors=40, hours=1))
    archive.archive_pending(now=LATER, force=True)
    expected = Event.objects.count()
    batch = max(archive_dir.rglob("*.json.gz"), key=lambda p: p.stat().st_size)
    whole = gzip.decompress(batch.read_bytes())
    complete = whole.count(b"\n")
    # The file as a crash could leave it: the gzip stream cut off midway, the last line half written.
    batch.write_bytes(batch.read_bytes()[: len(batch.read_bytes()) // 2])
    readable = archive.read_file(archive.archive_storage(), str(batch.relative_to(archive_dir)))
    assert readable.damaged
    assert 0 < len(readable.rows) < complete
    wipe_collected_data()
    result = archive.restore(sites=[site])
    assert result.damaged_files == 1
    assert 0 < result.stored < expected
    assert Event.objects.count() == result.stored


def test_restore_honours_site_and_time_bounds(site, archive_dir):
    other = SiteFactory(domain="second.example")
    store(visits(site, visitors=2, hours=3) + visits(other, visitors=1, hours=1))
    archive.archive_pending(now=LATER, force=True)
    wipe_collected_data()
    since, until = datetime(2026, 11, 20, 13, tzinfo=UTC), datetime(2026, 11, 20, 14, tzinfo=UTC)
    result = archive.restore(sites=[site], since=since, until=until)
    assert result.stored > 0
    assert set(Event.objects.values_list("site_id", flat=True)) == {site.id}
    assert all(since <= t < until for t in Event.objects.values_list("timestamp", flat=True))


def test_restore_skips_folders_of_unknown_sites(site, archive_dir):
    store(visits(site, visitors=1, hours=1))
    archive.archive_pending(now=LATER, force=True)
    (archive_dir / "gone.example").mkdir()
    assert archive.restore().skipped_sites == ["gone.example"]


def test_archive_retention_deletes_old_files_only(site, settings, archive_dir):
    store(visits(site, visitors=1, hours=1))
    archive.archive_pending(now=LATER, force=True)
    archive.compact(now=LATER)
    settings.ARCHIVE_RETENTION_DAYS = None
    assert archive.apply_archive_retention(now=LATER + timedelta(days=400)) == 0
    site.archive_retention_days = 30
    site.save()
    assert archive.apply_archive_retention(now=TIME_ZERO + timedelta(days=29)) == 0
    assert archive.apply_archive_retention(now=TIME_ZERO + timedelta(days=31)) == 2
    assert files_under(archive_dir) == []
    assert not ArchiveFile.objects.exists()


def test_site_folders_cannot_leave_the_archive():
    assert archive.site_folder("blog.example") == "blog.example"
    assert archive.site_folder("../etc") == "%2E.%2Fetc"
    assert "/" not in archive.site_folder("a/b")


def test_the_archiver_never_archives_events_of_a_stopped_site(site, archive_dir):
    store(visits(site, visitors=1, hours=1))
    archive.stop_archiving(site)
    assert archive.archive_pending(now=LATER, force=True).events == 0
    archive.resume_archiving(site)
    assert ArchiveCursor.objects.get(site=site).last_event_id == Event.objects.aggregate(m=Max("id"))["m"]


def test_archive_and_compact_commands(site, archive_dir):
    from io import StringIO

    from django.core.management import call_command

    store(visits(site, visitors=1, hours=1))
    out = StringIO()
    call_command("archive_events", "--compact", stdout=out, stderr=StringIO())
    assert "bytes/event" in out.getvalue()
    assert files_under(archive_dir) == [
        "archive.example/2026/11/20/12.json.gz",
        "archive.example/2026/11/20/13.json.gz",
    ]
    wipe_collected_data()
    out = StringIO()
    call_command("restore_archive", "--site", "archive.example", stdout=out, stderr=StringIO())
    assert f"stored {Event.objects.count():,}" in out.getvalue()
    assert Event.objects.count() > 0


def test_archive_on_s3_compatible_storage(site, settings):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="footfall-archive")
        settings.AWS_ACCESS_KEY_ID = "test"
        settings.AWS_SECRET_ACCESS_KEY = "test"
        settings.AWS_S3_REGION_NAME = "us-east-1"
        settings.STORAGES = {**settings.STORAGES, "archive": settings_for("s3://footfall-archive/footfall")}
        store(visits(site, visitors=2, hours=1))
        before = export_ndjson(site)
        archive.archive_pending(now=LATER, force=True)
        archive.compact(now=LATER)
        keys = [
            o["Key"]
            for o in boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="footfall-archive")["Contents"]
        ]
        assert sorted(keys) == [
            "footfall/archive.example/2026/11/20/12.json.gz",
            "footfall/archive.example/2026/11/20/13.json.gz",
        ]
        wipe_collected_data()
        archive.restore(sites=[site])
        assert export_ndjson(site) == before


def settings_for(location: str) -> dict:
    from analytics_site.settings.base import _archive_storage

    return _archive_storage(location)


def test_factory_events_without_a_visit_are_archived_too(site, archive_dir):
    EventFactory(site=site)
    assert archive.archive_pending(now=LATER, force=True).events == 1


# --- the Parquet layout ------------------------------------------------------------------------


def test_parquet_batches_and_hours_are_hive_partitions_of_site_and_utc_day(site, settings, archive_dir):
    settings.ARCHIVE_FORMAT = "parquet"
    settings.ARCHIVE_BATCH_EVENTS = 7
    store(visits(site, start=TIME_ZERO + timedelta(hours=10), visitors=3, hours=2))  # into the next UTC day
    archive.archive_pending(now=LATER, force=True)
    names = files_under(archive_dir)
    assert {n.rsplit("/", 1)[0] for n in names} == {
        "site=archive.example/date=2026-11-20",
        "site=archive.example/date=2026-11-21",
    }
    assert all(re.fullmatch(r"[0-9]{2}-[0-9]{12}-[0-9]{12}\.parquet", n.rsplit("/", 1)[1]) for n in names)
    assert sorted(ArchiveFile.objects.values_list("name", flat=True)) == names
    archive.compact(now=LATER)
    hours = files_under(archive_dir)
    assert all(re.fullmatch(r"[0-9]{2}\.parquet", n.rsplit("/", 1)[1]) for n in hours)
    assert len(hours) < len(names)
    rows = [row for name in hours for row in parquet.read_rows(str(archive_dir / name))]
    assert sorted(r["uuid"] for r in rows) == sorted(str(u) for u in Event.objects.values_list("uuid", flat=True))
    assert sorted(ArchiveFile.objects.values_list("name", flat=True)) == hours


def test_an_hour_archived_in_both_formats_compacts_into_the_format_in_force(site, settings, archive_dir):
    settings.ARCHIVE_BATCH_EVENTS = 5
    store(visits(site, visitors=2, hours=1))
    archive.archive_pending(now=LATER, force=True)
    archive.compact(now=LATER)  # an hour file of json
    settings.ARCHIVE_FORMAT = "parquet"
    store(visits(site, visitors=3, hours=1, start=TIME_ZERO + timedelta(minutes=1)))
    archive.archive_pending(now=LATER, force=True)  # parquet batches of the same hours
    assert any(n.endswith(".json.gz") for n in files_under(archive_dir))
    archive.compact(now=LATER)
    names = files_under(archive_dir)
    assert names
    assert all(n.startswith("site=archive.example/date=2026-11-20/") and n.endswith(".parquet") for n in names)
    archived = [r["uuid"] for n in names for r in parquet.read_rows(str(archive_dir / n))]
    assert sorted(archived) == sorted(str(u) for u in Event.objects.values_list("uuid", flat=True))
    assert sorted(ArchiveFile.objects.values_list("name", flat=True)) == names


def test_a_damaged_parquet_file_is_reported_and_the_rest_restored(site, settings, archive_dir):
    settings.ARCHIVE_FORMAT = "parquet"
    store(visits(site, visitors=3, hours=2))
    archive.archive_pending(now=LATER, force=True)
    files = sorted(archive_dir.rglob("*.parquet"))
    assert len(files) > 1
    files[0].write_bytes(files[0].read_bytes()[:100])  # cut off before its footer
    in_damaged = ArchiveFile.objects.get(name=str(files[0].relative_to(archive_dir))).events
    expected = Event.objects.count()
    wipe_collected_data()
    result = archive.restore(sites=[site])
    assert result.damaged_files == 1
    assert result.stored == expected - in_damaged


def test_deleting_a_site_deletes_its_parquet_partitions(site, settings, archive_dir):
    settings.ARCHIVE_FORMAT = "parquet"
    store(visits(site, visitors=1, hours=1))
    archive.archive_pending(now=LATER, force=True)
    assert files_under(archive_dir)
    assert archive.delete_site_files(site) > 0
    assert files_under(archive_dir) == []
    assert not (archive_dir / "site=archive.example").exists()


def test_duckdb_reads_the_partitions_with_the_counts_and_aggregates_of_the_stats_api(settings, archive_dir):
    import duckdb

    settings.ARCHIVE_FORMAT = "parquet"
    settings.ARCHIVE_BATCH_EVENTS = 40
    site = SiteFactory(domain="warehouse.example")
    other = SiteFactory(domain="other.example")
    days = [TIME_ZERO + timedelta(days=n) for n in range(3)]
    hits = [h for n, day in enumerate(days) for h in visits(site, start=day, visitors=6 + n)]
    store(hits + visits(other, visitors=2, hours=1))
    archive.archive_pending(now=LATER + timedelta(days=3), force=True)
    archive.compact(now=LATER + timedelta(days=3))

    warehouse = duckdb.connect()
    # As the README shows it: the partitions become the columns `site` and `date`.
    files = str(archive_dir / "**" / "*.parquet")
    view = f"CREATE VIEW events AS SELECT * FROM read_parquet('{files}', hive_partitioning = true)"  # noqa: S608
    warehouse.execute(view)  # (a view takes no parameters; the path is the test's own folder)
    per_day = dict(
        warehouse.execute("SELECT date, count(*) FROM events WHERE site = 'warehouse.example' GROUP BY date").fetchall()
    )
    stored = Event.objects.filter(site__domain="warehouse.example")
    assert per_day == {day.date(): stored.filter(timestamp__date=day.date()).count() for day in days}
    where = ["warehouse.example", date(2026, 11, 20), date(2026, 11, 22)]
    totals = warehouse.execute(
        "SELECT count(DISTINCT visitor_hash), count(*) FILTER (WHERE name = 'pageview') FROM events "
        "WHERE site = ? AND date BETWEEN ? AND ?",
        where,
    ).fetchone()
    assert totals is not None
    visitors, pageviews = totals
    top_pages = warehouse.execute(
        "SELECT path, count(DISTINCT visitor_hash) AS visitors FROM events "
        "WHERE name = 'pageview' AND site = ? AND date BETWEEN ? AND ? GROUP BY path ORDER BY visitors DESC, path",
        where,
    ).fetchall()

    params = {"period": "custom", "date": "2026-11-20,2026-11-22"}
    aggregate = stats.build_query(
        site_id=site.id, timezone=site.timezone, params={**params, "metrics": "visitors,pageviews"}, now=LATER
    )
    values = {name: value.value for name, value in stats.run(aggregate).values.items()}
    assert (visitors, pageviews) == (values["visitors"], values["pageviews"])
    assert pageviews > visitors > 0
    pages = stats.build_query(
        site_id=site.id,
        timezone=site.timezone,
        params={**params, "property": "event:page", "limit": "100"},
        now=LATER,
        kind=stats.Kind.BREAKDOWN,
    )
    rows = stats.run(pages).rows
    assert {page: row["visitors"] for page, row in rows} == dict(top_pages)
    assert rows[0][1]["visitors"] == top_pages[0][1]
