"""`manage.py pipeline_status`: the stream per partition, its consumers, the spool and the counters, as a table
and as JSON; an unreachable Redis is a clear error, not a traceback."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import SiteFactory
from tests.tracker.test_buffer import REFUSING_REDIS, make_hits, read_as
from tracker import buffer
from tracker.connections import partition_streams

pytestmark = pytest.mark.django_db(transaction=True)


def status(*args: str) -> str:
    out = StringIO()
    call_command("pipeline_status", *args, stdout=out)
    return out.getvalue()


def test_embedded_mode_has_no_stream_but_counts(settings):
    settings.REDIS_URL = ""
    buffer.push(make_hits(SiteFactory(), 3))
    output = status()
    assert "Embedded mode" in output
    assert "3 accepted, 3 stored in 1 batches, dropped: none" in output
    assert "spool: 0 events" in output
    state = json.loads(status("--json"))
    assert state["mode"] == "embedded"
    assert state["partitions"] == []
    assert state["counters"]["stored"] == 3
    assert set(state["counters"]["mean_step_seconds_per_batch"]) >= {"assign_session", "store_events"}


def test_partitions_consumers_and_latest_batches(stream_mode, settings):
    site = SiteFactory()
    buffer.push(make_hits(site, 40, visitors=12))
    assert buffer.drain_stream(consumer="worker-a") == 40
    buffer.push(make_hits(site, 20, visitors=12))
    read_as(stream_mode, "worker-b", 5)  # read, never acknowledged
    state = json.loads(status("--json"))
    assert state["mode"] == "stream"
    assert [p["stream"] for p in state["partitions"]] == partition_streams()
    assert sum(p["waiting"] for p in state["partitions"]) == 20
    assert sum(p["pending"] for p in state["partitions"]) == 5
    batches = [p["last_batch"] for p in state["partitions"] if p["last_batch"]]
    assert sum(b["entries"] for b in batches) == 40
    assert {b["consumer"] for b in batches} == {"worker-a"}
    assert all(b["seconds"] > 0 and b["age_seconds"] >= 0 for b in batches)
    assert state["consumers"]["worker-b"]["pending"] == 5
    assert state["consumers"]["worker-a"]["pending"] == 0
    assert state["consumers"]["worker-b"]["idle_seconds"] >= 0
    assert state["counters"]["stored"] == 40

    table = status()
    for stream in partition_streams():
        assert stream in table
    assert "by worker-a" in table
    assert "worker-b" in table
    assert "60 accepted, 40 stored" in table


def test_an_unreachable_redis_is_a_clear_error(settings):
    settings.REDIS_URL = REFUSING_REDIS
    with pytest.raises(CommandError, match="Redis is unreachable"):
        status()
