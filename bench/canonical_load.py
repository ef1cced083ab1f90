"""The canonical benchmark dataset (bench/gen_canonical.py) as the rows Footfall's pipeline stores.

Dataset
    dataset(events) runs the generator into var/bench/canonical/ unless the CSV is already
    there, and checks the manifest: seed, row count and, at the canonical size (seed
    20261124, 10,000,000 events), the content hash of the uncompressed CSV.

Bulk load
    The CSV carries browser, OS, device and country names instead of user agents and
    addresses, so it cannot go through the ingest. CanonicalLoader turns it into exactly the
    Event and Session rows tracker.pipeline.process_batch would have stored, and load()
    writes them with COPY:

    - events: uuid = event_id; name `pageview` for an empty event_name; url
      `https://example.com` + path; hostname, path, url, referrer and referrer_source from
      the pipeline's own parse_url and classify_source steps (cached per path and per
      referrer), so a referrer equal to the site's domain (internal navigation) and a missing
      one (direct) both store ("", ""); props {}; country, browser, os and device_type from
      the row.
    - visitor hashes as tracker/pipeline/enrich/hashing.py makes them: its visitor_hash with a
      salt per UTC day (derived from the day here, so runs are reproducible; the product's
      salts are random) over the site id and a stand-in for the address and user agent
      built from visitor_id. Every event carries the hash of its own day and of the day
      before, as the ingest's hash_visitor step sets them.
    - sessions as tracker/pipeline/sessions.py assigns them: an event joins the session found under
      today's hash, else under yesterday's (visits across midnight keep their first day's
      hash), when it lies within SESSION_TIMEOUT_MINUTES of it; otherwise it starts one.
      Entry/exit page, page views, events, duration (whole seconds, first to last event) and
      bounce (fewer than 2 page views: the CSV has no engagement events) follow
      sessions._add_hit; source, referrer and UTM fields come from the session's first
      event. The product's 30-minute rule merges the few CSV visits of one visitor that start
      within 30 minutes of the last one's last event, so there are slightly fewer Session
      rows than CSV session_ids (both counts are reported).

    The CSV is sorted by timestamp, so the input streams: a session is written once the
    current event is more than the session timeout past its last event (nothing later can
    join it), and events and finished sessions go out in chunks. The main load runs in one
    transaction that drops the tables' secondary indexes and constraints, COPYs everything
    and recreates them afterwards (faster than maintaining them row by row; a failure rolls
    the whole load back, schema included).

Check
    check_against_pipeline() feeds the first events of the CSV through the real
    tracker.pipeline.process_batch (hits built as the ingest builds them and round-tripped
    through the buffer encoding, in BUFFER_BATCH_SIZE batches) into a scratch site, then
    bulk-loads the same events into it and compares every session and event field. One
    difference is by construction: the CSV has no user-agent strings, so the pipeline's
    drop_bots and parse_ua steps are replaced by one that copies the row's browser, OS and
    device (browser_version and os_version stay empty on both paths). Everything runs in a
    transaction that is rolled back.
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "gen_canonical.py"
CACHE_DIR = ROOT / "var" / "bench" / "canonical"
SEED = 20261124
CANONICAL_EVENTS = 10_000_000
CANONICAL_SHA256 = "cb04adf75b8ae68b0ffb60fb64243782e487b73a1483369f64afcebef975512e"
SITE_DOMAIN = "example.com"
COLUMNS = (
    "event_id",
    "ts",
    "session_id",
    "visitor_id",
    "event_name",
    "url_path",
    "referrer",
    "browser",
    "os",
    "device",
    "country",
    "screen",
    "language",
)
CHUNK_EVENTS = 50_000
PAGEVIEW = "pageview"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CHECK_SITE_DOMAIN = "pipeline-check.bench.test"


# --- the dataset --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    csv_path: Path
    manifest: dict[str, Any]
    generated_seconds: float | None  # None: found in the cache

    @property
    def events(self) -> int:
        return int(self.manifest["events"])

    @property
    def sha256(self) -> str:
        return str(self.manifest["sha256_csv_uncompressed"])


class DatasetError(RuntimeError):
    pass


def dataset(events: int, *, seed: int = SEED, cache_dir: Path = CACHE_DIR) -> Dataset:
    """Return the CSV of `events` events, generating it first unless it is in the cache."""
    stem = f"canon-s{seed}-{events}"
    csv_path = cache_dir / f"{stem}.csv.gz"
    manifest_path = cache_dir / f"{stem}.manifest.json"
    generated: float | None = None
    if not (csv_path.exists() and manifest_path.exists()):
        cache_dir.mkdir(parents=True, exist_ok=True)
        print(f"generating the canonical dataset ({events:,} events, seed {seed}) ...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(GENERATOR), "--seed", str(seed), "--events", str(events), "--out", str(cache_dir)],
            check=True,
            stdout=subprocess.DEVNULL,  # the manifest, which is also written next to the CSV
        )
        generated = time.perf_counter() - started
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("seed") != seed or manifest.get("events") != events:
        raise DatasetError(f"{manifest_path.name} does not describe seed {seed} with {events:,} events")
    if manifest["counts"]["rows"] != events:
        raise DatasetError(f"{manifest_path.name}: {manifest['counts']['rows']:,} rows, expected {events:,}")
    return Dataset(csv_path, manifest, generated)


def canonical_hash_matches(data: Dataset) -> bool | None:
    """Whether the manifest's content hash is the published one; None when not the canonical size."""
    if data.events != CANONICAL_EVENTS or data.manifest.get("seed") != SEED:
        return None
    return data.sha256 == CANONICAL_SHA256


def hash_csv(path: Path) -> str:
    """Return the sha256 of the uncompressed CSV (what the manifest's content hash covers)."""
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_rows(path: Path) -> tuple[TextIO, Iterator[list[str]]]:
    """Open the CSV; return the file and a reader positioned after the (checked) header."""
    handle = gzip.open(path, "rt", newline="", encoding="utf-8")  # noqa: SIM115 (returned to the caller)
    reader = csv.reader(handle)
    header = next(reader)
    if tuple(header) != COLUMNS:
        handle.close()
        raise DatasetError(f"unexpected columns {header}")
    return handle, reader


def first_rows(path: Path, count: int) -> list[list[str]]:
    handle, reader = open_rows(path)
    with handle:
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) == count:
                break
        return rows


# --- what the ingest and the pipeline derive ----------------------------------------------------


def day_salt(day: date) -> bytes:
    """Return the bench's salt for a UTC day (the product's are random and deleted after 48 h)."""
    return hashlib.blake2b(f"footfall-bench-canonical|{day.isoformat()}".encode(), digest_size=32).digest()


def visitor_address(visitor_id: str) -> str:
    """A stand-in for the client address: the CSV names visitors instead."""
    return f"canonical-visitor-{visitor_id}"


def referrer_url(domain: str) -> str:
    """The CSV's referrer domain as a browser sends document.referrer (a URL), or "" for none."""
    return f"https://{domain}/" if domain else ""


def page_url(path: str) -> str:
    return f"https://{SITE_DOMAIN}{path}"


class VisitorHashes:
    """tracker.hashing.visitor_hash per (visitor, UTC day), memoised for the current days."""

    def __init__(self, site_id: int) -> None:
        from tracker.pipeline.enrich.hashing import visitor_hash

        self._hash = visitor_hash
        self.site_id = site_id
        self._memo: dict[str, tuple[bytes, dict[str, int]]] = {}  # day -> (salt, visitor id -> hash)

    def __call__(self, visitor_id: str, day: str) -> int:
        memo = self._memo.get(day)
        if memo is None:
            # Keep two days' memos only: the input moves forward in time.
            self._memo = {k: v for k, v in self._memo.items() if k >= day_before(day)}
            memo = self._memo[day] = (day_salt(date.fromisoformat(day)), {})
        value = memo[1].get(visitor_id)
        if value is None:
            value = memo[1][visitor_id] = self._hash(memo[0], self.site_id, visitor_address(visitor_id), "")
        return value


@functools.lru_cache(maxsize=1024)
def day_before(day: str) -> str:
    """Return the ISO day before an ISO day."""
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


class Enrichment:
    """The pipeline's parse_url and classify_source results, computed by those steps, cached."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[str, ...]] = {}
        self._sources: dict[tuple[str, str, str], tuple[str, str]] = {}

    def page(self, path: str) -> tuple[str, ...]:
        """Return (hostname, path, url, utm_source, utm_medium, utm_campaign, utm_term, utm_content)."""
        found = self._pages.get(path)
        if found is None:
            from tracker.ingest.hits import Hit
            from tracker.pipeline import steps

            hit = steps.parse_url(Hit(uuid="", site_id=0, name=PAGEVIEW, timestamp=_EPOCH, raw_url=page_url(path)))
            found = self._pages[path] = (
                hit.hostname,
                hit.path,
                hit.url,
                hit.utm_source,
                hit.utm_medium,
                hit.utm_campaign,
                hit.utm_term,
                hit.utm_content,
            )
        return found

    def source(self, referrer: str, hostname: str, utm_source: str) -> tuple[str, str]:
        """Return (referrer domain, source) as classify_source sets them."""
        key = (referrer, hostname, utm_source)
        found = self._sources.get(key)
        if found is None:
            from tracker.ingest.hits import Hit
            from tracker.pipeline import steps

            hit = Hit(
                uuid="", site_id=0, name=PAGEVIEW, timestamp=_EPOCH, raw_url="", raw_referrer=referrer_url(referrer)
            )
            hit.hostname, hit.utm_source = hostname, utm_source
            hit = steps.classify_source(hit)
            found = self._sources[key] = (hit.referrer, hit.referrer_source)
        return found


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- the bulk path -------------------------------------------------------------------------------


@dataclass
class LoadStats:
    events: int = 0
    sessions: int = 0
    csv_visits: int = 0
    seconds: float = 0.0
    rows_seconds: float = 0.0  # streaming and COPY
    index_seconds: float = 0.0  # recreating indexes and constraints
    first_session_id: int = 0
    last_session_id: int = 0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def merged_visits(self) -> int:
        return self.csv_visits - self.sessions


class CanonicalLoader:
    """Turn CSV rows (in timestamp order) into Event row tuples and finished SessionRecords."""

    def __init__(self, *, site_id: int, first_session_id: int, timeout: timedelta) -> None:
        from tracker.models import Event
        from tracker.pipeline.storage import EVENT_FIELDS

        self.site_id = site_id
        self.next_session_id = first_session_id
        self.timeout = timeout
        self.hashes = VisitorHashes(site_id)
        self.enrichment = Enrichment()
        self.current: dict[int, Any] = {}  # visitor hash -> SessionRecord, as sessions.assign_sessions keeps it
        self.open: dict[int, Any] = {}  # session id -> SessionRecord not written yet
        self.csv_visit_ids = bytearray()  # a bit per CSV session_id seen (ids are 1..n)
        self.last_timestamp = _EPOCH
        # Every event column at its model default; rows are filled in from there.
        defaults = {f.attname: f.get_default() for f in Event._meta.concrete_fields}
        defaults["props"] = "{}"  # jsonb as COPY text, as storage.insert_events sends it
        defaults["site_id"] = site_id
        self.template = [defaults[name] for name in EVENT_FIELDS]
        self.slot = {name: EVENT_FIELDS.index(name) for name in EVENT_FIELDS}
        self.page_templates: dict[tuple[str, str], list[Any]] = {}

    def _page_template(self, path: str, referrer: str) -> list[Any]:
        """Return an event row with what the page and the referrer decide (URL, source, UTM) filled in."""
        hostname, clean_path, url, *utm = self.enrichment.page(path)
        referrer_domain, source = self.enrichment.source(referrer, hostname, utm[0])
        values = self.template.copy()
        fields = zip(
            ("hostname", "path", "url", "referrer", "referrer_source", *UTM_FIELDS),
            (hostname, clean_path, url, referrer_domain, source, *utm),
            strict=True,
        )
        for name, value in fields:
            values[self.slot[name]] = value
        self.page_templates[path, referrer] = values
        return values

    def _new_session(self, visitor_hash: int, at: datetime, path: str, row: Sequence[str]) -> Any:
        from tracker.pipeline.storage import SessionRecord

        hostname, _, _, utm_source, utm_medium, utm_campaign, utm_term, utm_content = self.enrichment.page(row[5])
        referrer, source = self.enrichment.source(row[6], hostname, utm_source)
        session = SessionRecord(
            site_id=self.site_id,
            visitor_hash=visitor_hash,
            started=at,
            last_seen=at,
            hostname=hostname,
            entry_path=path,
            exit_path=path,
            referrer=referrer,
            referrer_source=source,
            utm_source=utm_source,
            utm_medium=utm_medium,
            utm_campaign=utm_campaign,
            utm_term=utm_term,
            utm_content=utm_content,
            country=row[10],
            browser=row[7],
            os=row[8],
            device_type=row[9],
            id=self.next_session_id,
        )
        self.open[self.next_session_id] = session
        self.next_session_id += 1
        return session

    def event(self, row: Sequence[str]) -> list[Any]:
        """Assign the row to a session and return its Event row (storage.EVENT_FIELDS order)."""
        event_id, ts, csv_visit, visitor, event_name, csv_path, referrer, browser, os_name, device, country = row[:11]
        at = datetime.fromisoformat(ts)
        if at < self.last_timestamp:
            raise DatasetError(f"event {event_id} is earlier than the one before it; the CSV must be sorted")
        self.last_timestamp = at
        visit = int(csv_visit)
        while visit >> 3 >= len(self.csv_visit_ids):
            self.csv_visit_ids.extend(bytes(max(1 << 16, len(self.csv_visit_ids))))
        self.csv_visit_ids[visit >> 3] |= 1 << (visit & 7)
        name = event_name or PAGEVIEW
        values = self.page_templates.get((csv_path, referrer)) or self._page_template(csv_path, referrer)
        slot = self.slot
        path = values[slot["path"]]
        # sessions.assign_sessions: today's hash first, then yesterday's, each if still joinable.
        day = ts[:10]
        today = self.hashes(visitor, day)
        timeout = self.timeout
        session = self.current.get(today)
        if session is None or not session.started - timeout <= at <= session.last_seen + timeout:
            session = self.current.get(self.hashes(visitor, day_before(day)))
            if session is None or not session.started - timeout <= at <= session.last_seen + timeout:
                session = self._new_session(today, at, path, row)
        self.current[today] = session
        # sessions._add_hit for input in time order (no hit is earlier than the session's start).
        if at >= session.last_seen:
            session.last_seen = at
            if name == PAGEVIEW:
                session.exit_path = path
        if name == PAGEVIEW:
            session.pageviews += 1
        session.events += 1  # there are no engagement events in the CSV

        values = values.copy()
        values[slot["uuid"]] = event_id
        values[slot["session_id"]] = session.id
        values[slot["name"]] = name
        values[slot["timestamp"]] = at
        values[slot["country"]] = country
        values[slot["browser"]] = browser
        values[slot["os"]] = os_name
        values[slot["device_type"]] = device
        values[slot["visitor_hash"]] = session.visitor_hash
        return values

    @property
    def csv_visits(self) -> int:
        """The number of distinct CSV session_ids seen."""
        return int.from_bytes(self.csv_visit_ids, "little").bit_count()

    def take_finished(self, *, everything: bool = False) -> list[Any]:
        """Remove and return the sessions no later event can join (all of them at the end)."""
        from tracker.pipeline.sessions import ENGAGED_MS_NOT_BOUNCE

        cutoff = self.last_timestamp - self.timeout
        done = [s for s in self.open.values() if everything or s.last_seen < cutoff]
        for session in done:
            del self.open[session.id]
            session.duration = int((session.last_seen - session.started).total_seconds())
            session.is_bounce = session.pageviews < 2 and session.engaged_ms < ENGAGED_MS_NOT_BOUNCE
        self.current = {key: s for key, s in self.current.items() if s.id in self.open}
        return done


def _copy(cursor: Any, table: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into a table (psycopg 3's cursor.copy), as tracker.storage writes them."""
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_rows(
    rows: Iterable[Sequence[str]],
    *,
    site_id: int,
    total: int | None = None,
    progress: bool = False,
) -> LoadStats:
    """Stream CSV rows into Event and Session rows with COPY; return the counts.

    Session ids continue the table's sequence, which is moved past them at the end.
    Call inside a transaction.
    """
    from django.conf import settings
    from django.db import connection
    from tqdm import tqdm

    from tracker.models import Event, Session
    from tracker.pipeline.storage import EVENT_FIELDS, SESSION_FIELDS

    session_names = ["id", *SESSION_FIELDS]
    stats = LoadStats()
    started = time.perf_counter()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor, for COPY
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Session._meta.db_table])
        first_id = cursor.fetchone()[0]
        loader = CanonicalLoader(
            site_id=site_id, first_session_id=first_id, timeout=timedelta(minutes=settings.SESSION_TIMEOUT_MINUTES)
        )
        bar = tqdm(
            total=total,
            unit="ev",
            unit_scale=True,
            desc="load",
            disable=not progress,
            mininterval=1.0 if sys.stderr.isatty() else 15.0,
            file=sys.stderr,
        )

        def flush(events: list[list[Any]], *, everything: bool = False) -> None:
            _copy(cursor, Event._meta.db_table, EVENT_FIELDS, events)
            sessions = loader.take_finished(everything=everything)
            _copy(
                cursor,
                Session._meta.db_table,
                session_names,
                ([getattr(s, n) for n in session_names] for s in sessions),
            )
            stats.events += len(events)
            stats.sessions += len(sessions)
            bar.update(len(events))

        chunk: list[list[Any]] = []
        for row in rows:
            chunk.append(loader.event(row))
            if len(chunk) >= CHUNK_EVENTS:
                flush(chunk)
                chunk = []
        flush(chunk, everything=True)
        bar.close()
        if loader.open or loader.current:
            raise AssertionError("sessions left open after the last event")
        stats.first_session_id = first_id
        stats.last_session_id = loader.next_session_id - 1
        if stats.last_session_id >= first_id:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [Session._meta.db_table, stats.last_session_id]
            )
        stats.csv_visits = loader.csv_visits
    stats.rows_seconds = stats.seconds = time.perf_counter() - started
    return stats


@dataclass
class Schema:
    """Secondary indexes and constraints of some tables, to drop before a bulk load and restore after."""

    constraints: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, definition)
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, CREATE INDEX statement)


def drop_secondary(cursor: Any, tables: Sequence[str]) -> Schema:
    """Drop foreign keys, unique constraints and non-primary indexes of the tables; return them."""
    schema = Schema()
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype, conname",
        [list(tables)],
    )
    schema.constraints = [tuple(row) for row in cursor.fetchall()]
    for table, name, _ in schema.constraints:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index AS i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary ORDER BY 1",
        [list(tables)],
    )
    schema.indexes = [tuple(row) for row in cursor.fetchall()]
    for name, _ in schema.indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return schema


def restore_secondary(cursor: Any, schema: Schema) -> None:
    for _, statement in schema.indexes:
        cursor.execute(statement)
    for table, name, definition in schema.constraints:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def bulk_load(data: Dataset, *, site_id: int, progress: bool = True) -> LoadStats:
    """Load the whole CSV into the (empty) tables in one transaction, indexes rebuilt at the end."""
    from django.db import connection, transaction

    from tracker.models import Event, Session

    tables = [Event._meta.db_table, Session._meta.db_table]
    started = time.perf_counter()
    handle, reader = open_rows(data.csv_path)
    with handle, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        schema = drop_secondary(cursor, tables)
        stats = load_rows(reader, site_id=site_id, total=data.events, progress=progress)
        index_started = time.perf_counter()
        restore_secondary(cursor, schema)
        stats.index_seconds = time.perf_counter() - index_started
    stats.seconds = time.perf_counter() - started
    return stats


# --- the check against the real pipeline ---------------------------------------------------------


SESSION_COMPARED = (
    "visitor_hash",
    "started",
    "last_seen",
    "hostname",
    "entry_path",
    "exit_path",
    "pageviews",
    "events",
    "duration",
    "engaged_ms",
    "is_bounce",
    "referrer",
    "referrer_source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "country",
    "browser",
    "os",
    "device_type",
)


@dataclass
class CheckResult:
    events: int
    sessions_pipeline: int
    sessions_bulk: int
    csv_visits: int
    mismatches: list[str]
    fields_compared: tuple[list[str], list[str]]

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.sessions_pipeline == self.sessions_bulk


def _snapshot(site_id: int) -> tuple[dict[str, tuple[Any, ...]], dict[frozenset[str], tuple[Any, ...]], list[str]]:
    """Return the site's events by uuid and its sessions keyed by their events' uuids."""
    from tracker.models import Event, Session
    from tracker.pipeline.storage import EVENT_FIELDS

    event_fields = [f for f in EVENT_FIELDS if f not in ("uuid", "site_id", "session_id")]
    events: dict[str, tuple[Any, ...]] = {}
    members: dict[int, set[str]] = {}
    for row in Event.objects.filter(site_id=site_id).values_list("uuid", "session_id", *event_fields):
        key = str(row[0])
        events[key] = row[2:]
        members.setdefault(row[1], set()).add(key)
    sessions = {
        frozenset(members.get(row[0], ())): row[1:]
        for row in Session.objects.filter(site_id=site_id).values_list("id", *SESSION_COMPARED)
    }
    return events, sessions, event_fields


def _describe(kind: str, key: Any, fields: Sequence[str], want: tuple[Any, ...], got: tuple[Any, ...]) -> str:
    diffs = [f"{name}: pipeline {a!r} != bulk {b!r}" for name, a, b in zip(fields, want, got, strict=True) if a != b]
    return f"{kind} {key}: " + "; ".join(diffs)


def check_against_pipeline(data: Dataset, *, events: int) -> CheckResult:
    """Compare the bulk path with tracker.pipeline.process_batch on the CSV's first events."""
    from django.conf import settings
    from django.db import transaction

    from sites.models import Site
    from tracker import pipeline
    from tracker.ingest.hits import Hit
    from tracker.models import Event, Session
    from tracker.pipeline.steps import STEPS, drop_bots, parse_ua

    rows = first_rows(data.csv_path, events)
    with transaction.atomic():
        # Uuids are unique across sites: the loaded dataset's copies step aside until the rollback.
        Event.objects.filter(uuid__in=[row[0] for row in rows]).delete()
        site = Site.objects.create(domain=CHECK_SITE_DOMAIN, name="pipeline check", timezone="UTC")
        hashes = VisitorHashes(site.id)
        agents = {str(uuid.UUID(row[0])): (row[7], row[8], row[9]) for row in rows}

        def agent_from_row(hit: Hit) -> Hit:
            """Stand in for drop_bots and parse_ua: the CSV names the browser instead of sending a UA."""
            hit.browser, hit.os, hit.device_type = agents[hit.uuid]
            return hit

        hits = []
        for row in rows:
            at = datetime.fromisoformat(row[1])
            day = row[1][:10]
            # As ingest._build_hits builds it, with what pseudonymise's edge steps would set.
            hit = Hit(
                uuid=str(uuid.UUID(row[0])),
                site_id=site.id,
                name=row[4] or PAGEVIEW,
                timestamp=at,
                raw_url=page_url(row[5]),
                raw_referrer=referrer_url(row[6]),
                visitor_hash=hashes(row[3], day),
                prev_visitor_hash=hashes(row[3], day_before(day)),
                country=row[10],
            )
            hits.append(Hit.from_buffer(hit.to_buffer()))  # as the worker reads it back from the buffer
        steps = tuple(agent_from_row if s is parse_ua else s for s in STEPS if s is not drop_bots)
        batch_size = settings.BUFFER_BATCH_SIZE
        for start in range(0, len(hits), batch_size):
            pipeline.process_batch(hits[start : start + batch_size], steps=steps)
        want_events, want_sessions, event_fields = _snapshot(site.id)

        Event.objects.filter(site_id=site.id).delete()
        Session.objects.filter(site_id=site.id).delete()
        stats = load_rows(rows, site_id=site.id)
        got_events, got_sessions, _ = _snapshot(site.id)
        transaction.set_rollback(True)

    mismatches: list[str] = []
    for key in sorted(want_events.keys() | got_events.keys()):
        want, got = want_events.get(key), got_events.get(key)
        if want is None or got is None:
            mismatches.append(f"event {key}: only in {'bulk' if want is None else 'pipeline'}")
        elif want != got:
            mismatches.append(_describe("event", key, event_fields, want, got))
    for members in want_sessions.keys() | got_sessions.keys():
        label = f"session of {len(members)} events starting {min(members) if members else '-'}"
        want, got = want_sessions.get(members), got_sessions.get(members)
        if want is None or got is None:
            mismatches.append(f"{label}: only in {'bulk' if want is None else 'pipeline'}")
        elif want != got:
            mismatches.append(_describe(label, "", SESSION_COMPARED, want, got))
    return CheckResult(
        events=len(rows),
        sessions_pipeline=len(want_sessions),
        sessions_bulk=len(got_sessions),
        csv_visits=stats.csv_visits,
        mismatches=mismatches,
        fields_compared=(event_fields, list(SESSION_COMPARED)),
    )
