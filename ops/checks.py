"""Readiness checks: can this instance do its work? The database answers; with Redis, Redis answers, the
stream's oldest entry has not waited too long, and a worker read the stream recently.

Each check returns a Check with a detail for a person (`manage.py doctor`); /readyz shows only the names
and whether each passed, since details can name hosts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection

from ops import readings
from tracker import metrics
from tracker.connections import redis_client, stream_mode


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Check("database", False, f"unreachable: {exc}".strip())
    return Check("database", True, f"{connection.vendor} answers")


def check_migrations() -> Check:
    """Every migration of the code is applied (after an upgrade: `manage.py migrate`). For the doctor only:
    loading the migration graph takes too long for a probe every few seconds."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Check("migrations", False, f"cannot be read: {exc}")
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:5])
        return Check("migrations", False, f"{len(plan)} not applied (run manage.py migrate): {names}")
    return Check("migrations", True, "all applied")


def check_redis() -> Check:
    try:
        redis_client(settings.REDIS_URL).ping()
    except redis.RedisError as exc:
        return Check("redis", False, f"unreachable: {exc}")
    return Check("redis", True, "answers")


def check_stream(*, now: float) -> Check:
    """The oldest event waiting in the stream is younger than READY_MAX_STREAM_AGE_SECONDS."""
    try:
        reading = readings.stream_reading(now=now)
    except redis.RedisError as exc:
        return Check("stream", False, f"cannot be read: {exc}")
    assert reading is not None
    bound = settings.READY_MAX_STREAM_AGE_SECONDS
    detail = (
        f"{reading.length} waiting ({reading.pending} with a worker), "
        f"the oldest for {reading.oldest_age_seconds:.0f} s (at most {bound} s)"
    )
    return Check("stream", reading.oldest_age_seconds <= bound, detail)


def check_worker(*, now: float) -> Check:
    """A worker read the stream within READY_MAX_WORKER_SILENCE_SECONDS."""
    try:
        seen = metrics.workers_last_seen()
    except redis.RedisError as exc:
        return Check("worker", False, f"cannot be read: {exc}")
    bound = settings.READY_MAX_WORKER_SILENCE_SECONDS
    if not seen:
        return Check("worker", False, "no worker has read the stream in the last day")
    silence = max(0.0, now - max(seen.values()))
    alive = sum(1 for moment in seen.values() if now - moment <= bound)
    detail = f"last read {silence:.0f} s ago (at most {bound} s); {alive} of {len(seen)} workers seen within it"
    return Check("worker", silence <= bound, detail)


def readiness(*, now: float | None = None) -> list[Check]:
    """Run every check that applies: the database alone in the embedded mode (events are processed in the
    request, there is no worker), and Redis, the stream and a worker's heartbeat with Redis."""
    now = time.time() if now is None else now
    checks = [check_database()]
    if stream_mode():
        redis_check = check_redis()
        checks.append(redis_check)
        later: list[Callable[..., Check]] = [check_stream, check_worker]
        if redis_check.ok:
            checks += [check(now=now) for check in later]
        else:
            checks += [Check(check.__name__.removeprefix("check_"), False, "Redis is unreachable") for check in later]
    return checks
