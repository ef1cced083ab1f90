"""The suite on the ClickHouse event store: `EVENT_STORE=chdb:///path make test` (CI's third mode).

The pipeline writes every batch to the store as in production, and the stats layer counts from it.
Many tests build their events straight into the relational tables (factories, the known sites), as an
install that turns a store on holds them before its cut-over: those are copied into the store whenever
the stats layer picks its source (stats.sources.configured), as `manage.py copy_events --to-store`
copies them (tracker/store/backfill.py). Each test starts from an empty store, as it does from an empty
database.

The processes tests start (servers, workers, commands) keep their events in the database, since one
process holds a chdb path. The copy's own queries are taken back out of Django's query log, so the
tests that count a view's queries count the same queries in every mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

import tracker.store
from sites.models import Site
from stats import sources
from tracker.store import ClickHouseStore
from tracker.store.backfill import copy_site_events

SUITE_STORE = os.environ.get("EVENT_STORE", "db")
STORE_MODE = SUITE_STORE not in ("", "db")


@contextmanager
def _unlogged_queries() -> Iterator[None]:
    log = connection.queries_log
    logged = len(log)
    try:
        yield
    finally:
        while len(log) > logged:
            log.pop()


class _Mirror:
    """Copies what the database holds and the store does not, each event once."""

    def __init__(self) -> None:
        self.copied_up_to: dict[int, int] = {}

    def catch_up(self, store: ClickHouseStore) -> None:
        with _unlogged_queries():
            for site in Site.objects.all():
                result = copy_site_events(store, site, after=self.copied_up_to.get(site.id, 0))
                self.copied_up_to[site.id] = result.last_id


@pytest.fixture(scope="session")
def event_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The store the tests of the event store use: a ClickHouse server's database when CLICKHOUSE_URL
    names one (which the tests empty), else an in-process ClickHouse (chdb) for the whole run; one
    process holds one chdb path (the suite's own when it runs on the event store)."""
    if server := os.environ.get("CLICKHOUSE_URL"):
        return server
    if STORE_MODE:
        return SUITE_STORE
    return f"chdb://{tmp_path_factory.mktemp('event-store')}"


@pytest.fixture
def event_store(settings, event_store_url: str) -> ClickHouseStore:
    """The ClickHouse event store, empty: the pipeline writes to it and stats.run counts from it."""
    settings.EVENT_STORE = event_store_url
    store = tracker.store.event_store()
    assert store is not None
    store.migrate()
    store.truncate()
    return store


@pytest.fixture(scope="session")
def _migrated_store() -> Iterator[ClickHouseStore | None]:
    if not STORE_MODE:
        yield None
        return
    store = tracker.store.event_store()
    assert store is not None, "EVENT_STORE names no store"
    store.migrate()
    # The processes tests start (servers, workers, commands) keep their events in the database: a chdb
    # path belongs to one process, this one.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVENT_STORE", "db")
        yield store


@pytest.fixture(autouse=True)
def _store_mode(_migrated_store: ClickHouseStore | None) -> Iterator[None]:
    if _migrated_store is None:
        yield
        return
    mirror = _Mirror()
    _migrated_store.truncate()
    configured = sources.configured

    def configured_after_catching_up() -> sources.CountSource:
        store = tracker.store.event_store()
        if store is not None:
            mirror.catch_up(store)
        return configured()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "configured", configured_after_catching_up)
        yield
