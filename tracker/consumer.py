"""The stream's long-running reader in each Celery worker: it blocks on the stream (XREADGROUP BLOCK) until
events arrive or BUFFER_BLOCK_SECONDS pass, so an idle worker makes a few Redis round trips every few
seconds instead of running a drain task every second, and events are stored as soon as they arrive.

Each batch goes through tracker.buffer.drain_stream, as before: claimed from dead workers, replayed if
unacknowledged, acknowledged only after its transaction committed, so every accepted event is stored
exactly once whatever happens to the process. The reader runs in a thread of the worker process that
never forks afterwards (analytics_site/celery.py starts it), with its own Redis and database connections.
"""

from __future__ import annotations

import logging
import threading

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from tracker import buffer, metrics
from tracker.connections import blocking_client

logger = logging.getLogger(__name__)

# After an error (Redis or the database unreachable), wait this long before reading again.
ERROR_PAUSE_SECONDS = 1.0


def read_once(client: redis.Redis, consumer: str) -> int:
    """Note this worker as alive, then store one batch, waiting up to BUFFER_BLOCK_SECONDS for one to arrive."""
    close_old_connections()  # like a request's start: a connection past CONN_MAX_AGE or broken is replaced
    metrics.worker_seen(consumer)
    block_ms = max(1, int(settings.BUFFER_BLOCK_SECONDS * 1000))
    return buffer.drain_stream(consumer=consumer, block_ms=block_ms, client=client)


def consume(stop: threading.Event, *, consumer: str | None = None) -> None:
    """Read the stream batch by batch until `stop` is set; the batch in hand is finished first."""
    consumer = consumer or buffer.consumer_name()
    client = blocking_client(settings.REDIS_URL, block_seconds=settings.BUFFER_BLOCK_SECONDS)
    logger.info("reading the event stream %s as %s", settings.BUFFER_STREAM, consumer)
    try:
        while not stop.is_set():
            try:
                read_once(client, consumer)
            except redis.RedisError as exc:
                logger.warning("Redis is unreachable; the stream will be read again shortly (%s)", exc)
                stop.wait(ERROR_PAUSE_SECONDS)
            except DatabaseError as exc:
                # The batch stays pending; this reader replays it once the database is back.
                logger.warning("the database is unreachable (%s); the stream will be drained later", exc)
                stop.wait(ERROR_PAUSE_SECONDS)
            except Exception:
                # Anything else is a bug; the reader must outlive it (the batch stays pending and is
                # replayed), and the traceback is logged in full.
                logger.exception("reading the event stream failed")
                stop.wait(ERROR_PAUSE_SECONDS)
    finally:
        client.close()
        connection.close()


class StreamReader:
    """A consume() thread that can be started and stopped (by the worker's start and shutdown)."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=consume, args=(self.stop_event,), name="footfall-stream", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the reader to stop and wait for the batch in hand (a batch cut short is replayed later)."""
        self.stop_event.set()
        self.thread.join(settings.BUFFER_BLOCK_SECONDS + 30 if timeout is None else timeout)
