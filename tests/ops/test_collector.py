"""The Prometheus collector: every metric the alert rules use, with values read at scrape time."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ops import collector
from tests.factories import SiteFactory
from tests.tracker.test_buffer import make_hits
from tracker import buffer, metrics
from tracker.models import SpooledHit

pytestmark = pytest.mark.django_db(transaction=True)

EMBEDDED = {
    "footfall_check_ok",
    "footfall_info",
    "footfall_events_accepted",
    "footfall_events_stored",
    "footfall_pipeline_batches",
    "footfall_events_dropped",
    "footfall_pipeline_step_seconds",
    "footfall_spool_length",
    "footfall_rollup_lag_seconds",
    "footfall_rollup_pending_days",
    "footfall_archive_lag_events",
}
STREAM = {
    "footfall_stream_length",
    "footfall_stream_pending",
    "footfall_stream_oldest_age_seconds",
    "footfall_worker_silence_seconds",
}


def scrape() -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Scrape the collector; return each sample's value by sample name and labels."""
    text = generate_latest(collector.registry()).decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def families() -> set[str]:
    return {family.name for family in text_string_to_metric_families(generate_latest(collector.registry()).decode())}


def test_embedded_mode_exports_the_process_counts(settings):
    settings.REDIS_URL = ""
    hits = make_hits(SiteFactory(), 3)
    buffer.push(hits)
    buffer.push(hits[:1])
    SpooledHit.objects.create(payload=b"{}")
    samples = scrape()
    assert families() == EMBEDDED
    assert samples["footfall_events_accepted_total"] == {(): 4.0}
    assert samples["footfall_events_stored_total"] == {(): 3.0}
    assert samples["footfall_events_dropped_total"] == {(("reason", "duplicate"),): 1.0}
    assert samples["footfall_pipeline_batches_total"] == {(): 2.0}
    assert samples["footfall_spool_length"] == {(): 1.0}
    assert samples["footfall_check_ok"] == {(("check", "database"),): 1.0}
    assert samples["footfall_info"] == {(("mode", "embedded"), ("version", "0.1.0")): 1.0}
    steps = {labels[0][1] for labels in samples["footfall_pipeline_step_seconds_total"]}
    assert {"parse_ua", "assign_session", "store_events"} <= steps


def test_stream_mode_exports_the_stream_and_the_workers(stream_mode, settings):
    metrics.worker_seen("worker-1")
    buffer.push(make_hits(SiteFactory(), 4))
    samples = scrape()
    assert families() == EMBEDDED | STREAM
    assert samples["footfall_events_accepted_total"] == {(): 4.0}
    assert samples["footfall_stream_length"] == {(): 4.0}
    assert samples["footfall_stream_pending"] == {(): 0.0}
    assert samples["footfall_check_ok"][(("check", "worker"),)] == 1.0


def test_a_database_outage_leaves_out_the_database_readings(settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setattr("ops.checks.check_database", lambda: collector.checks.Check("database", False, "unreachable"))
    samples = scrape()
    assert samples["footfall_check_ok"] == {(("check", "database"),): 0.0}
    assert "footfall_spool_length" not in samples
