"""ClickHouse as the event store: its schema, versioned, and each batch's events and visits written to it.

Tables (a database per install; `SCHEMA` is applied in order and recorded in `schema_versions`):

- `events`: one row per stored event, the Event columns; custom properties as a Map of their JSON
  texts (so `"5"` and `5` stay apart, as in the database). Partitioned by month, sorted by site and
  time, so a question reads one site's range.
- `session_progress`: a visit's state (start, last event, entry and exit pages, duration, bounce), a
  row each time a batch starts or extends the visit; the newest version wins (ReplacingMergeTree, read
  with FINAL). Since version 4 each row also carries the visit's visitor and dimensions (what its
  first event set), so a question about visits alone reads one row per visit instead of every event.
- `session_dimensions` (versions 1 to 4): the visits' dimensions, which versions 2 and 4 copied onto
  the events and the visits' rows; version 5 drops it, as nothing read it any more.

A batch's events are inserted with a deduplication token made of their uuids, so a batch replayed
after a failure stores nothing twice; visit rows are keyed by the visit's id, so a replay only
writes the same values again.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from django.core.exceptions import ImproperlyConfigured

from stats.dimensions import VISIT_COLUMNS
from tracker.pipeline.storage import EVENT_FIELDS, SESSION_PROGRESS_FIELDS

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from tracker.ingest.hits import Hit
    from tracker.pipeline.storage import SessionRecord

# The Event and Session columns, under their names (a new one needs a schema version here too).
_PROGRESS_COLUMNS_1 = ("id", "site_id", "version", *SESSION_PROGRESS_FIELDS)
PROGRESS_COLUMNS = (*_PROGRESS_COLUMNS_1, "visitor_hash", *VISIT_COLUMNS)
TABLES = ("events", "session_progress")
# The visit's dimensions on each of its events (version 2): what its first event set, so that a visit's
# filter or breakdown reads the events alone instead of joining millions of visits.
VISIT_EVENT_COLUMNS = tuple(f"visit_{column}" for column in VISIT_COLUMNS)
EVENT_COLUMNS = (*EVENT_FIELDS, *VISIT_EVENT_COLUMNS)

_LOW = "LowCardinality(String)"
# A condition is evaluated over whole columns, not only on the rows a cheaper one before it let through:
# the events' text columns are LowCardinality, whose functions then run once per distinct value instead
# of once per row (a 12-month goal breakdown's nine goal conditions: 240 -> 150 ms).
QUERY_SETTINGS = {"short_circuit_function_evaluation": "disable"}
# The type of a moment in queries' parameters, as the tables keep it.
UTC_TIME = "DateTime64(6, 'UTC')"
_LOW_CARDINALITY_VISIT_COLUMNS = {"hostname", "referrer_source", "country", "browser", "os", "device_type"}


def _visit_column_type(column: str) -> str:
    return _LOW if column in _LOW_CARDINALITY_VISIT_COLUMNS else "String"


def _with_visit_columns() -> tuple[str, ...]:
    """Events rebuilt with their visits' dimensions: a copy of the table gets the columns, is filled from
    the events joined to their visits' dimensions, and takes the table's place. Each statement may run
    again after an interruption (the copy is made afresh; the old table is dropped last)."""
    added = ", ".join(f"ADD COLUMN IF NOT EXISTS visit_{c} {_visit_column_type(c)}" for c in VISIT_COLUMNS)
    return (
        "DROP TABLE IF EXISTS events_rebuilt",
        "CREATE TABLE events_rebuilt AS events",
        f"ALTER TABLE events_rebuilt {added}",
        f"INSERT INTO events_rebuilt ({', '.join((*EVENT_FIELDS, *VISIT_EVENT_COLUMNS))}) "  # noqa: S608
        f"SELECT {', '.join(f'e.{c}' for c in EVENT_FIELDS)}, {', '.join(f'v.{c}' for c in VISIT_COLUMNS)} "
        "FROM events AS e ANY LEFT JOIN session_dimensions AS v ON v.site_id = e.site_id AND v.id = e.session_id",
        "EXCHANGE TABLES events AND events_rebuilt",
        "DROP TABLE events_rebuilt",
    )


def _progress_with_visit_dimensions() -> tuple[str, ...]:
    """Visits' progress rebuilt with their visitor and dimensions, as `_with_visit_columns` rebuilds the
    events (and as safely interrupted)."""
    added = ", ".join(
        ["ADD COLUMN IF NOT EXISTS visitor_hash Int64"]
        + [f"ADD COLUMN IF NOT EXISTS {c} {_visit_column_type(c)}" for c in VISIT_COLUMNS]
    )
    return (
        "DROP TABLE IF EXISTS session_progress_rebuilt",
        "CREATE TABLE session_progress_rebuilt AS session_progress",
        f"ALTER TABLE session_progress_rebuilt {added}",
        f"INSERT INTO session_progress_rebuilt ({', '.join(PROGRESS_COLUMNS)}) "  # noqa: S608
        f"SELECT {', '.join(f'p.{c}' for c in _PROGRESS_COLUMNS_1)}, v.visitor_hash, "
        f"{', '.join(f'v.{c}' for c in VISIT_COLUMNS)} "
        "FROM session_progress AS p ANY LEFT JOIN session_dimensions AS v ON v.site_id = p.site_id AND v.id = p.id",
        "EXCHANGE TABLES session_progress AND session_progress_rebuilt",
        "DROP TABLE session_progress_rebuilt",
    )


# Each version's statements, applied once, in order. Never edit a released version: add one.
SCHEMA: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            f"""CREATE TABLE IF NOT EXISTS events (
                uuid UUID, site_id UInt64, session_id UInt64, visitor_hash Int64,
                timestamp DateTime64(6, 'UTC'), name {_LOW}, hostname {_LOW}, path String, url String,
                referrer String, referrer_source {_LOW}, utm_source String, utm_medium String,
                utm_campaign String, utm_term String, utm_content String, props Map(String, String),
                engaged_ms Nullable(UInt32), scroll_depth Nullable(UInt16), country {_LOW},
                browser {_LOW}, browser_version {_LOW}, os {_LOW}, os_version {_LOW}, device_type {_LOW}
            ) ENGINE = MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (site_id, timestamp)
            SETTINGS non_replicated_deduplication_window = 10000""",
            f"""CREATE TABLE IF NOT EXISTS session_dimensions (
                id UInt64, site_id UInt64, visitor_hash Int64, hostname {_LOW}, referrer_source {_LOW},
                referrer String, utm_source String, utm_medium String, utm_campaign String,
                utm_term String, utm_content String, country {_LOW}, browser {_LOW}, os {_LOW},
                device_type {_LOW}
            ) ENGINE = ReplacingMergeTree ORDER BY (site_id, id)""",
            """CREATE TABLE IF NOT EXISTS session_progress (
                id UInt64, site_id UInt64, version UInt64, started DateTime64(6, 'UTC'),
                last_seen DateTime64(6, 'UTC'), entry_path String, exit_path String, pageviews UInt32,
                events UInt32, duration UInt32, engaged_ms UInt64, is_bounce Bool
            ) ENGINE = ReplacingMergeTree(version) ORDER BY (site_id, id)""",
        ),
    ),
    (2, _with_visit_columns()),
    # Paths as LowCardinality: a filter on pages or a page goal's pattern is then tested once per distinct
    # path of a part instead of once per event, and a path is read as a small number (a 12-month goal
    # breakdown of 10M events took 0.63 s instead of 1.0 s). A site's paths number thousands, which
    # LowCardinality holds well; it still works, if less well, with hundreds of thousands.
    (
        3,
        (
            f"ALTER TABLE events MODIFY COLUMN path {_LOW}",
            f"ALTER TABLE session_progress MODIFY COLUMN entry_path {_LOW}",
            f"ALTER TABLE session_progress MODIFY COLUMN exit_path {_LOW}",
        ),
    ),
    (4, _progress_with_visit_dimensions()),
    # The visits' rows carry their dimensions since version 4, and nothing reads this table: a batch makes
    # one insert fewer (each costs about the same, whatever its rows: a part written).
    (5, ("DROP TABLE IF EXISTS session_dimensions",)),
)


def client_dsn(url: str) -> str:
    """The clickhouse-connect DSN of an EVENT_STORE URL: `clickhouse://` is HTTP, `clickhouses://` HTTPS."""
    parts = urlsplit(url)
    if parts.scheme == "chdb":
        return url
    schemes = {"clickhouse": "http", "clickhouses": "https"}
    if parts.scheme not in schemes or not parts.hostname:
        raise ImproperlyConfigured(
            f"EVENT_STORE must be db, clickhouse://user:password@host:8123/database or chdb:///path, not {url!r}"
        )
    return urlunsplit(parts._replace(scheme=schemes[parts.scheme]))


def json_text(value: Any) -> str:
    """A custom property's value as the store keeps it: its JSON text, so `5` and `"5"` stay apart."""
    return orjson.dumps(value).decode()


def json_props(props: dict[str, Any]) -> dict[str, str]:
    """Custom properties as the store keeps them."""
    return {key: json_text(value) for key, value in props.items()}


def _event_row(hit: Hit, visit_dimensions: Sequence[Any]) -> list[Any]:
    row = [getattr(hit, column) for column in EVENT_FIELDS]
    row[EVENT_FIELDS.index("props")] = json_props(hit.props)
    return [*row, *visit_dimensions]


def _visit_dimensions(hits: Sequence[Hit], visits: Sequence[SessionRecord]) -> dict[int, list[Any]]:
    """The dimensions of the hits' visits: a visit the batch started has them at hand; those of a visit it
    extended are read from the database (one query by primary key; the database holds every visit,
    including those from before the store was turned on)."""
    from tracker.models import Session  # the models load after this module

    found = {visit.id: [getattr(visit, c) for c in VISIT_COLUMNS] for visit in visits if visit.is_new and visit.id}
    extended = {hit.session_id for hit in hits if hit.session_id} - found.keys()
    if extended:
        for session_id, *dimensions in Session.objects.filter(id__in=extended).values_list("id", *VISIT_COLUMNS):
            found[session_id] = dimensions
    return found


def batch_token(hits: Sequence[Hit]) -> str:
    """The batch's deduplication token: the same events make the same token, whatever their order."""
    digest = hashlib.blake2b(digest_size=16)
    for uuid in sorted(str(hit.uuid) for hit in hits):
        digest.update(uuid.encode())
    return digest.hexdigest()


class ClickHouseStore:
    """A ClickHouse database holding the events: a server over HTTP(S), or chdb in this process."""

    def __init__(self, url: str) -> None:
        self.dsn = client_dsn(url)
        self.in_process = self.dsn.startswith("chdb:")
        self._local = threading.local()
        # chdb holds one engine per process, which one thread at a time may use.
        self._engine_lock = threading.Lock()
        self._shared: Client | None = None
        # Each table's column types by the columns inserted, read once: without them every insert asks the
        # server to describe the table first, which was half the statements a batch sent.
        self._column_types: dict[tuple[str, tuple[str, ...]], Sequence[Any]] = {}

    def _client(self) -> Client:
        import clickhouse_connect  # only a ClickHouse install needs the driver loaded

        if self.in_process:
            if self._shared is None:
                self._shared = clickhouse_connect.get_client(dsn=self.dsn)
            return self._shared
        # An HTTP client keeps one session, which answers one query at a time: one client per thread.
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = clickhouse_connect.get_client(dsn=self.dsn)
        return client

    @contextmanager
    def _using(self) -> Iterator[Client]:
        if self.in_process:
            with self._engine_lock:
                yield self._client()
        else:
            yield self._client()

    def rows(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of a query (server-side parameters, `{name:Type}`)."""
        with self._using() as client:
            return [tuple(row) for row in client.query(sql, parameters=parameters, settings=QUERY_SETTINGS).result_rows]

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        with self._using() as client:
            client.command(sql, parameters=parameters)

    def migrate(self, progress: Callable[[int], None] = lambda version: None) -> list[int]:
        """Apply the schema versions not applied yet, in order; return them."""
        self.command(
            "CREATE TABLE IF NOT EXISTS schema_versions (version UInt32, applied DateTime DEFAULT now()) "
            "ENGINE = MergeTree ORDER BY version"
        )
        done = {row[0] for row in self.rows("SELECT version FROM schema_versions", {})}
        applied = []
        for version, statements in SCHEMA:
            if version in done:
                continue
            progress(version)
            for statement in statements:
                self.command(statement)
            with self._using() as client:
                client.insert("schema_versions", [[version]], column_names=["version"])
            applied.append(version)
        self._column_types.clear()
        return applied

    def _insert(
        self, client: Client, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str], **settings: str
    ) -> None:
        key = (table, tuple(columns))
        if key not in self._column_types:
            self._column_types[key] = client.create_insert_context(table, list(columns)).column_types
        types = self._column_types[key]
        try:
            client.insert(table, rows, column_names=list(columns), column_types=types, settings=settings)
        except Exception:
            # The table may have changed under this process (a migration by another): the batch is replayed,
            # and describes the table again.
            self._column_types.pop(key, None)
            raise

    def insert_batch(self, hits: Sequence[Hit], visits: Sequence[SessionRecord]) -> None:
        """Write a batch's stored events and the visits it started or extended.

        Called in the batch's database transaction, after the events went in there: if this fails,
        the transaction rolls back and the batch is replayed; if the transaction fails after this,
        the replay's events carry the same token and are not inserted twice.
        """
        dimensions = _visit_dimensions(hits, visits) if hits else {}
        no_visit = [""] * len(VISIT_COLUMNS)
        if hits:
            rows = [_event_row(hit, dimensions.get(hit.session_id or 0, no_visit)) for hit in hits]
            self.insert_events(rows, batch_token(hits))
        version = time.time_ns()
        self.insert_visits(
            [
                [
                    *(version if c == "version" else getattr(visit, c) for c in _PROGRESS_COLUMNS_1),
                    visit.visitor_hash,
                    *dimensions.get(visit.id or 0, no_visit),
                ]
                for visit in visits
            ]
        )

    def insert_events(self, rows: Sequence[Sequence[Any]], token: str) -> None:
        """Insert event rows (EVENT_COLUMNS; properties as JSON texts) once: a second insert of the
        same token within the table's deduplication window stores nothing."""
        with self._using() as client:
            self._insert(client, "events", rows, EVENT_COLUMNS, insert_deduplication_token=token)

    def insert_visits(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert visits' rows (PROGRESS_COLUMNS: their state, visitor and dimensions)."""
        if rows:
            with self._using() as client:
                self._insert(client, "session_progress", rows, PROGRESS_COLUMNS)

    def stored_uuids(self, site_id: int, first: datetime, last: datetime) -> set[str]:
        """The uuids of the site's events the store holds between two moments (inclusive)."""
        found = self.rows(
            "SELECT toString(uuid) FROM events WHERE site_id = {site:UInt64} "  # noqa: S608 (a type, no value)
            f"AND timestamp BETWEEN {{first:{UTC_TIME}}} AND {{last:{UTC_TIME}}}",
            {"site": site_id, "first": first, "last": last},
        )
        return {row[0] for row in found}

    def delete_events(self, site_id: int, before: datetime | None = None) -> None:
        """Delete a site's events (those before a moment, or all) and the visits that ended before it.

        Lightweight deletes: the rows are gone from every query at once, and from disk at the next merge.
        """
        site = {"site": site_id}
        if before is None:
            for table in TABLES:
                self.command(f"DELETE FROM {table} WHERE site_id = {{site:UInt64}}", site)  # noqa: S608
            return
        bound = {**site, "before": before}
        earlier = f"{{before:{UTC_TIME}}}"
        self.command(f"DELETE FROM events WHERE site_id = {{site:UInt64}} AND timestamp < {earlier}", bound)  # noqa: S608
        ended = f"SELECT id FROM session_progress FINAL WHERE site_id = {{site:UInt64}} AND last_seen < {earlier}"  # noqa: S608
        self.command(f"DELETE FROM session_progress WHERE site_id = {{site:UInt64}} AND id IN ({ended})", bound)  # noqa: S608

    def truncate(self) -> None:
        """Empty every table (the tests start each case from nothing)."""
        for table in TABLES:
            self.command(f"TRUNCATE TABLE IF EXISTS {table}")
