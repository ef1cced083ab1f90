"""The import task: runs a queued upload, inline (eager, the embedded mode) or in a real Celery worker."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import pytest
from celery.exceptions import AlwaysEagerIgnored

from analytics_site.celery import app
from imports.models import Import, ImportUpload
from imports.services import import_create
from imports.tasks import import_run_task
from tests.imports.conftest import DATA
from tests.worker import WorkerProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _queued(site) -> Import:
    data = (DATA / "ga4_reports.zip").read_bytes()
    job, _ = import_create(site_id=site.id, format="ga4", file_name="ga4.zip", file=io.BytesIO(data), keep=True)
    return job


def test_the_task_imports_the_stored_upload(site):
    job = _queued(site)
    import_run_task.delay(job.id)
    job.refresh_from_db()
    assert job.status == Import.Status.DONE
    assert job.summary["imported"] == 17
    assert not ImportUpload.objects.exists()


@pytest.fixture
def worker(postgres, stream_mode, settings, tmp_path, redis_url) -> Iterator[WorkerProcess]:
    process = WorkerProcess(redis_url=redis_url, stream=settings.BUFFER_STREAM, workdir=tmp_path)
    yield process
    process.stop()


def test_a_real_worker_imports_a_queued_upload(site, worker):
    worker.start()
    # The worker purges its queue as it starts: send once it is ready.
    assert wait_until(lambda: " ready." in worker.log_tail(), timeout=60), worker.log_tail()
    job = _queued(site)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlwaysEagerIgnored)
        app.send_task(import_run_task.name, args=[job.id])  # through the broker, whatever the tests' eager setting
    assert wait_until(lambda: Import.objects.get(id=job.id).status == "done", timeout=60), worker.log_tail()
    assert Import.objects.get(id=job.id).stats.count() > 0
    assert not ImportUpload.objects.exists()
