"""The Celery application: configured from Django settings under the CELERY_ prefix.

Every worker also reads the event stream (tracker/consumer.py) in a thread of a process that does not
fork afterwards: its main process with the solo or threads pool, or else each prefork pool process,
started after the fork, so no process is forked while the reader holds a connection.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import worker_process_init, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "analytics_site.settings.local")

app = Celery("footfall")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The reader of this process, if it runs one: per process by nature, so module state.
_readers: list[Any] = []


def _start_reader() -> None:
    from django.conf import settings

    from tracker.consumer import StreamReader

    if not settings.REDIS_URL:
        return  # the embedded mode has no stream
    reader = StreamReader()
    reader.start()
    _readers.append(reader)


def _stop_readers() -> None:
    while _readers:
        _readers.pop().stop()


def _forks(worker: Any) -> bool:
    return "prefork" in getattr(worker.pool_cls, "__module__", "")


class StreamReaderStep(bootsteps.StartStopStep):
    """Start the stream reader with the worker (in its pool processes, for prefork) and stop it at shutdown."""

    # After the pool and an embedded beat (`worker --beat`) exist: both may fork the process.
    requires = ("celery.worker.components:Pool", "celery.worker.components:Beat")

    def start(self, worker: Any) -> None:
        if not _forks(worker):
            _start_reader()

    def stop(self, worker: Any) -> None:
        _stop_readers()


app.steps["worker"].add(StreamReaderStep)


@worker_process_init.connect
def _reader_in_pool_process(**kwargs: Any) -> None:
    _start_reader()


@worker_process_shutdown.connect
def _reader_stops_with_pool_process(**kwargs: Any) -> None:
    _stop_readers()
