"""The Prometheus metrics, collected at scrape time from where the numbers already live.

Gunicorn and Celery run several processes, on one machine or many, so Footfall keeps no counters
in a process's memory (in the embedded mode, one process, it does): the write side's counters are in
Redis (tracker/metrics.py), queue lengths and lags are read from Redis and the database when
Prometheus asks. One scrape reads them once, whichever web process answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import redis
from django.conf import settings
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from analytics_site import __version__
from ops import checks, readings
from tracker import metrics


def _prefixed(counters: dict[str, float], prefix: str) -> dict[str, float]:
    return {name.removeprefix(prefix): value for name, value in counters.items() if name.startswith(prefix)}


def _counters() -> Iterator[Metric]:
    try:
        counters = metrics.read_counters()
    except redis.RedisError:
        return  # the readiness gauges say Redis is unreachable
    for name, key, help_text in (
        (
            "footfall_events_accepted",
            metrics.ACCEPTED,
            "Events accepted by ingest (pushed to the stream, processed inline, or drained from the spool)",
        ),
        ("footfall_events_stored", metrics.STORED, "Events the pipeline stored"),
        ("footfall_pipeline_batches", metrics.BATCHES, "Batches the pipeline processed"),
    ):
        yield CounterMetricFamily(name, help_text, value=counters.get(key, 0.0))
    dropped = CounterMetricFamily("footfall_events_dropped", "Accepted events the pipeline dropped", labels=["reason"])
    for reason, value in sorted(_prefixed(counters, metrics.DROPPED_PREFIX).items()):
        dropped.add_metric([reason], value)
    yield dropped
    steps = CounterMetricFamily(
        "footfall_pipeline_step_seconds", "Seconds the pipeline spent in each step, over all batches", labels=["step"]
    )
    for step, value in sorted(_prefixed(counters, metrics.STEP_PREFIX).items()):
        steps.add_metric([step], value)
    yield steps


def _stream(now: float) -> Iterator[Metric]:
    try:
        reading = readings.stream_reading(now=now)
        seen = metrics.workers_last_seen() if reading is not None else {}
    except redis.RedisError:
        return
    if reading is None:
        return
    yield GaugeMetricFamily("footfall_stream_length", "Events in the stream not yet stored", value=reading.length)
    yield GaugeMetricFamily(
        "footfall_stream_pending", "Stream entries delivered to a worker and not acknowledged", value=reading.pending
    )
    yield GaugeMetricFamily(
        "footfall_stream_oldest_age_seconds",
        "How long the oldest event in the stream has waited",
        value=reading.oldest_age_seconds,
    )
    if seen:
        yield GaugeMetricFamily(
            "footfall_worker_silence_seconds",
            "Seconds since a worker last read the stream",
            value=max(0.0, now - max(seen.values())),
        )


def _database() -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "footfall_spool_length",
        "Events spooled to the database while Redis was unreachable",
        value=readings.spool_length(),
    )
    yield GaugeMetricFamily(
        "footfall_rollup_lag_seconds",
        "Since the end of the oldest finished day not rolled up yet (0: none)",
        value=readings.rollup_lag_seconds(now=timezone.now()),
    )
    yield GaugeMetricFamily(
        "footfall_rollup_pending_days",
        "Rolled-up days changed by late events, waiting to be recomputed",
        value=readings.rollup_pending_days(),
    )
    yield GaugeMetricFamily(
        "footfall_archive_lag_events",
        "Events stored since the furthest-behind site's archive cursor (upper bound)",
        value=readings.archive_lag_events(),
    )


class FootfallCollector(Collector):
    """Every Footfall metric; the readiness checks' results too, so one alert covers what /readyz says."""

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        results = checks.readiness(now=now)
        ready = GaugeMetricFamily("footfall_check_ok", "1 when the readiness check passes", labels=["check"])
        for check in results:
            ready.add_metric([check.name], 1.0 if check.ok else 0.0)
        yield ready
        info = GaugeMetricFamily("footfall_info", "This Footfall instance", labels=["version", "mode"])
        info.add_metric([__version__, "redis" if settings.REDIS_URL else "embedded"], 1.0)
        yield info
        yield from _counters()
        yield from _stream(now)
        if results[0].ok:  # the database answers
            yield from _database()


def registry() -> CollectorRegistry:
    """A registry of Footfall's collector alone (not the process's default one), made per scrape."""
    made = CollectorRegistry(auto_describe=False)
    made.register(FootfallCollector())
    return made
