"""Questions rollups cannot answer, on the canonical dataset: the database's raw path (PostgreSQL) as the
baseline, against the ClickHouse event store (chdb, in this process), in the same run.

What is measured
    The wall time of each Stats API request through Django's test Client with a real bearer key,
    once with EVENT_STORE=db (rollups where they answer; these questions fall to raw rows on
    PostgreSQL) and once with the ClickHouse store: several filters, `!=`, `~`, alternatives, a
    filter with breakdowns by entry page, source and country, a filtered timeseries, a goal
    breakdown and a 4-step funnel, each for 30 days and 12 months (bench/stats.py's anchor and
    clock), each with the metrics the dashboard asks for: the cards' (bounce rate and visit duration
    among them, which read each visit's state) for an aggregate, visitors and visits for a breakdown
    (a panel's tab), visitors for a timeseries (the graph). Budget (DESIGN.md): p95 < 500 ms at 12
    months on the ClickHouse store, and at least 20x the PostgreSQL raw path. Both answers must be
    equal; a difference is printed and makes the run exit 1.

How
    1. The dataset is loaded into PostgreSQL as bench/stats.py does (`--reuse` keeps it; the same
       database, so either bench can load it for the other).
    2. `manage.py copy_events --to-store --direct` copies it into a chdb store in var/bench/adhoc-store
       (ClickHouse reading PostgreSQL itself; kept for --reuse; its size on disk is reported beside
       the PostgreSQL tables').
    3. Each case runs once to warm up, then --reps times (default 5) within --case-seconds.

Run
    .venv/bin/python bench/adhoc.py --events 200000          # a quick look
    .venv/bin/python bench/adhoc.py                          # the canonical 10M events
    .venv/bin/python bench/adhoc.py --reuse --case goal --case funnel   # some cases, on the loaded data
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

if __package__ in (None, ""):  # run as `python bench/adhoc.py`: import the project, not bench/ siblings
    _root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [_root, *(p for p in sys.path[1:] if p != _root)]

from bench import BENCH_USERNAME, drop_database, print_table, setup_django, write_result
from bench import canonical_load as canonical
from bench import stats as standard

NAME = "adhoc"
BUDGET_P95_MS = 500.0
MIN_RATIO = 20.0
STORE_DIR = Path(__file__).resolve().parent.parent / "var" / "bench" / "adhoc-store"
# What the dashboard asks for with a filter on: the cards (an aggregate), a panel's tab (a breakdown:
# visitors and visits), the graph (a timeseries).
DASHBOARD_METRICS = {
    "aggregate": "visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration",
    "breakdown": "visitors,visits",
    "timeseries": "visitors",
    "funnel": "visitors",
}
CASES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("two filters", "aggregate", {"filters": "visit:country==DE;visit:device==mobile"}),
    ("three filters", "aggregate", {"filters": "visit:country==DE;visit:device==mobile;visit:browser==Chrome"}),
    ("source != Google", "aggregate", {"filters": "visit:source!=Google"}),
    ("page ~ blog", "aggregate", {"filters": "event:page~blog"}),
    ("mobile|tablet by country", "breakdown", {"filters": "visit:device==mobile|tablet", "property": "visit:country"}),
    ("DE by entry page", "breakdown", {"filters": "visit:country==DE", "property": "visit:entry_page"}),
    ("/pricing by source", "breakdown", {"filters": "event:page==/pricing", "property": "visit:source"}),
    ("Google by country", "breakdown", {"filters": "visit:source==Google", "property": "visit:country"}),
    ("blog readers by source", "breakdown", {"filters": "event:page~/blog/", "property": "visit:source"}),
    ("exit pages, not desktop", "breakdown", {"filters": "visit:device!=desktop", "property": "visit:exit_page"}),
    ("DE timeseries", "timeseries", {"filters": "visit:country==DE"}),
    ("goal breakdown", "breakdown", {"property": "event:goal", "metrics": "visitors,events,conversion_rate"}),
    ("funnel (4 steps)", "funnel", {"funnel": standard.FUNNEL_NAME}),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=canonical.CANONICAL_EVENTS, help="dataset size (default 10M)")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database and store")
    parser.add_argument("--reps", type=int, default=5, help="timed calls per case and store after a warm-up (5)")
    parser.add_argument("--case-seconds", type=float, default=60.0, help="time a case may take per store (60)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars while loading")
    parser.add_argument("--case", action="append", default=[], help="only the cases whose label has this (repeatable)")
    return parser.parse_args(argv)


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    data, _ = standard.prepare_dataset(args.events)
    if not args.reuse:
        drop_database(standard.DATABASE)
        shutil.rmtree(STORE_DIR, ignore_errors=True)
    STORE_DIR.parent.mkdir(parents=True, exist_ok=True)
    store_url = f"chdb://{STORE_DIR}"
    setup_django(standard.STREAM, standard.DATABASE, ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from sites.keys import api_key_create
    from sites.models import ApiKey, Site
    from sites.services import site_create
    from tracker.store import event_store

    user, _ = User.objects.get_or_create(username=BENCH_USERNAME)
    site = Site.objects.filter(domain=canonical.SITE_DOMAIN).first() or site_create(
        owner=user, domain=canonical.SITE_DOMAIN, timezone="UTC"
    )
    standard.ensure_goals(site)
    standard.ensure_loaded(data, site.id, reuse=args.reuse, progress=not args.no_progress)
    standard.run_rollups(data.events)

    with override_settings(EVENT_STORE=store_url):
        store = event_store()
        assert store is not None
        store.migrate()
        held = store.rows("SELECT count() FROM events WHERE site_id = {s:UInt64}", {"s": site.id})[0][0]
        copy_seconds = None
        if held != data.events:
            print(f"copying {data.events:,} events into the ClickHouse store ...", flush=True)
            started = time.perf_counter()
            call_command("copy_events", "--to-store", "--direct", "--site", site.domain)
            copy_seconds = time.perf_counter() - started
            # Merged once after the copy, as a store settles between writes; a reused store is merged already,
            # and rewriting its visits on every run would only make the timings noisier.
            store.command("OPTIMIZE TABLE session_progress FINAL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('tracker_event') + pg_total_relation_size('tracker_session')")
        postgres_bytes = cursor.fetchone()[0]
    clickhouse_bytes = directory_bytes(STORE_DIR)

    ApiKey.objects.filter(user=user, name=standard.API_KEY_NAME).delete()
    _, secret = api_key_create(user=user, name=standard.API_KEY_NAME, scopes=[ApiKey.Scope.STATS_READ], sites=[site])
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}

    def api_call(endpoint: str, params: dict[str, str], store: str) -> Callable[[], Any]:
        query = {"site_id": site.domain, "metrics": DASHBOARD_METRICS[endpoint], **params}

        def call() -> Any:
            with override_settings(EVENT_STORE=store):
                response = client.get(f"/api/v1/stats/{endpoint}", query, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{endpoint} {query} answered {response.status_code}: {response.content[:300]!r}")
            return response.json()

        return call

    rows, results, failed = [], [], False
    with mock.patch("django.utils.timezone.now", return_value=standard.parse_now(standard.DEFAULT_NOW)):
        for range_name, dates in standard.RANGES.items():
            for label, endpoint, params in CASES:
                if args.case and not any(part in label for part in args.case):
                    continue
                timed = {
                    name: standard.measure(
                        api_call(endpoint, {**dates, **params}, url), reps=args.reps, case_seconds=args.case_seconds
                    )
                    for name, url in (("clickhouse", store_url), ("postgres", "db"))
                }
                house, postgres = timed["clickhouse"], timed["postgres"]
                if house.answer != postgres.answer:
                    failed = True
                    print(f"  DIFFERENT ANSWERS for {label} ({range_name})")
                ratio = postgres.p50_ms / house.p50_ms if house.p50_ms else 0.0
                within = house.p95_ms < BUDGET_P95_MS and ratio >= MIN_RATIO
                print(
                    f"  {range_name:<4} {label:<26} ClickHouse p95 {house.p95_ms:8.1f} ms   "
                    f"PostgreSQL p50 {postgres.p50_ms:9.1f} ms   {ratio:6.1f}x",
                    flush=True,
                )
                rows.append([label, range_name, house.p50_ms, house.p95_ms, postgres.p50_ms, f"{ratio:.1f}x", within])
                results.append(
                    {
                        "case": label,
                        "range": range_name,
                        "clickhouse_p50_ms": round(house.p50_ms, 1),
                        "clickhouse_p95_ms": round(house.p95_ms, 1),
                        "postgres_p50_ms": round(postgres.p50_ms, 1),
                        "ratio": round(ratio, 1),
                        "within_budget": within,
                    }
                )
    print(
        f"\nAd-hoc questions at {data.events:,} events: ClickHouse (chdb) against PostgreSQL's raw path "
        f"(budget: p95 < {BUDGET_P95_MS:.0f} ms and >= {MIN_RATIO:.0f}x)"
    )
    print_table(["case", "range", "CH p50 ms", "CH p95 ms", "PG p50 ms", "PG / CH", "budget"], rows)
    print(
        f"bytes per event on disk: PostgreSQL {postgres_bytes / data.events:,.0f} (events and sessions with "
        f"indexes), ClickHouse {clickhouse_bytes / data.events:,.0f}; "
        + (
            "the store held the events already"
            if copy_seconds is None
            else f"copy into the store {copy_seconds:.1f} s ({data.events / copy_seconds:,.0f} events/s)"
        )
    )
    write_result(
        NAME,
        {
            "events": data.events,
            "cases": results,
            "bytes_per_event": {
                "postgres": round(postgres_bytes / data.events, 1),
                "clickhouse": round(clickhouse_bytes / data.events, 1),
            },
            "copy_seconds": None if copy_seconds is None else round(copy_seconds, 1),
            "answers_equal": not failed,
        },
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
