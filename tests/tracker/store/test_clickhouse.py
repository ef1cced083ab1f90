"""The ClickHouse event store's writes: its URL, its schema versions, each batch exactly once, deletes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from stats.dimensions import VISIT_COLUMNS
from tests.factories import SiteFactory
from tests.known_site import T0, hit
from tracker import pipeline
from tracker.lifecycle import deletion, retention
from tracker.pipeline.storage import EVENT_FIELDS, SESSION_PROGRESS_FIELDS
from tracker.store.clickhouse import SCHEMA, TABLES, ClickHouseStore, batch_token, client_dsn

pytestmark = pytest.mark.django_db

# The columns of the visits' dimensions table, which versions 1 to 4 kept.
DIMENSION_COLUMNS = ("id", "site_id", "visitor_hash", *VISIT_COLUMNS)


def counted(store: ClickHouseStore, site_id: int) -> tuple[int, int]:
    """The site's events and visits (their newest rows) in the store."""
    site = {"site": site_id}
    return (
        store.rows("SELECT count() FROM events WHERE site_id = {site:UInt64}", site)[0][0],
        store.rows("SELECT count() FROM session_progress FINAL WHERE site_id = {site:UInt64}", site)[0][0],
    )


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        ("clickhouse://footfall:secret@ch.internal:8123/footfall", "http://footfall:secret@ch.internal:8123/footfall"),
        ("clickhouses://footfall@ch.example:8443/analytics", "https://footfall@ch.example:8443/analytics"),
        ("chdb:///srv/footfall/events", "chdb:///srv/footfall/events"),
    ],
)
def test_event_store_urls_become_client_dsns(url, dsn):
    assert client_dsn(url) == dsn


@pytest.mark.parametrize("url", ["postgres://db/footfall", "clickhouse:///footfall", "events"])
def test_other_event_store_urls_are_refused_at_start(url):
    with pytest.raises(ImproperlyConfigured, match="EVENT_STORE"):
        client_dsn(url)


def test_the_schema_is_applied_once(event_store):
    assert event_store.migrate() == []  # the fixture applied every version
    versions = [row[0] for row in event_store.rows("SELECT version FROM schema_versions ORDER BY version", {})]
    assert versions == [version for version, _ in SCHEMA]


def test_the_command_reports_what_it_applied(event_store, settings):
    out = StringIO()
    call_command("migrate_event_store", stdout=out)
    assert "up to date" in out.getvalue()
    settings.EVENT_STORE = "db"
    call_command("migrate_event_store", stdout=out)
    assert "nothing to migrate" in out.getvalue()


def test_the_pipeline_writes_events_and_the_newest_state_of_their_visits(event_store):
    site = SiteFactory()
    pipeline.process_batch([hit(site, 1, 0, "/"), hit(site, 2, 0, "/a")])
    pipeline.process_batch([hit(site, 1, 60, "/b")])  # extends visitor 1's visit: a second progress row
    assert counted(event_store, site.id) == (3, 2)
    progress = event_store.rows(
        "SELECT entry_path, exit_path, pageviews, duration, is_bounce FROM session_progress FINAL "
        "WHERE site_id = {site:UInt64} ORDER BY entry_path",
        {"site": site.id},
    )
    assert progress == [("/", "/b", 2, 60, False), ("/a", "/a", 1, 0, True)]


def described(context: mock.MagicMock) -> list[str]:
    """The tables an insert context was made for without column types, which the client then asks the
    server to describe (an insert given its types makes one too, with them)."""
    untyped = [
        call.args[0]
        for call in context.call_args_list
        if (call.args[3] if len(call.args) > 3 else call.kwargs.get("column_types")) is None
    ]
    return sorted(untyped)


def test_each_table_is_described_once_not_before_every_insert(event_store):
    site = SiteFactory()
    with event_store._using() as client:
        pass
    with mock.patch.object(client, "create_insert_context", wraps=client.create_insert_context) as context:
        for second in range(3):  # a visit started, then extended twice
            pipeline.process_batch([hit(site, 1, 60 * second, f"/{second}"), hit(site, 2 + second, 0, "/")])
        assert described(context) == ["events", "session_progress"]
        event_store.migrate()  # a migration may change a table's columns: described again after one
        pipeline.process_batch([hit(site, 9, 0, "/")])
        assert described(context) == ["events", "events", "session_progress", "session_progress"]
    assert counted(event_store, site.id) == (7, 5)


def test_an_insert_that_fails_describes_its_table_again_on_the_replay(event_store):
    site = SiteFactory()
    pipeline.process_batch([hit(site, 1, 0, "/")])
    with event_store._using() as client:
        pass
    failing = mock.patch.object(client, "insert", side_effect=RuntimeError("column types changed"))
    with failing, pytest.raises(RuntimeError):
        pipeline.process_batch([hit(site, 2, 0, "/a")])
    with mock.patch.object(client, "create_insert_context", wraps=client.create_insert_context) as context:
        pipeline.process_batch([hit(site, 2, 0, "/a")])
    assert described(context) == ["events"]
    assert counted(event_store, site.id) == (2, 2)


def visit_countries(store: ClickHouseStore, site_id: int) -> list[tuple[str, str]]:
    return store.rows(
        "SELECT path, visit_country FROM events WHERE site_id = {site:UInt64} ORDER BY timestamp", {"site": site_id}
    )


def test_each_event_carries_its_visits_dimensions_also_when_a_later_batch_extends_the_visit(event_store):
    site = SiteFactory()
    pipeline.process_batch([hit(site, 1, 0, "/", country="DE")])
    # The visit's country is its first event's, whatever a later event's address says.
    pipeline.process_batch([hit(site, 1, 60, "/b", country="FR"), hit(site, 2, 60, "/c", country="FR")])
    assert visit_countries(event_store, site.id) == [("/", "DE"), ("/b", "DE"), ("/c", "FR")]


def store_at_version(event_store, last: int) -> None:
    """Make the store's tables afresh as the schema's versions up to `last` made them."""
    for table in (*TABLES, "session_dimensions", "schema_versions"):
        event_store.command(f"DROP TABLE IF EXISTS {table}")
    event_store.migrate()  # creates schema_versions ...
    for table in TABLES:
        event_store.command(f"DROP TABLE {table}")
    event_store.command("TRUNCATE TABLE schema_versions")
    for version, statements in SCHEMA[:last]:  # ... and the tables as those versions made them
        for statement in statements:
            event_store.command(statement)
        event_store.command("INSERT INTO schema_versions (version) VALUES ({v:UInt32})", {"v": version})


def insert_dimensions(event_store, visit: dict) -> None:
    """A visit's row in the dimensions table of versions 1 to 4."""
    with event_store._using() as client:
        client.insert(
            "session_dimensions", [[visit.get(c, "") for c in DIMENSION_COLUMNS]], column_names=list(DIMENSION_COLUMNS)
        )


def test_version_2_copies_the_visits_dimensions_onto_the_events_written_before_it(event_store):
    """A store made at version 1 (events without their visits' dimensions) is rebuilt by migrate."""
    store_at_version(event_store, 1)
    site = SiteFactory()
    written = {
        **dict.fromkeys(EVENT_FIELDS, ""),
        **{"site_id": site.id, "visitor_hash": 1, "timestamp": T0, "name": "pageview", "props": {}},
        **{"engaged_ms": None, "scroll_depth": None},
    }
    events = [
        {**written, "uuid": uuid.uuid4(), "session_id": 7, "path": "/", "country": "DE"},
        {**written, "uuid": uuid.uuid4(), "session_id": 7, "path": "/b", "country": "FR"},
        {**written, "uuid": uuid.uuid4(), "session_id": 0, "path": "/c", "country": "US"},  # of no visit
    ]
    with event_store._using() as client:
        client.insert("events", [[e[c] for c in EVENT_FIELDS] for e in events], column_names=list(EVENT_FIELDS))
    insert_dimensions(event_store, {"id": 7, "site_id": site.id, "visitor_hash": 1, "country": "DE"})

    assert event_store.migrate() == [2, 3, 4, 5]
    assert visit_countries(event_store, site.id) == [("/", "DE"), ("/b", "DE"), ("/c", "")]
    assert event_store.rows("SHOW TABLES", {}) == [(t,) for t in sorted((*TABLES, "schema_versions"))]


def test_version_4_gives_each_visits_progress_its_visitor_and_dimensions(event_store):
    """A store at version 3 (the visits' progress without their dimensions) is rebuilt by migrate, and
    the pipeline writes them with each visit's progress from then on."""
    store_at_version(event_store, 3)
    site = SiteFactory()
    insert_dimensions(
        event_store, {"id": 7, "site_id": site.id, "visitor_hash": 11, "country": "DE", "referrer_source": "Google"}
    )
    progress = {"id": 7, "site_id": site.id, "version": 1, "started": T0, "last_seen": T0, "pageviews": 1}
    columns = ["id", "site_id", "version", *SESSION_PROGRESS_FIELDS]
    with event_store._using() as client:
        client.insert("session_progress", [[progress.get(c, 0) for c in columns]], column_names=columns)

    assert event_store.migrate() == [4, 5]
    pipeline.process_batch([hit(site, 2, 0, "/", country="FR")])
    found = event_store.rows(
        "SELECT id = 7, visitor_hash, country, referrer_source, pageviews FROM session_progress FINAL "
        "WHERE site_id = {s:UInt64} ORDER BY id = 7",
        {"s": site.id},
    )
    assert found == [(False, 2, "FR", "", 1), (True, 11, "DE", "Google", 1)]


def test_version_5_drops_the_visits_dimensions_table_which_nothing_reads(event_store):
    store_at_version(event_store, 4)
    site = SiteFactory()
    insert_dimensions(event_store, {"id": 7, "site_id": site.id, "visitor_hash": 11, "country": "DE"})
    assert event_store.migrate() == [5]
    assert event_store.rows("SHOW TABLES", {}) == [("events",), ("schema_versions",), ("session_progress",)]
    pipeline.process_batch([hit(site, 1, 0, "/"), hit(site, 1, 60, "/b")])
    assert counted(event_store, site.id) == (2, 1)


def test_version_3_keeps_paths_as_low_cardinality_strings(event_store):
    site = SiteFactory()
    pipeline.process_batch([hit(site, 1, 0, "/a"), hit(site, 1, 60, "/b")])
    types = event_store.rows(
        "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() "
        "AND name IN ('path', 'entry_path', 'exit_path') ORDER BY table, name",
        {},
    )
    assert types == [
        ("events", "path", "LowCardinality(String)"),
        ("session_progress", "entry_path", "LowCardinality(String)"),
        ("session_progress", "exit_path", "LowCardinality(String)"),
    ]
    paths = event_store.rows("SELECT path FROM events WHERE site_id = {s:UInt64} ORDER BY timestamp", {"s": site.id})
    assert paths == [("/a",), ("/b",)]


def test_a_replayed_batch_is_stored_once(event_store):
    site = SiteFactory()
    hits = [hit(site, 1, 0, "/"), hit(site, 1, 30, "/a")]
    pipeline.process_batch(hits)
    event_store.insert_batch(hits, [])  # the same events again, as a replay after a failure would
    assert counted(event_store, site.id)[0] == 2


def test_a_batch_whose_transaction_fails_after_the_store_took_it_is_stored_once_when_replayed(event_store):
    """The store's insert happens inside the database transaction; if the commit fails after it, the
    worker replays the batch: the database stores it then, and the store recognises its token."""
    site = SiteFactory()
    hits = [hit(site, 1, 0, "/"), hit(site, 2, 5, "/pricing")]
    real_insert = ClickHouseStore.insert_batch

    def insert_then_fail(self, batch_hits, visits):
        real_insert(self, batch_hits, visits)
        raise ConnectionError("the database went away before the commit")

    with mock.patch.object(ClickHouseStore, "insert_batch", insert_then_fail), pytest.raises(ConnectionError):
        pipeline.process_batch(hits)
    replay = [hit(site, 1, 0, "/"), hit(site, 2, 5, "/pricing")]
    for again, first in zip(replay, hits, strict=True):
        again.uuid = first.uuid
    result = pipeline.process_batch(replay)
    assert result.stored == 2
    assert counted(event_store, site.id)[0] == 2


def test_the_batch_token_names_the_events_whatever_their_order():
    site = SiteFactory.build(id=1)
    a, b = hit(site, 1, 0, "/"), hit(site, 2, 0, "/")
    assert batch_token([a, b]) == batch_token([b, a]) != batch_token([a])


def test_deleting_a_sites_data_deletes_it_from_the_store(event_store):
    site, other = SiteFactory(), SiteFactory()
    pipeline.process_batch([hit(site, 1, 0, "/"), hit(other, 1, 0, "/")])
    deletion.site_delete_data(site)
    assert counted(event_store, site.id) == (0, 0)
    assert counted(event_store, other.id) == (1, 1)


def test_retention_deletes_old_events_and_ended_visits_from_the_store(event_store):
    site = SiteFactory(retention_days=30)
    pipeline.process_batch([hit(site, 1, 0, "/"), hit(site, 2, 40 * 86400, "/new")])
    retention.apply_site_retention(site, now=T0 + timedelta(days=41))
    assert counted(event_store, site.id) == (1, 1)


def test_django_migrate_applies_the_store_schema_too(event_store):
    event_store.command("TRUNCATE TABLE schema_versions")  # as a store no version was applied to
    call_command("migrate", verbosity=0)
    versions = [row[0] for row in event_store.rows("SELECT version FROM schema_versions ORDER BY version", {})]
    assert versions == [version for version, _ in SCHEMA]
