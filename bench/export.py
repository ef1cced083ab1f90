"""Export and archive throughput: rows/s of the streamed CSV/NDJSON export, bytes/event of the archive.

What is measured
    Three interleaved rounds of 1 and 2; the medians are reported.

    1. baseline: a plain SELECT of exactly the rows and columns the export reads (the events of
       one site joined to their visits, in export order), through a server-side cursor, 2,000
       rows a fetch, rows discarded. This is what reading alone costs.
    2. export csv / export ndjson: tracker.export.stream() consumed to the end, as the
       StreamingHttpResponse does (bytes counted, not kept). The ratio to the baseline is the
       cost of formatting; the growth of the process's peak RSS shows memory stays flat.
    3. archive: tracker.archive.archive_pending(force=True) into a temporary directory
       (batches of ARCHIVE_BATCH_EVENTS, gzip level 6), then compact(): events/s, and bytes
       per event of the batches and of the compacted hour files.

How
    In the PostgreSQL database `footfall_bench_export` on 127.0.0.1 (created and migrated
    here), one site gets N synthetic enriched events (default 500,000) over the last days, in
    visits of ~3 events, with realistic paths, sources, UTM tags, browsers and some props,
    written with COPY. A later run with the same N reuses them.

Run
    .venv/bin/python bench/export.py              # 500,000 events
    .venv/bin/python bench/export.py --quick      # 100,000 events

Results are printed and written to bench/results/export.json.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/export.py`: import the project, not bench/ siblings
    _root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [_root, *(p for p in sys.path[1:] if p != _root)]

from bench import (
    POSTGRES_SERVER_URL,
    apply_environ,
    bench_environ,
    median,
    print_table,
    relative_to_root,
    write_result,
)

NAME = "export"
DATABASE = "footfall_bench_export"
DOMAIN = "export.bench.test"
START = datetime(2026, 11, 1, tzinfo=UTC)


def setup() -> None:
    import psycopg

    apply_environ(bench_environ("footfall:bench:export", DATABASE_URL=f"{POSTGRES_SERVER_URL}/{DATABASE}"))
    with psycopg.connect(f"{POSTGRES_SERVER_URL}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def fill(site: Any, count: int) -> None:
    """Replace the site's events and visits with `count` synthetic ones (COPY, a visit per ~3 events)."""
    import orjson
    from django.db import connection

    from tracker.models import ArchiveCursor, ArchiveFile, Event, Session
    from tracker.pipeline import storage

    rng = random.Random(8)
    Event.objects.filter(site=site).delete()
    Session.objects.filter(site=site).delete()
    ArchiveCursor.objects.filter(site=site).delete()
    ArchiveFile.objects.filter(site=site).delete()
    paths = [
        f"/blog/{year}/{slug}-{n}"
        for year in (2024, 2025, 2026)
        for slug in ("notes", "howto", "review")
        for n in range(200)
    ]
    sources = [("", ""), ("google.com", "Google"), ("news.ycombinator.com", "Hacker News"), ("t.co", "Twitter")]
    browsers = [
        ("Chrome", "130.0", "Windows", "10", "desktop"),
        ("Safari", "18.1", "iOS", "18.1", "mobile"),
        ("Firefox", "132.0", "Linux", "", "desktop"),
    ]
    countries = ["DE", "US", "FR", "GB", "NL", "IN", "BR", ""]
    seconds = 14 * 86_400
    visits = count // 3
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('tracker_session', 'id')) FROM generate_series(1, %s)", [visits]
        )
        session_ids = [row[0] for row in cursor.fetchall()]
    session_rows = []
    event_rows = []
    for v, session_id in enumerate(session_ids):
        visitor = rng.getrandbits(62)
        started = START + timedelta(seconds=rng.randrange(seconds))
        referrer, source = rng.choice(sources)
        browser, browser_version, os_name, os_version, device = rng.choice(browsers)
        country = rng.choice(countries)
        utm = ("newsletter", "email", "nov", "", "") if v % 11 == 0 else ("", "", "", "", "")
        n = 3 if v < visits - 1 else count - 3 * (visits - 1)
        moments = [started + timedelta(seconds=30 * i) for i in range(n)]
        pages = [rng.choice(paths) for _ in range(n)]
        session_rows.append(
            [
                session_id,
                site.id,
                visitor,
                moments[0],
                moments[-1],
                DOMAIN,
                pages[0],
                pages[-1],
                n,
                n,
                30 * (n - 1),
                0,
                False,
                referrer,
                source,
                *utm,
                country,
                browser,
                os_name,
                device,
            ]
        )
        for i in range(n):
            name = "Signup" if i == 2 and v % 7 == 0 else "pageview"
            props = {"plan": rng.choice(["free", "pro"])} if name == "Signup" else {}
            event_rows.append(
                (
                    uuid.uuid4(),
                    site.id,
                    session_id,
                    name,
                    moments[i],
                    DOMAIN,
                    pages[i],
                    f"https://{DOMAIN}{pages[i]}",
                    referrer,
                    source,
                    *utm,
                    props,
                    None,
                    None,
                    country,
                    browser,
                    browser_version,
                    os_name,
                    os_version,
                    device,
                    visitor,
                )
            )
    storage._copy("tracker_session", ["id", *storage.SESSION_FIELDS], session_rows)
    # In arrival order, as the pipeline stores them: ids follow time, so archive batches follow hours.
    event_rows.sort(key=lambda row: row[4])
    at = storage.EVENT_FIELDS.index("props")
    storage._copy(
        "tracker_event",
        storage.EVENT_FIELDS,
        ((*row[:at], orjson.dumps(row[at]).decode(), *row[at + 1 :]) for row in event_rows),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_event; ANALYZE tracker_session")


def baseline(site: Any) -> float:
    """Seconds to read the export's rows with a plain server-side SELECT, discarding them."""
    from django.db import connection, transaction

    from tracker.lifecycle import export

    query = export.events_for_export(site).values_list(*export._READ).query
    sql, params = query.get_compiler(connection=connection).as_sql()
    started = time.perf_counter()
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while cursor.fetchmany(2000):
            pass
    return time.perf_counter() - started


def run_export(site: Any, fmt: str) -> tuple[float, int, int]:
    """Consume the export stream; return (seconds, bytes, growth of the process's peak RSS in bytes)."""
    from django.db import transaction

    from tracker.lifecycle import export

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    size = 0
    with transaction.atomic():  # as in a request: one transaction around the server-side cursor
        for piece in export.stream(site, fmt):
            size += len(piece)
    seconds = time.perf_counter() - started
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) * 1024
    return seconds, size, growth


def run_archive(site: Any) -> dict[str, float]:
    from django.conf import settings
    from django.test.utils import override_settings

    from tracker.lifecycle import archive
    from tracker.models import ArchiveCursor, ArchiveFile

    ArchiveCursor.objects.filter(site=site).delete()
    ArchiveFile.objects.filter(site=site).delete()
    with tempfile.TemporaryDirectory(prefix="footfall-bench-archive-") as folder:
        local = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": folder}}
        # override_settings also resets Django's cached storages.
        stack = override_settings(STORAGES={**settings.STORAGES, "archive": local})
        stack.enable()
        started = time.perf_counter()
        written = archive.archive_pending(force=True, sites=[site])
        archive_seconds = time.perf_counter() - started
        started = time.perf_counter()
        compacted = archive.compact(now=datetime.now(UTC) + timedelta(days=1), sites=[site])
        compact_seconds = time.perf_counter() - started
        hour_bytes = sum(p.stat().st_size for p in Path(folder).rglob("*.json.gz"))
        stack.disable()
    return {
        "events": written.events,
        "batch_files": written.files,
        "archive_seconds": archive_seconds,
        "batch_bytes_per_event": written.bytes / max(written.events, 1),
        "hour_files": compacted.hours,
        "compact_seconds": compact_seconds,
        "hour_bytes_per_event": hour_bytes / max(written.events, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--quick", action="store_true", help="100,000 events")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    count = 100_000 if args.quick else args.events
    setup()

    from bench import ensure_site
    from sites.models import Site
    from tracker.models import Event

    site = Site.objects.get(id=ensure_site(DOMAIN))
    if Event.objects.filter(site=site).count() != count:
        started = time.perf_counter()
        fill(site, count)
        print(f"generated {count:,} events in {time.perf_counter() - started:.1f} s")
    # Interleaved rounds, the median of each: other work on a small shared machine skews single runs.
    times: dict[str, list[float]] = {"baseline": [], "csv": [], "ndjson": []}
    sizes: dict[str, int] = {}
    growth: dict[str, int] = {}
    for _ in range(args.rounds):
        times["baseline"].append(baseline(site))
        for fmt in ("csv", "ndjson"):
            seconds, sizes[fmt], grown = run_export(site, fmt)
            times[fmt].append(seconds)
            growth[fmt] = max(growth.get(fmt, 0), grown)
    base = median(times["baseline"])
    rows = [["baseline: plain SELECT", f"{count / base:,.0f}", "1.00", "", ""]]
    result: dict[str, Any] = {"events": count, "rounds": args.rounds, "baseline_rows_per_second": count / base}
    for fmt in ("csv", "ndjson"):
        rate = count / median(times[fmt])
        ratio = rate / (count / base)
        rows.append(
            [f"export {fmt}", f"{rate:,.0f}", f"{ratio:.2f}", f"{sizes[fmt] / count:.0f}", f"{growth[fmt] / 1e6:.1f}"]
        )
        result[f"{fmt}_rows_per_second"] = rate
        result[f"{fmt}_ratio_to_baseline"] = ratio
        result[f"{fmt}_bytes_per_row"] = sizes[fmt] / count
        result[f"{fmt}_peak_rss_growth_mb"] = growth[fmt] / 1e6
    print_table(["what", "rows/s", "x baseline", "bytes/row", "peak RSS growth MB"], rows)
    archived = run_archive(site)
    result["archive"] = archived
    print()
    print_table(
        ["archive", "value"],
        [
            ["events archived", f"{archived['events']:,}"],
            ["archive events/s", f"{archived['events'] / archived['archive_seconds']:,.0f}"],
            ["batch files", f"{archived['batch_files']:,}"],
            ["batch bytes/event", f"{archived['batch_bytes_per_event']:.1f}"],
            ["hour files after compaction", f"{archived['hour_files']:,}"],
            ["compaction events/s", f"{archived['events'] / max(archived['compact_seconds'], 1e-9):,.0f}"],
            ["hour-file bytes/event", f"{archived['hour_bytes_per_event']:.1f}"],
        ],
    )
    path = write_result(NAME, result)
    print(f"\nwritten to {relative_to_root(path)}")


if __name__ == "__main__":
    main()
