"""Stats API latency on the canonical dataset (10M events), with the raw-event numbers as baseline.

What is measured
    The wall time of each stats request through Django's test Client with a real bearer API
    key (scope stats:read), so the whole view stack counts: URL routing, authentication, the
    query parser, the stats layer and JSON rendering. Budget (DESIGN.md): p95 < 150 ms per
    stats request at 10M events over a 12-month range. Cases, each for period=30d and
    period=12mo anchored at date=2026-11-24:

    - /api/v1/stats/aggregate with visitors, visits, pageviews, views_per_visit, bounce_rate,
      visit_duration, events; once more filtered by visit:country==DE;
    - /api/v1/stats/timeseries (default interval) with visitors, pageviews; once more
      filtered by event:page==/pricing;
    - /api/v1/stats/breakdown (visitors, pageviews, limit 100) by event:page,
      visit:entry_page, visit:exit_page, visit:source, visit:referrer, visit:country,
      visit:browser, visit:os, visit:device, event:name;
    - goals and funnels (budget p95 < 500 ms at 12 months, set for the ClickHouse store; this
      store's figures are reported against it, not held to it, unless --store names a ClickHouse
      store): /api/v1/stats/breakdown by
      event:goal (visitors, events, conversion_rate) over 9 goals (pages /pricing, /signup,
      /features, /blog/**, /docs/**; events signup-click, cta-hero, demo-request, download),
      /api/v1/stats/aggregate filtered by event:goal==signup-click with conversion_rate, and
      /api/v1/stats/funnel of 4 steps (/features, /pricing, signup-click, /signup).

    Each case is called once to warm up, then --reps times (default 20); a case whose warm-up
    alone takes longer than --case-seconds runs no more repetitions than fit into that time,
    and none when the warm-up exceeded it (then the warm-up is its only sample: the n column
    says how many samples there are). The clock is fixed with --now (default
    2026-11-25T00:30:00Z, half an hour after the dataset's last day): django.utils.timezone.now
    is patched for the whole run.

    Baseline in the same run: the aggregate, the timeseries and the event:page, visit:source
    and visit:country breakdowns computed straight from raw events with stats/raw.py
    (--raw-reps, default 3, after a warm-up), with their p50 and the ratio raw/API. The API's
    answers must equal the raw ones (the raw module is the reference that rollup-based answers
    must match); any difference is printed and makes the run exit 1.

How
    1. The canonical CSV (bench/gen_canonical.py, seed 20261124) is generated into
       var/bench/canonical/ unless it is there; at the canonical size its content hash is
       checked against the published one.
    2. The database `footfall_bench_stats` on 127.0.0.1 is dropped, created and migrated, and
       the CSV bulk-loaded into the site example.com (UTC) as the pipeline would have stored
       it (bench/canonical_load.py: COPY, indexes rebuilt at the end, then VACUUM ANALYZE).
       --reuse keeps a database that already holds the dataset.
    3. `manage.py rollup` runs when the project has that command (timed, in events/s);
       otherwise the API reads raw rows and a notice says so.
    4. --check first feeds the CSV's first --check-events events through the real
       tracker.pipeline.process_batch and asserts that the bulk path stores the same rows.

Run
    .venv/bin/python bench/stats.py                       # 10M events: generate, load, time
    .venv/bin/python bench/stats.py --reuse               # time again on the loaded database
    .venv/bin/python bench/stats.py --events 200000 --check --reps 5
    .venv/bin/python bench/stats.py --reuse --store chdb://$PWD/var/bench/adhoc-store   # on ClickHouse

Results are printed and written to bench/results/stats.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

if __package__ in (None, ""):  # run as `python bench/stats.py`: import the project, not bench/ siblings
    _root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [_root, *(p for p in sys.path[1:] if p != _root)]

from bench import BENCH_USERNAME, drop_database, print_table, relative_to_root, setup_django, write_result
from bench import canonical_load as canonical

NAME = "stats"
DATABASE = "footfall_bench_stats"
STREAM = "footfall:bench:stats"  # unused here (no Redis), but every bench process names its own
BUDGET_P95_MS = 150.0
DEFAULT_NOW = "2026-11-25T00:30:00Z"
ANCHOR = "2026-11-24"
# The short range first: on raw rows a 12-month request at 10M events can take minutes.
RANGES = {"30d": {"period": "30d", "date": ANCHOR}, "12mo": {"period": "12mo", "date": ANCHOR}}
AGGREGATE_METRICS = "visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events"
BREAKDOWN_METRICS = "visitors,pageviews"
BREAKDOWN_LIMIT = 100
BREAKDOWNS = (
    "event:page",
    "visit:entry_page",
    "visit:exit_page",
    "visit:source",
    "visit:referrer",
    "visit:country",
    "visit:browser",
    "visit:os",
    "visit:device",
    "event:name",
)
BASELINE_BREAKDOWNS = ("event:page", "visit:source", "visit:country")
API_KEY_NAME = "bench stats"
GOAL_BUDGET_P95_MS = 500.0
# Natural goals of the canonical data set: its busiest pages and sections, and its custom events.
PAGE_GOALS = ("/pricing", "/signup", "/features", "/blog/**", "/docs/**")
EVENT_GOALS = ("signup-click", "cta-hero", "demo-request", "download")
FUNNEL_NAME = "Features to sign-up"
FUNNEL_STEPS = ("Visit /features", "Visit /pricing", "signup-click", "Visit /signup")


@dataclass(frozen=True)
class Case:
    label: str
    endpoint: str  # aggregate, timeseries, breakdown or funnel
    params: dict[str, str]
    baseline: bool = False  # also computed from raw events
    # Goals and funnels have a budget of their own, set for the ClickHouse event store: on the db store
    # (PostgreSQL, raw events) their figures are reported against it, not held to it (--store holds them).
    budget_ms: float = BUDGET_P95_MS
    held: bool = True

    def url(self) -> str:
        return f"/api/v1/stats/{self.endpoint}"


CASES = (
    Case("aggregate", "aggregate", {"metrics": AGGREGATE_METRICS}, baseline=True),
    Case("timeseries", "timeseries", {"metrics": BREAKDOWN_METRICS}, baseline=True),
    *(
        Case(
            f"breakdown {prop}",
            "breakdown",
            {"property": prop, "metrics": BREAKDOWN_METRICS, "limit": str(BREAKDOWN_LIMIT)},
            baseline=prop in BASELINE_BREAKDOWNS,
        )
        for prop in BREAKDOWNS
    ),
    Case("aggregate visit:country==DE", "aggregate", {"metrics": AGGREGATE_METRICS, "filters": "visit:country==DE"}),
    Case(
        "timeseries event:page==/pricing",
        "timeseries",
        {"metrics": BREAKDOWN_METRICS, "filters": "event:page==/pricing"},
    ),
    *(
        Case(label, endpoint, params, budget_ms=GOAL_BUDGET_P95_MS, held=False)
        for label, endpoint, params in (
            (
                "breakdown event:goal",
                "breakdown",
                {"property": "event:goal", "metrics": "visitors,events,conversion_rate"},
            ),
            (
                "aggregate event:goal==signup-click",
                "aggregate",
                {"metrics": "visitors,conversion_rate", "filters": "event:goal==signup-click"},
            ),
            ("funnel (4 steps)", "funnel", {"funnel": FUNNEL_NAME}),
        )
    ),
)

BY_LABEL = {case.label: case for case in CASES}


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)  # seconds
    warmup: float = 0.0
    answer: Any = None

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples) * 1000 if self.samples else 0.0

    @property
    def p95_ms(self) -> float:
        if len(self.samples) < 2:
            return self.p50_ms
        return statistics.quantiles(self.samples, n=100, method="inclusive")[94] * 1000


def measure(call: Callable[[], Any], *, reps: int, case_seconds: float) -> Timing:
    """Call once to warm up, then up to `reps` times within about `case_seconds`."""
    timing = Timing()
    started = time.perf_counter()
    timing.answer = call()
    timing.warmup = time.perf_counter() - started
    if timing.warmup >= case_seconds:
        timing.samples = [timing.warmup]
        return timing
    reps = min(reps, max(1, int(case_seconds / max(timing.warmup, 1e-6))))
    for _ in range(reps):
        started = time.perf_counter()
        timing.answer = call()
        timing.samples.append(time.perf_counter() - started)
    return timing


def render(data: Any) -> Any:
    """Return data as the API's JSON renderer writes it, parsed back (dates become strings)."""
    from rest_framework.renderers import JSONRenderer

    return json.loads(JSONRenderer().render(data))


def raw_answer(case: Case, query: Any) -> dict[str, Any]:
    """Compute a case straight from raw events, shaped as the API answers it."""
    import stats
    from dashboard.results import aggregate_json, breakdown_json, timeseries_json
    from stats.sources import RAW

    result = stats.run(query, source=RAW)
    if case.endpoint == "aggregate":
        return aggregate_json(result)
    if case.endpoint == "timeseries":
        return timeseries_json(result)
    return breakdown_json(result)


def differences(api: Any, reference: Any, path: str = "") -> list[str]:
    """List where two JSON documents differ (at most a few lines)."""
    if isinstance(api, dict) and isinstance(reference, dict):
        out = []
        for key in sorted(api.keys() | reference.keys(), key=str):
            out += differences(api.get(key), reference.get(key), f"{path}.{key}")
        return out
    if isinstance(api, list) and isinstance(reference, list):
        out = [] if len(api) == len(reference) else [f"{path}: {len(api)} rows from the API, {len(reference)} raw"]
        for index, (a, b) in enumerate(zip(api, reference, strict=False)):
            out += differences(a, b, f"{path}[{index}]")
        return out
    return [] if api == reference else [f"{path}: API {api!r} != raw {reference!r}"]


def ensure_goals(site: Any) -> None:
    """The site's goals and the 4-step funnel the goal cases read (kept when the database is reused)."""
    from sites.goals import funnel_create, goal_create
    from sites.models import Funnel, Goal

    if Funnel.objects.filter(site=site, name=FUNNEL_NAME).exists():
        return
    Goal.objects.filter(site=site).delete()
    for path in PAGE_GOALS:
        goal_create(site=site, goal_type="page", page_path=path)
    for name in EVENT_GOALS:
        goal_create(site=site, goal_type="event", event_name=name)
    funnel_create(site=site, name=FUNNEL_NAME, steps=list(FUNNEL_STEPS))


def parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=canonical.CANONICAL_EVENTS, help="dataset size (default 10M)")
    parser.add_argument("--reuse", action="store_true", help="keep the bench database if it holds the dataset")
    parser.add_argument("--reps", type=int, default=20, help="timed API calls per case after a warm-up (20)")
    parser.add_argument("--raw-reps", type=int, default=3, help="timed raw-baseline runs per case (3)")
    parser.add_argument(
        "--case-seconds", type=float, default=60.0, help="about this long per case at most; fewer reps if slow (60)"
    )
    parser.add_argument("--now", default=DEFAULT_NOW, type=parse_now, help=f"the fixed clock ({DEFAULT_NOW})")
    parser.add_argument(
        "--check", action="store_true", help="first compare the bulk load with the real pipeline on the first events"
    )
    parser.add_argument("--check-events", type=int, default=5_000, help="events for --check (5,000)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar while loading")
    parser.add_argument(
        "--store",
        default="db",
        help="the event store the API reads: db (default), or a ClickHouse store holding the dataset, e.g. "
        "chdb:///<checkout>/var/bench/adhoc-store as bench/adhoc.py loads it",
    )
    args = parser.parse_args(argv)
    if args.events < 1_000:
        parser.error("--events must be at least 1,000")
    if args.reps < 1 or args.raw_reps < 1:
        parser.error("--reps and --raw-reps must be at least 1")
    return args


def check_store(url: str, site_id: int, events: int) -> None:
    """Stop unless the event store at `url` holds the dataset's events (bench/adhoc.py copies them)."""
    from django.test import override_settings

    from tracker.store import event_store

    with override_settings(EVENT_STORE=url):
        store = event_store()
        query = "SELECT count() FROM events WHERE site_id = {s:UInt64}"
        counted = store.rows(query, {"s": site_id}) if store else [(0,)]
    if counted[0][0] != events:
        raise SystemExit(f"the store {url} holds {counted[0][0]:,} of {events:,} events: load it with bench/adhoc.py")


def prepare_dataset(events: int) -> tuple[canonical.Dataset, bool | None]:
    data = canonical.dataset(events)
    shown = relative_to_root(data.csv_path)
    made = f"generated in {data.generated_seconds:.0f} s" if data.generated_seconds is not None else "cached"
    print(f"dataset {shown} ({data.events:,} events, {made})", flush=True)
    matches = canonical.canonical_hash_matches(data)
    if matches is not None:
        started = time.perf_counter()
        actual = canonical.hash_csv(data.csv_path)
        print(f"  content hash of the CSV: {actual} ({time.perf_counter() - started:.0f} s)")
        if actual != data.sha256:
            raise canonical.DatasetError(f"{shown} does not match its manifest: delete it and run again")
        if matches:
            print("  matches the published canonical hash")
        else:
            print(f"  WARNING: the published canonical hash is {canonical.CANONICAL_SHA256}: this is not the same data")
    return data, matches


def ensure_loaded(data: canonical.Dataset, site_id: int, *, reuse: bool, progress: bool) -> dict[str, Any] | None:
    """Bulk-load the dataset unless the database holds it already (--reuse); return the load figures."""
    from django.db import connection

    from tracker.models import Event, Session

    stored = Event.objects.filter(site_id=site_id).count()
    if reuse and stored == data.events:
        print(f"reusing the loaded database: {stored:,} events, {Session.objects.count():,} sessions")
        return None
    if stored:
        raise SystemExit(f"the database holds {stored:,} events, not {data.events:,}: run without --reuse")
    print(f"loading {data.events:,} events with COPY ...", flush=True)
    stats = canonical.bulk_load(data, site_id=site_id, progress=progress)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f'VACUUM ANALYZE "{Event._meta.db_table}"')
        cursor.execute(f'VACUUM ANALYZE "{Session._meta.db_table}"')
        cursor.execute("CHECKPOINT")
    vacuum_seconds = time.perf_counter() - started
    print(
        f"  {stats.events:,} events, {stats.sessions:,} sessions ({stats.csv_visits:,} CSV visits, "
        f"{stats.merged_visits:,} merged by the 30-minute rule) in {stats.seconds:.1f} s = "
        f"{stats.events_per_second:,.0f} events/s (rows {stats.rows_seconds:.1f} s, "
        f"indexes and constraints {stats.index_seconds:.1f} s); VACUUM ANALYZE + CHECKPOINT {vacuum_seconds:.1f} s",
        flush=True,
    )
    return {
        "events": stats.events,
        "sessions": stats.sessions,
        "csv_visits": stats.csv_visits,
        "visits_merged_by_session_timeout": stats.merged_visits,
        "seconds": round(stats.seconds, 2),
        "rows_seconds": round(stats.rows_seconds, 2),
        "index_seconds": round(stats.index_seconds, 2),
        "events_per_second": round(stats.events_per_second, 1),
        "vacuum_analyze_seconds": round(vacuum_seconds, 2),
    }


def run_rollups(events: int) -> dict[str, Any]:
    from django.core.management import call_command, get_commands

    if "rollup" not in get_commands():
        print("NOTICE: this project has no `manage.py rollup` command yet: nothing rolled up, the API reads raw rows")
        return {"available": False}
    print("rolling up (manage.py rollup) ...", flush=True)
    started = time.perf_counter()
    call_command("rollup")
    seconds = time.perf_counter() - started
    from tracker.rollups import analyze_rollups

    analyze_rollups()  # as after any backfill; a reused database may not have had it
    print(f"  {seconds:.1f} s = {events / seconds:,.0f} events/s", flush=True)
    return {"available": True, "seconds": round(seconds, 2), "events_per_second": round(events / seconds, 1)}


def run_check(data: canonical.Dataset, events: int) -> dict[str, Any]:
    print(f"checking the bulk path against tracker.pipeline.process_batch on the first {events:,} events ...")
    result = canonical.check_against_pipeline(data, events=events)
    verdict = "same rows" if result.passed else "DIFFERENT ROWS"
    print(
        f"  {result.events:,} events, {result.csv_visits:,} CSV visits -> sessions: pipeline "
        f"{result.sessions_pipeline:,}, bulk {result.sessions_bulk:,}: {verdict}"
    )
    for line in result.mismatches[:20]:
        print(f"  {line}")
    if len(result.mismatches) > 20:
        print(f"  ... {len(result.mismatches) - 20} more")
    return {
        "events": result.events,
        "csv_visits": result.csv_visits,
        "sessions_pipeline": result.sessions_pipeline,
        "sessions_bulk": result.sessions_bulk,
        "passed": result.passed,
        "mismatches": result.mismatches[:100],
        "fields_compared": {"event": result.fields_compared[0], "session": result.fields_compared[1]},
        "not_compared": "browser_version/os_version and bot filtering: the CSV has no user-agent strings",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise, before collectstatic
    data, hash_ok = prepare_dataset(args.events)
    if not args.reuse:
        drop_database(DATABASE)
    setup_django(STREAM, DATABASE, ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
    from django.contrib.auth.models import User
    from django.test import Client, override_settings

    from sites.keys import api_key_create
    from sites.models import ApiKey, Site
    from sites.services import site_create
    from stats import Kind, build_query

    user, _ = User.objects.get_or_create(username=BENCH_USERNAME)
    site = Site.objects.filter(domain=canonical.SITE_DOMAIN).first()
    if site is None:
        site = site_create(owner=user, domain=canonical.SITE_DOMAIN, timezone="UTC")
    check = run_check(data, args.check_events) if args.check else None
    ensure_goals(site)
    load = ensure_loaded(data, site.id, reuse=args.reuse, progress=not args.no_progress)
    rollup = run_rollups(data.events)
    on_store = args.store != "db"
    if on_store:
        check_store(args.store, site.id, data.events)

    def held(case: Case) -> bool:
        return case.held or on_store

    ApiKey.objects.filter(user=user, name=API_KEY_NAME).delete()
    _, secret = api_key_create(user=user, name=API_KEY_NAME, scopes=[ApiKey.Scope.STATS_READ], sites=[site])
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}

    def api_call(case: Case, dates: dict[str, str]) -> Callable[[], Any]:
        params = {"site_id": site.domain, **dates, **case.params}

        def call() -> Any:
            with override_settings(EVENT_STORE=args.store):
                response = client.get(case.url(), params, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{case.url()} {params} answered {response.status_code}: {response.content[:500]!r}")
            return response.json()

        return call

    def raw_call(case: Case, dates: dict[str, str]) -> Callable[[], Any]:
        params = {**dates, **case.params}
        kind = Kind(case.endpoint)

        def call() -> Any:
            query = build_query(site_id=site.id, timezone=site.timezone, params=params, now=args.now, kind=kind)
            return render(raw_answer(case, query))

        return call

    api: dict[tuple[str, str], Timing] = {}
    baseline: dict[tuple[str, str], Timing] = {}
    print(f"\ntiming {len(CASES)} requests x {len(RANGES)} ranges, clock fixed at {args.now.isoformat()} ...")
    with mock.patch("django.utils.timezone.now", return_value=args.now):
        for range_name, dates in RANGES.items():
            for case in CASES:
                timing = measure(api_call(case, dates), reps=args.reps, case_seconds=args.case_seconds)
                api[case.label, range_name] = timing
                print(
                    f"  api  {range_name:<4} {case.label:<34} n={len(timing.samples):>2} "
                    f"p50 {timing.p50_ms:9.1f} ms  p95 {timing.p95_ms:9.1f} ms",
                    flush=True,
                )
        for range_name, dates in RANGES.items():
            for case in (c for c in CASES if c.baseline):
                timing = measure(raw_call(case, dates), reps=args.raw_reps, case_seconds=args.case_seconds)
                baseline[case.label, range_name] = timing
                print(
                    f"  raw  {range_name:<4} {case.label:<34} n={len(timing.samples):>2} p50 {timing.p50_ms:9.1f} ms",
                    flush=True,
                )

    print(
        f"\nStats API at {data.events:,} events (p95 budget < {BUDGET_P95_MS:.0f} ms; goals and funnels "
        f"< {GOAL_BUDGET_P95_MS:.0f} ms on the ClickHouse store, reported here for this one)"
    )
    rows = []
    for (label, range_name), timing in api.items():
        case = BY_LABEL[label]
        within = timing.p95_ms < case.budget_ms
        shown_held = "" if held(case) else " (not held)"
        rows.append(
            [
                f"{case.url()} {label.removeprefix(case.endpoint).strip() or '-'}",
                range_name,
                len(timing.samples),
                timing.p50_ms,
                timing.p95_ms,
                f"< {case.budget_ms:.0f} ms: {'yes' if within else 'no'}{shown_held}",
            ]
        )
    print_table(["endpoint", "range", "n", "p50 ms", "p95 ms", "budget"], rows)

    print("\nBaseline: the same numbers straight from raw events (stats/raw.py)")
    mismatches: dict[str, list[str]] = {}
    rows = []
    for (label, range_name), raw_timing in baseline.items():
        api_timing = api[label, range_name]
        diff = differences(api_timing.answer, raw_timing.answer)
        if diff:
            mismatches[f"{label} {range_name}"] = diff
        ratio = raw_timing.p50_ms / api_timing.p50_ms if api_timing.p50_ms else 0.0
        rows.append([label, range_name, raw_timing.p50_ms, api_timing.p50_ms, ratio, not diff])
    print_table(["case", "range", "raw p50 ms", "API p50 ms", "raw/API", "API == raw"], rows)
    if mismatches:
        print("\nMISMATCH: the API's numbers differ from the raw events' (a bug in the stats layer):")
        for label, diff in mismatches.items():
            print(f"  {label}:")
            for line in diff[:10]:
                print(f"    {line}")
    else:
        print(f"\nAPI == raw for all {len(baseline)} baseline cases")

    kept = {key: timing for key, timing in api.items() if held(BY_LABEL[key[0]])}
    slow = [key for key, timing in kept.items() if timing.p95_ms >= BY_LABEL[key[0]].budget_ms]
    print(f"budgets: {'met' if not slow else f'MISSED by {len(slow)} of {len(kept)}'} (event store: {args.store})")
    path = write_result(
        f"{NAME}-clickhouse" if on_store else NAME,
        {
            "parameters": {
                "events": data.events,
                "dataset": data.csv_path.name,
                "dataset_sha256": data.sha256,
                "canonical_hash_matches": hash_ok,
                "now": args.now.isoformat(),
                "reps": args.reps,
                "raw_reps": args.raw_reps,
                "case_seconds": args.case_seconds,
                "reused_database": load is None,
                "event_store": args.store,
            },
            "check": check,
            "load": load,
            "rollup": rollup,
            "budget": {"p95_ms_below": BUDGET_P95_MS},
            "api": [
                {
                    "case": label,
                    "range": range_name,
                    "n": len(t.samples),
                    "warmup_ms": round(t.warmup * 1000, 2),
                    "p50_ms": round(t.p50_ms, 2),
                    "p95_ms": round(t.p95_ms, 2),
                    "budget_ms": BY_LABEL[label].budget_ms,
                    "held": held(BY_LABEL[label]),
                }
                for (label, range_name), t in api.items()
            ],
            "raw": [
                {"case": label, "range": range_name, "n": len(t.samples), "p50_ms": round(t.p50_ms, 2)}
                for (label, range_name), t in baseline.items()
            ],
            "api_equals_raw": not mismatches,
            "mismatches": mismatches,
        },
    )
    print(f"written to {relative_to_root(path)}")
    failed = bool(mismatches) or (check is not None and not check["passed"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
