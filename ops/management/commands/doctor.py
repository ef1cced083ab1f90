"""Print the readiness checks and the pipeline's readings for a person; exit non-zero when a check fails."""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics_site import __version__
from ops import checks, readings
from tracker import metrics


class Command(BaseCommand):
    help = "Check the database, Redis, the stream and the workers as /readyz does, and print the pipeline's state."

    def handle(self, *args: Any, **options: Any) -> None:
        mode = "Redis stream and workers" if settings.REDIS_URL else "embedded (events processed in the request)"
        self.stdout.write(f"Footfall {__version__}, {mode}")
        results = checks.readiness()
        if results[0].ok:  # the database answers
            results.insert(1, checks.check_migrations())
        for check in results:
            mark = self.style.SUCCESS("ok  ") if check.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {check.name:<10} {check.detail}")
        if all(check.ok for check in results[:2]):
            self._readings()
        failed = [check.name for check in results if not check.ok]
        if failed:
            raise CommandError(f"not ready: {', '.join(failed)}")

    def _readings(self) -> None:
        lag = readings.rollup_lag_seconds(now=timezone.now())
        lines = [
            ("spool", f"{readings.spool_length()} events waiting for Redis"),
            ("rollups", f"{lag / 3600:.1f} h behind, {readings.rollup_pending_days()} changed days to recompute"),
            ("archive", f"{readings.archive_lag_events()} events not archived yet (at most)"),
        ]
        try:
            counters = metrics.read_counters()
        except redis.RedisError:
            counters = {}
        if counters:
            lines.append(("events", _event_counts(counters)))
        for name, text in lines:
            self.stdout.write(f"     {name:<10} {text}")


def _event_counts(counters: dict[str, float]) -> str:
    dropped = {
        name.removeprefix(metrics.DROPPED_PREFIX): int(value)
        for name, value in sorted(counters.items())
        if name.startswith(metrics.DROPPED_PREFIX)
    }
    accepted, stored = int(counters.get(metrics.ACCEPTED, 0)), int(counters.get(metrics.STORED, 0))
    return f"{accepted} accepted, {stored} stored, dropped: {dropped or 'none'}"
