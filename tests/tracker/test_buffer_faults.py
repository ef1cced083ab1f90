"""Fault runs: events posted through the ingest endpoints while the production stack breaks.

Each run posts FOOTFALL_FAULT_EVENTS events (20,000 by default, 100,000 in CI) with unique ids to
/api/events (bearer key, 500 a request) and /api/event (browser arrays of 20) while real Celery
workers drain the stream's partitions, one worker or two, and breaks something on the way:

(a) the worker is SIGKILLed while it holds a batch it read but did not acknowledge, and restarted;
(b) Redis hangs (SIGSTOP), then dies (SIGKILL) and comes back, for ingest and worker alike;
(c) the worker's PostgreSQL backend is terminated in the middle of storing a batch, several times.

After recovery the stored uuids are exactly the 202-accepted ones, each once, sessions count each
event once, and there is exactly one session per visitor (every visitor comes back within minutes,
so a worker that stored two batches of one visitor at once would show as a second session). A 503
is an honest refusal: it is retried, as a client would, once the stack is back. Each run reports
one line of figures in the terminal summary.

The buffer's promise is what these runs hold to account (tracker/buffer.py: accepted means
durable), hence the module's name beside test_buffer.py.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from django.db.models import Sum
from django.test import Client

from ops import readings
from sites.keys import api_key_create
from sites.models import ApiKey
from tests.conftest import need_service
from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tests.redis_server import RedisServer, redis_server_binary
from tests.worker import WORKER_APPLICATION_NAME, WorkerProcess, wait_until
from tracker import buffer
from tracker.models import Event, Session, SpooledHit
from tracker.pipeline.locks import PARTITION_LOCK

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

EVENTS = int(os.environ.get("FOOTFALL_FAULT_EVENTS", "20000"))
DOMAIN = "faults.example"
SERVER_BATCH = 500  # events per /api/events request
BROWSER_BATCH = 20  # events per /api/event request, the most a browser sends
BROWSER_EVERY = 10  # every tenth request comes from a browser
VISITORS = 2000
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
DRAIN_TIMEOUT = 300.0  # seconds for the worker to store everything after the last fault
FAULT_TIMEOUT = 60.0  # seconds to wait for a worker to be caught mid-batch


@dataclass(frozen=True)
class IngestRequest:
    browser: bool
    ids: list[str]
    body: str
    remote_addr: str
    visitors: frozenset[str]  # the addresses of its events' visitors (all share one user agent)


def visitor_ip(n: int) -> str:
    return f"198.51.{100 + n // 250}.{n % 250 + 1}"


def plan_requests(count: int) -> list[IngestRequest]:
    """Split `count` events into server batches with a browser request every BROWSER_EVERY."""
    requests: list[IngestRequest] = []
    made = 0
    while made < count:
        browser = len(requests) % BROWSER_EVERY == BROWSER_EVERY - 1
        size = min(BROWSER_BATCH if browser else SERVER_BATCH, count - made)
        ids = [str(uuid.uuid4()) for _ in range(size)]
        if browser:
            visitor = len(requests) % VISITORS
            page = f"https://{DOMAIN}/read/{visitor % 40}"
            events = [{"d": DOMAIN, "n": "pageview", "u": page, "id": event_id} for event_id in ids]
            body, remote = json.dumps(events), visitor_ip(visitor)
            visitors = frozenset([remote])
        else:
            events = [
                {
                    "domain": DOMAIN,
                    "name": "pageview",
                    "url": f"https://{DOMAIN}/articles/{(made + n) % 40}",
                    "id": event_id,
                    "ip": visitor_ip((made + n) % VISITORS),
                    "user_agent": UA,
                }
                for n, event_id in enumerate(ids)
            ]
            body, remote = json.dumps({"events": events}), "192.0.2.10"
            visitors = frozenset(event["ip"] for event in events)
        requests.append(IngestRequest(browser=browser, ids=ids, body=body, remote_addr=remote, visitors=visitors))
        made += size
    return requests


@dataclass
class FaultRun:
    """Posts the planned requests, keeps the ledger of answers, and checks the outcome."""

    name: str
    client: Client
    key: str
    requests: list[IngestRequest]
    accepted: set[str] = field(default_factory=set)
    visitors: set[str] = field(default_factory=set)
    refused: list[IngestRequest] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    posted: int = 0
    post_seconds: float = 0.0
    drain_seconds: float = 0.0
    faults: Counter[str] = field(default_factory=Counter)
    spooled: int = 0
    _next: int = 0

    @property
    def events(self) -> int:
        return sum(len(r.ids) for r in self.requests)

    def send(self, request: IngestRequest) -> int:
        started = time.perf_counter()
        if request.browser:
            response = self.client.post(
                "/api/event",
                data=request.body,
                content_type="text/plain",
                headers={"User-Agent": UA},
                REMOTE_ADDR=request.remote_addr,
            )
        else:
            response = self.client.post(
                "/api/events",
                data=request.body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {self.key}", "User-Agent": UA},
                REMOTE_ADDR=request.remote_addr,
            )
        self.post_seconds += time.perf_counter() - started
        self.statuses[response.status_code] += 1
        if response.status_code == 202:
            body = response.json()
            assert body == {"accepted": len(request.ids), "rejected": []}, body
            self.accepted.update(request.ids)
            self.visitors.update(request.visitors)
        else:
            # Anything but an honest "not now" would be a bug: a 500, or a 4xx for valid events.
            assert response.status_code == 503, (response.status_code, response.content[:300])
            assert response.json()["error"]["code"] == "buffer_unavailable"
            assert int(response["Retry-After"]) > 0
        return response.status_code

    def accepts(self, request: IngestRequest) -> bool:
        return self.send(request) == 202

    def post_next(self, count: int) -> float:
        """Post the next `count` requests; return the seconds they took."""
        started = time.perf_counter()
        for request in self.requests[self._next : self._next + count]:
            self._next += 1
            self.posted += len(request.ids)
            if self.send(request) != 202:
                self.refused.append(request)
        return time.perf_counter() - started

    def post_until(self, fraction: float) -> float:
        """Post the next requests until `fraction` of all events went out; return the seconds taken."""
        started = time.perf_counter()
        while self._next < len(self.requests) and self.posted < fraction * self.events:
            self.post_next(1)
        return time.perf_counter() - started

    def catch(self, condition: Callable[[], bool]) -> bool:
        """Poll `condition` tightly, posting one more request after every half second it stays false.

        The worker so never runs out of batches to be caught in; gives up after FAULT_TIMEOUT.
        """
        deadline = time.monotonic() + FAULT_TIMEOUT
        while time.monotonic() < deadline:
            if wait_until(condition, timeout=0.5, interval=0.002):
                return True
            self.post_next(1)
        return False

    def post_rest(self) -> None:
        self.post_until(1.0)
        assert self._next == len(self.requests)

    def retry_refused(self) -> None:
        """Send refused requests again, with their ids, as a client honouring Retry-After would."""
        waiting, self.refused = self.refused, []
        for request in waiting:
            assert wait_until(functools.partial(self.accepts, request), timeout=30, interval=1.0)

    def wait_drained(self, workers: Workers) -> None:
        started = time.monotonic()

        def drained() -> bool:
            if Event.objects.count() < len(self.accepted) or SpooledHit.objects.exists():
                return False
            reading = readings.stream_reading(now=time.time())
            return reading is not None and reading.length == 0 and reading.pending == 0

        assert wait_until(drained, timeout=DRAIN_TIMEOUT, interval=0.5), (self.backlog(), workers.log_tail())
        self.drain_seconds = time.monotonic() - started

    def backlog(self) -> dict[str, object]:
        return {
            "stored": Event.objects.count(),
            "accepted": len(self.accepted),
            "spool": SpooledHit.objects.count(),
            "stream": readings.stream_reading(now=time.time()),
        }

    def assert_exactly_once(self) -> int:
        """Every accepted event is stored once, and nothing else is; each visitor has one session, which
        counts each of its events once. Return the duplicates (0)."""
        stored = [str(u) for u in Event.objects.values_list("uuid", flat=True)]
        duplicates = len(stored) - len(set(stored))
        assert duplicates == 0
        assert len(stored) == len(self.accepted) == self.events
        assert set(stored) == self.accepted
        totals = Session.objects.aggregate(pageviews=Sum("pageviews"), events=Sum("events"))
        assert totals == {"pageviews": self.events, "events": self.events}
        assert Session.objects.count() == len(self.visitors)
        return duplicates

    def summary(self, duplicates: int, workers: Workers, extra: dict[str, object]) -> str:
        """One line of figures for the terminal summary."""
        replayed = sum(replayed_duplicates(worker.log_path) for worker in workers)
        faults = ", ".join(f"{what} {n}" for what, n in sorted(self.faults.items()))
        more = "".join(f", {k} {v}" for k, v in extra.items())
        return (
            f"fault run {self.name}, {len(workers)} worker(s): "
            f"posted {self.posted:,} in {len(self.requests):,} requests, "
            f"accepted {len(self.accepted):,}, refused {sum(n for s, n in self.statuses.items() if s != 202):,} "
            f"(retried), spooled {self.spooled:,}, post {self.post_seconds:.1f} s "
            f"({self.posted / max(self.post_seconds, 1e-9):,.0f}/s), drain {self.drain_seconds:.1f} s, "
            f"{faults}{more}, replayed duplicates dropped {replayed:,}, duplicates stored {duplicates}, "
            f"sessions {Session.objects.count():,} for {len(self.visitors):,} visitors"
        )


class Workers(list[WorkerProcess]):
    """The workers of one run, started, stopped and read together."""

    @classmethod
    def of(cls, count: int, **options: Any) -> Workers:
        return cls(WorkerProcess(name=f"worker-{n}", beat=n == 0, **options) for n in range(count))

    def start(self) -> None:
        for worker in self:
            worker.start()

    def stop(self) -> None:
        for worker in self:
            worker.stop()

    @property
    def running(self) -> bool:
        return all(worker.running for worker in self)

    def log_tail(self) -> str:
        return "\n".join(f"--- {worker.name}\n{worker.log_tail()}" for worker in self)

    def log_lines(self, text: str) -> int:
        return sum(log_lines(worker, text) for worker in self)


DRAINED_LINE = re.compile(r"drained \d+ (?:entries from \S+|spooled hits): stored \d+, dropped \{([^}]*)\}")


def replayed_duplicates(log: Path) -> int:
    """Sum the duplicates the worker's batches dropped: replays and hidden writes the uuid check absorbed."""
    total = 0
    for match in DRAINED_LINE.finditer(log.read_text(errors="replace") if log.exists() else ""):
        found = re.search(r"'duplicate': (\d+)", match.group(1))
        total += int(found.group(1)) if found else 0
    return total


def log_lines(worker: WorkerProcess, text: str) -> int:
    """Count the worker's log lines that contain `text`."""
    if not worker.log_path.exists():
        return 0
    return sum(text in line for line in worker.log_path.read_text(errors="replace").splitlines())


@pytest.fixture
def ingest_key() -> str:
    site = SiteFactory(domain=DOMAIN)
    owner = UserFactory()
    MembershipFactory(user=owner, site=site)
    _, raw = api_key_create(user=owner, name="faults", scopes=[ApiKey.Scope.EVENTS_WRITE])
    return raw


@pytest.fixture
def run_factory(client, ingest_key, monkeypatch) -> Callable[[str], FaultRun]:
    """A FaultRun over freshly planned requests that counts every hit ingest spools."""
    runs: list[FaultRun] = []
    original = buffer.spool

    def counting_spool(payloads: list[bytes]) -> None:
        original(payloads)
        for run in runs:
            run.spooled += len(payloads)

    monkeypatch.setattr(buffer, "spool", counting_spool)

    def make(name: str) -> FaultRun:
        run = FaultRun(name=name, client=client, key=ingest_key, requests=plan_requests(EVENTS))
        runs.append(run)
        return run

    return make


@pytest.fixture
def stream(postgres, stream_mode) -> redis.Redis:
    """This test's own stream on the shared Redis, with PostgreSQL required too."""
    return stream_mode


def pending_of(consumer: str) -> int:
    """Entries the consumer read from any partition and has not acknowledged."""
    return sum(
        p.consumers[consumer].pending for p in readings.partition_readings(now=time.time()) if consumer in p.consumers
    )


def holds_a_batch(worker: WorkerProcess) -> bool:
    return pending_of(worker.consumer) > 0


WORKER_COUNTS = pytest.mark.parametrize("worker_count", [1, 2], ids=["1 worker", "2 workers"])


# --- (a) the worker SIGKILLed mid-batch ----------------------------------------------------------


KILLS = 3


@WORKER_COUNTS
def test_worker_killed_mid_batch_while_posting(
    run_factory, stream, settings, tmp_path, redis_url, record_property, worker_count
):
    """SIGKILL while a worker holds a batch it read and did not acknowledge, three times; restarted, it replays
    (or, with two, the other worker claims the batch first)."""
    workers = Workers.of(worker_count, redis_url=redis_url, stream=settings.BUFFER_STREAM, workdir=tmp_path)
    run = run_factory("(a) worker SIGKILLed mid-batch")
    buffer.ensure_group(stream)
    held_at_kills: list[int] = []
    try:
        workers.start()
        for kill in range(KILLS):
            victim = workers[kill % worker_count]
            run.post_until((kill + 1) / (KILLS + 2))
            held = 0
            for _attempt in range(5):
                assert run.catch(functools.partial(holds_a_batch, victim)), workers.log_tail()
                victim.kill()
                # Still pending after the kill: the batch was read and never acknowledged.
                held = pending_of(victim.consumer)
                if held:
                    break
                run.faults["kills that missed a batch"] += 1
                victim.start()
            assert held > 0, "the kill never landed inside a batch"
            held_at_kills.append(held)
            run.faults["kills"] += 1
            # Events keep arriving while the worker is down; they wait in the stream (or the other worker takes them).
            run.post_until((kill + 1.5) / (KILLS + 2))
            victim.start()
        run.post_rest()
        run.retry_refused()
        run.wait_drained(workers)
        assert workers.running, workers.log_tail()
        line = run.summary(run.assert_exactly_once(), workers, {"unacknowledged at the kills": held_at_kills})
    finally:
        workers.stop()
    record_property("summary", line)


# --- (b) Redis hung, then dead, then back ------------------------------------------------------


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    if redis_server_binary() is None:
        need_service("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


HUNG_REQUESTS = 5  # posted while Redis hangs; each waits out the client's socket timeout


@WORKER_COUNTS
def test_redis_hung_then_killed_for_ingest_and_worker(
    run_factory, postgres, own_redis, settings, tmp_path, record_property, worker_count
):
    """Redis (stream and broker) hangs, later dies and comes back; ingest spools meanwhile, then everything drains.

    The workers lose the same Redis as ingest: their stream reads time out or are refused, and
    Celery loses its broker. They must survive both and drain the stream and the spool after.
    """
    settings.REDIS_URL = own_redis.url(0)
    settings.BUFFER_STREAM = f"footfall:test:{uuid.uuid4().hex}"
    workers = Workers.of(
        worker_count,
        redis_url=own_redis.url(0),
        broker_url=own_redis.url(1),
        stream=settings.BUFFER_STREAM,
        workdir=tmp_path,
    )
    run = run_factory("(b) Redis hung, then killed")

    try:
        workers.start()
        run.post_until(0.2)

        own_redis.pause()
        run.faults["Redis SIGSTOPs"] += 1
        spooled, posted = run.spooled, run.posted
        hung_seconds = run.post_next(HUNG_REQUESTS)
        hung_spooled = run.spooled - spooled
        # Each request waited out the socket timeout, then spooled its events and answered 202.
        assert hung_spooled == run.posted - posted
        assert not run.refused
        own_redis.resume()
        run.post_until(0.5)

        own_redis.kill()
        run.faults["Redis SIGKILLs"] += 1
        spooled, posted = run.spooled, run.posted
        down_seconds = run.post_until(0.8)
        down_spooled = run.spooled - spooled
        assert down_spooled == run.posted - posted
        assert not run.refused
        own_redis.start()
        run.post_rest()
        run.retry_refused()
        run.wait_drained(workers)
        assert workers.running, workers.log_tail()
        worker_saw = {
            "stream": workers.log_lines("Redis is unreachable; the stream"),
            "broker": workers.log_lines("Connection to broker lost"),
        }
        assert worker_saw["stream"] + worker_saw["broker"] > 0, "the workers never noticed Redis was gone"
        line = run.summary(
            run.assert_exactly_once(),
            workers,
            {
                "hung": f"{HUNG_REQUESTS} requests in {hung_seconds:.1f} s, {hung_spooled:,} spooled",
                "down": f"{down_seconds:.1f} s, {down_spooled:,} spooled",
                "workers' failed stream reads": worker_saw["stream"],
                "broker losses": worker_saw["broker"],
            },
        )
    finally:
        workers.stop()
    record_property("summary", line)


# --- (c) the worker's database connection terminated -------------------------------------------------------


TERMINATIONS = 5
NEVER_CLAIMED_MS = 24 * 3600 * 1000


def terminate_worker_in_batch() -> bool:
    """Terminate a worker's backend if it is half way through storing a batch.

    That is: it holds a partition's lock and its transaction has written rows (it has a
    transaction id), so sessions or events are inserted and not yet committed. Nothing but a
    batch takes a partition's lock.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity AS a JOIN pg_locks AS l ON l.pid = a.pid "
            "WHERE a.datname = current_database() AND a.application_name = %s AND a.backend_xid IS NOT NULL "
            "AND l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s AND l.objsubid = 2",
            [WORKER_APPLICATION_NAME, PARTITION_LOCK],
        )
        return any(terminated for (terminated,) in cursor.fetchall())


@WORKER_COUNTS
def test_worker_database_connection_terminated_mid_batch(
    run_factory, stream, settings, tmp_path, redis_url, record_property, worker_count
):
    """pg_terminate_backend on a worker's connection while it stores a batch; it reconnects and stores it again.

    No batch is ever claimed here: the worker itself must replay what its lost connection failed,
    not leave it pending for BUFFER_CLAIM_IDLE_MS (a minute in production) and another worker.
    """
    workers = Workers.of(
        worker_count,
        redis_url=redis_url,
        stream=settings.BUFFER_STREAM,
        workdir=tmp_path,
        claim_idle_ms=NEVER_CLAIMED_MS,
    )
    run = run_factory("(c) worker's database backend terminated")
    try:
        workers.start()
        for n in range(TERMINATIONS):
            run.post_until((n + 1) / (TERMINATIONS + 1))
            assert run.catch(terminate_worker_in_batch), workers.log_tail()
            run.faults["terminations"] += 1
        run.post_rest()
        run.retry_refused()
        run.wait_drained(workers)
        assert workers.running, workers.log_tail()
        failed_tasks = workers.log_lines("raised unexpected")
        assert failed_tasks == 0, workers.log_tail()
        line = run.summary(
            run.assert_exactly_once(),
            workers,
            {
                "batches retried on a new connection": workers.log_lines("retrying on a new one"),
                "left to the next drain": workers.log_lines("the database is unreachable"),
                "failed tasks": failed_tasks,
            },
        )
    finally:
        workers.stop()
    record_property("summary", line)
