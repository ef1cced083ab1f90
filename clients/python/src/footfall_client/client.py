"""The Footfall client: validates events in track(), queues them, and sends them in batches to
Footfall's server-side ingest (POST /api/events) from one background thread, retrying what the
server could not take yet."""

from __future__ import annotations

import atexit
import email.utils
import functools
import http.client
import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC

from footfall_client import events
from footfall_client.events import Timestamp

__all__ = ["Client", "ClientStats", "DeliveryError", "EventRejected", "FootfallError"]

logger = logging.getLogger("footfall_client")

VERSION = "0.1.0"
MAX_BATCH = 1000  # Footfall takes at most this many events per request
MAX_BODY_BYTES = 1_000_000  # under Footfall's default INGEST_BATCH_MAX_BYTES (1 MiB)
BODY_OPEN = b'{"events":['
BODY_CLOSE = b"]}"
# Answers that mean "not now": the same events may succeed later.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
NETWORK_ERRORS = (OSError, http.client.HTTPException)  # URLError and timeouts are OSErrors


class FootfallError(Exception):
    """Footfall did not take events: a refused key, a server error past the retries, a lost network."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DeliveryError(FootfallError):
    """Sending gave up: every retry failed, or the answer means retrying cannot help (401, 403)."""


class EventRejected(FootfallError):
    """Footfall refused the event itself (for example its domain is not a site of the key)."""

    def __init__(self, message: str, *, event_id: str, code: str | None, field: str | None) -> None:
        super().__init__(message, status=400, code=code)
        self.event_id = event_id
        self.field = field


@dataclass(frozen=True)
class ClientStats:
    """Counters since the client was created; every tracked event ends in exactly one of the last four."""

    queued: int  # waiting in the queue or being sent now
    accepted: int  # taken by Footfall (202); bots among them are dropped by Footfall's pipeline
    rejected: int  # refused by Footfall as invalid; never retried
    failed: int  # not delivered: retries exhausted, a refused key, or still queued when close() gave up
    dropped: int  # not queued at all because the queue was full
    retries: int  # requests sent again after a retryable answer or a network error


@dataclass(frozen=True)
class _Queued:
    event_id: str
    body: bytes
    enqueued_at: float


@dataclass
class _Outcome:
    """What became of a batch: counts, and the error a synchronous caller should see."""

    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    retries: int = 0
    errors: list[FootfallError] = field(default_factory=list)

    def add(self, other: _Outcome) -> None:
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.failed += other.failed
        self.retries += other.retries
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class _Answer:
    status: int
    retry_after: float | None
    body: dict[str, object]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Return the seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _answer(status: int, retry_after: str | None, raw: bytes) -> _Answer:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        body = {}
    return _Answer(status, parse_retry_after(retry_after), body if isinstance(body, dict) else {})


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _error_fields(body: Mapping[str, object]) -> tuple[str | None, str]:
    error = body.get("error")
    if isinstance(error, dict):
        return _text_or_none(error.get("code")), str(error.get("message", ""))
    return None, ""


def _reset_in_child(reference: weakref.ref[Client]) -> None:
    client = reference()
    if client is not None:
        client._forget_parent_state()


class Client:
    """Send events to Footfall's server-side ingest; see the package README for the policies.

    Events are validated in track() and sent from a background thread in batches of up to
    `batch_size`, at the latest `flush_interval` seconds after they were tracked, on flush(),
    close() and at interpreter exit. With `sync=True` track() sends the event itself and raises
    when Footfall does not take it.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        domain: str | None = None,
        sync: bool = False,
        batch_size: int = 100,
        flush_interval: float = 5.0,
        max_queue_size: int = 10_000,
        max_retries: int = 8,
        retry_backoff: float = 0.5,
        max_retry_wait: float = 120.0,
        timeout: float = 10.0,
        shutdown_timeout: float = 10.0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        events.check_url(base_url, "base_url")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("api_key must be a non-empty string (a key with the events:write scope)")
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        for name, value in (("flush_interval", flush_interval), ("timeout", timeout)):
            if value <= 0:
                raise ValueError(f"{name} must be positive")
        if max_queue_size < 1 or max_retries < 0 or retry_backoff < 0 or max_retry_wait < 0 or shutdown_timeout < 0:
            raise ValueError("max_queue_size must be at least 1; retry and shutdown settings must not be negative")
        if max_body_bytes < 64 * 1024:
            raise ValueError("max_body_bytes must be at least 65536 (one event can take that much)")
        self.endpoint = base_url.rstrip("/") + "/api/events"
        self.domain = events.check_domain(domain) if domain is not None else None
        self.sync = sync
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue_size = max_queue_size
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.max_retry_wait = max_retry_wait
        self.timeout = timeout
        self.shutdown_timeout = shutdown_timeout
        self.max_body_bytes = max_body_bytes
        self._headers = {
            "Authorization": f"Bearer {api_key.strip()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"footfall-client/{VERSION} (Python)",
        }
        self._opener = urllib.request.build_opener()
        self._init_state()
        self._closed = False
        if not sync:
            atexit.register(self.close)
            os.register_at_fork(after_in_child=functools.partial(_reset_in_child, weakref.ref(self)))

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._queue: deque[_Queued] = deque()
        self._thread: threading.Thread | None = None
        self._abort = threading.Event()
        self._enqueued = 0  # events ever queued; with _handled it tells flush() when it is done
        self._handled = 0
        self._flush_target = 0
        self._dropping = False
        self._counts = {"accepted": 0, "rejected": 0, "failed": 0, "dropped": 0, "retries": 0}

    def _forget_parent_state(self) -> None:
        # In a forked child the parent's thread does not exist and its queue is the parent's to
        # send: start empty, with fresh locks (the parent's may have been held at the fork).
        self._init_state()

    # --- the public API ------------------------------------------------------------------------

    def track(
        self,
        name: str,
        url: str,
        *,
        domain: str | None = None,
        referrer: str | None = None,
        props: Mapping[str, str | int | float | bool] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        timestamp: Timestamp | None = None,
        id: str | uuid.UUID | None = None,
    ) -> str:
        """Record one event and return its id; raise TypeError or ValueError if Footfall would reject it.

        `domain` defaults to the client's; `ip` and `user_agent` are the visitor's (without them
        Footfall counts the sending server as the visitor); `timestamp` (an aware datetime or Unix
        seconds) defaults to the time Footfall receives the event; `id` (a UUID) makes sending the
        same event twice count once, and is generated when not given.
        """
        event = events.build_event(
            domain=domain if domain is not None else self._default_domain(),
            name=name,
            url=url,
            referrer=referrer,
            props=props,
            ip=ip,
            user_agent=user_agent,
            timestamp=timestamp,
            event_id=id,
        )
        body = events.encode(event)
        if len(body) + len(BODY_OPEN) + len(BODY_CLOSE) > self.max_body_bytes:
            raise ValueError(f"the event takes {len(body)} bytes, more than a request may hold")
        item = _Queued(str(event["id"]), body, time.monotonic())
        if self.sync:
            self._send_now(item)
        else:
            self._enqueue(item)
        return item.event_id

    def pageview(
        self,
        url: str,
        *,
        domain: str | None = None,
        referrer: str | None = None,
        props: Mapping[str, str | int | float | bool] | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        timestamp: Timestamp | None = None,
        id: str | uuid.UUID | None = None,
    ) -> str:
        """Record a page view of `url` (an event named "pageview"); see track()."""
        return self.track(
            "pageview",
            url,
            domain=domain,
            referrer=referrer,
            props=props,
            ip=ip,
            user_agent=user_agent,
            timestamp=timestamp,
            id=id,
        )

    def flush(self, timeout: float | None = None) -> bool:
        """Send every event tracked so far now; return True once all are handled, False on timeout.

        Handled means accepted, rejected or given up (see stats); flush() does not raise.
        """
        if self.sync:
            return True
        with self._wakeup:
            target = self._enqueued
            self._flush_target = max(self._flush_target, target)
            self._wakeup.notify_all()
            return self._wakeup.wait_for(lambda: self._handled >= target, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Send what is queued (waiting at most `timeout`, else shutdown_timeout seconds) and stop.

        Events still unsent then are counted as failed and logged. track() raises after close().
        """
        wait = self.shutdown_timeout if timeout is None else timeout
        with self._wakeup:
            if self._closed:
                return
            self._closed = True
            self._wakeup.notify_all()
            thread = self._thread
        atexit.unregister(self.close)
        if thread is None:
            return
        thread.join(wait)
        if not thread.is_alive():
            return
        self._abort.set()
        with self._wakeup:
            self._give_up_queue()
        # Long enough for a sender woken from a retry wait to record its batch as failed.
        thread.join(0.5)
        in_flight = self.stats.queued
        if in_flight:
            logger.error("Footfall client closed while %d events were still being sent", in_flight)

    @property
    def stats(self) -> ClientStats:
        """Return a snapshot of the counters."""
        with self._lock:
            return ClientStats(queued=self._enqueued - self._handled, **self._counts)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- queueing --------------------------------------------------------------------------------

    def _default_domain(self) -> str:
        if self.domain is None:
            raise ValueError("no domain: pass domain= to Client() or to this call (the site as registered in Footfall)")
        return self.domain

    def _enqueue(self, item: _Queued) -> None:
        with self._wakeup:
            if self._closed:
                raise RuntimeError("the Footfall client is closed")
            if len(self._queue) >= self.max_queue_size:
                self._drop()
                return
            self._dropping = False
            self._queue.append(item)
            self._enqueued += 1
            self._start_sender()
            if len(self._queue) >= self.batch_size:
                self._wakeup.notify_all()

    def _drop(self) -> None:
        """Count the new event as dropped: the oldest are kept, as they are nearest to being sent."""
        self._counts["dropped"] += 1
        if not self._dropping:
            self._dropping = True
            logger.warning(
                "Footfall client queue is full (%d events): dropping new events (%d dropped so far)",
                self.max_queue_size,
                self._counts["dropped"],
            )

    def _start_sender(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="footfall-client-sender", daemon=True)
            self._thread.start()

    def _batch_due(self) -> bool:
        return (
            len(self._queue) >= self.batch_size
            or self._closed
            or self._flush_target > self._handled
            or time.monotonic() - self._queue[0].enqueued_at >= self.flush_interval
        )

    def _next_batch(self) -> list[_Queued] | None:
        """Wait until a batch is due and take it; return None when closed and nothing is left."""
        with self._wakeup:
            while True:
                if self._abort.is_set():
                    self._give_up_queue()
                    return None
                if self._queue and self._batch_due():
                    return [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
                if not self._queue and self._closed:
                    return None
                timeout = None
                if self._queue:
                    timeout = max(0.0, self._queue[0].enqueued_at + self.flush_interval - time.monotonic())
                self._wakeup.wait(timeout)

    def _give_up_queue(self) -> None:
        lost = len(self._queue)
        self._queue.clear()
        self._counts["failed"] += lost
        self._handled += lost
        self._wakeup.notify_all()
        if lost:
            logger.error("Footfall client stopped with %d events unsent", lost)

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                outcome = self._deliver(batch)
            except Exception:  # a bug here must not stop the thread and silently lose every later event
                logger.exception("Footfall client failed to send %d events", len(batch))
                outcome = _Outcome(failed=len(batch))
            self._record(outcome, len(batch))

    def _record(self, outcome: _Outcome, handled: int) -> None:
        with self._wakeup:
            for name in ("accepted", "rejected", "failed", "retries"):
                self._counts[name] += getattr(outcome, name)
            self._handled += handled
            self._wakeup.notify_all()

    def _send_now(self, item: _Queued) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the Footfall client is closed")
            self._enqueued += 1
        outcome = self._deliver([item])
        self._record(outcome, 1)
        if outcome.errors:
            raise outcome.errors[0]

    # --- sending ---------------------------------------------------------------------------------

    def _deliver(self, batch: list[_Queued]) -> _Outcome:
        """Send the batch in as many requests as the body limit needs."""
        outcome = _Outcome()
        for chunk in self._chunks(batch):
            outcome.add(self._send_chunk(chunk))
        return outcome

    def _chunks(self, batch: list[_Queued]) -> list[list[_Queued]]:
        chunks: list[list[_Queued]] = [[]]
        size = len(BODY_OPEN) + len(BODY_CLOSE)
        for item in batch:
            extra = len(item.body) + 1  # the comma
            if chunks[-1] and size + extra > self.max_body_bytes:
                chunks.append([])
                size = len(BODY_OPEN) + len(BODY_CLOSE)
            chunks[-1].append(item)
            size += extra
        return chunks

    def _send_chunk(self, chunk: list[_Queued]) -> _Outcome:
        """Post the events, retrying what may succeed later; return what became of them."""
        body = BODY_OPEN + b",".join(item.body for item in chunk) + BODY_CLOSE
        retries = 0
        while True:
            try:
                answer = self._post(body)
            except NETWORK_ERRORS as exc:
                problem, retry_after = f"{type(exc).__name__}: {exc}", None
            else:
                if answer.status not in RETRYABLE_STATUSES:
                    outcome = self._settle(chunk, answer)
                    outcome.retries += retries
                    return outcome
                code, _ = _error_fields(answer.body)
                problem, retry_after = f"HTTP {answer.status} {code or ''}".strip(), answer.retry_after
            if retries >= self.max_retries or self._abort.is_set():
                return self._fail(chunk, f"gave up after {retries + 1} attempts ({problem})", retries)
            delay = self._retry_delay(retries, retry_after)
            logger.warning(
                "Footfall did not take %d events (%s; Retry-After %s); retrying in %.1f s",
                len(chunk),
                problem,
                "none" if retry_after is None else f"{retry_after:g} s",
                delay,
            )
            retries += 1
            if self._abort.wait(delay):
                return self._fail(chunk, f"stopped while waiting to retry ({problem})", retries)

    def _retry_delay(self, retries: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_wait)
        backoff = min(self.retry_backoff * 2**retries, 30.0)
        return min(random.uniform(backoff / 2, backoff), self.max_retry_wait)

    def _post(self, body: bytes) -> _Answer:
        # The scheme is checked to be http(s) in __init__.
        request = urllib.request.Request(self.endpoint, data=body, headers=self._headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _answer(response.status, response.headers.get("Retry-After"), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return _answer(error.code, error.headers.get("Retry-After"), error.read())

    def _settle(self, chunk: list[_Queued], answer: _Answer) -> _Outcome:
        """Turn a final answer (not to be retried) into counts and errors."""
        if answer.status == 413 and len(chunk) > 1:
            # The server's body limit is lower than ours: halve until the parts fit.
            middle = len(chunk) // 2
            outcome = self._send_chunk(chunk[:middle])
            outcome.add(self._send_chunk(chunk[middle:]))
            return outcome
        if answer.status in (202, 400) and "accepted" in answer.body:
            return self._per_event(chunk, answer.body)
        code, message = _error_fields(answer.body)
        if answer.status == 400:
            return self._reject_all(chunk, code, message)
        reason = f"HTTP {answer.status} {code or ''}: {message}"
        return self._fail(chunk, reason, 0, status=answer.status, code=code)

    def _per_event(self, chunk: list[_Queued], body: Mapping[str, object]) -> _Outcome:
        outcome = _Outcome()
        rejections = body.get("rejected")
        for rejection in rejections if isinstance(rejections, list) else []:
            index = rejection.get("index") if isinstance(rejection, dict) else None
            if not isinstance(index, int) or not 0 <= index < len(chunk):
                continue
            error = EventRejected(
                f"Footfall rejected event {chunk[index].event_id}: {rejection.get('message')}",
                event_id=chunk[index].event_id,
                code=_text_or_none(rejection.get("code")),
                field=_text_or_none(rejection.get("field")),
            )
            logger.warning("%s (code %s, field %s)", error, error.code, error.field)
            outcome.errors.append(error)
        outcome.rejected = len(outcome.errors)
        outcome.accepted = len(chunk) - outcome.rejected
        return outcome

    def _reject_all(self, chunk: list[_Queued], code: str | None, message: str) -> _Outcome:
        error = EventRejected(
            f"Footfall rejected {len(chunk)} events: {message}", event_id=chunk[0].event_id, code=code, field=None
        )
        logger.error("%s (code %s)", error, code)
        return _Outcome(rejected=len(chunk), errors=[error])

    def _fail(
        self, chunk: list[_Queued], reason: str, retries: int, *, status: int | None = None, code: str | None = None
    ) -> _Outcome:
        error = DeliveryError(f"Footfall client could not send {len(chunk)} events: {reason}", status=status, code=code)
        logger.error("%s", error)
        return _Outcome(failed=len(chunk), retries=retries, errors=[error])
