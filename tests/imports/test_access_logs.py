"""An access log imported through the imports' registry: events through the pipeline, and a summary."""

from __future__ import annotations

import pytest

from imports.access_logs import EVENTS_STAY
from imports.models import Import
from imports.services import import_create, import_run
from tests.imports.conftest import DATA, load
from tracker.models import Event

pytestmark = pytest.mark.django_db

LOGS = DATA.parent / "access_logs"


def test_an_access_log_becomes_the_sites_events_with_a_summary(site):
    job, summary = load(site, "access-log", LOGS / "nginx-access.log")
    assert summary is not None
    stored = Event.objects.filter(site=site).count()
    assert stored == summary.imported > 0
    assert summary.read > summary.imported
    assert sum(summary.skipped.values()) > 0
    assert all(problem.startswith("nginx-access.log:") for problem in summary.problems)
    assert EVENTS_STAY in summary.notes
    job.refresh_from_db()
    # Done, with no aggregate days: the dashboard's imported-data toggle is for aggregates.
    assert (job.status, job.first_day, job.progress) == (Import.Status.DONE, None, 100)


def test_a_log_run_again_stores_nothing_twice(site):
    """The import of a file is not created twice; run again anyway (a retried task), the pipeline drops the
    lines' events as duplicates, since their uuids come from the lines."""
    job, first = load(site, "access-log", LOGS / "apache-access.log.gz")
    with (LOGS / "apache-access.log.gz").open("rb") as file:
        assert import_create(site_id=site.id, format="access-log", file_name="again.log.gz", file=file) == (job, False)
        again = import_run(job, file)
    assert first is not None
    assert again is not None
    assert first.imported > 0
    assert (again.imported, Event.objects.filter(site=site).count()) == (0, first.imported)
