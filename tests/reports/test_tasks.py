"""The beat tasks call the delivery runs; run eagerly here (and by a real worker on the production stack)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from reports.models import Alert, SentMail
from reports.tasks import send_alerts_task, send_reports_task
from tests.factories import SiteFactory
from tests.reports.traffic import MONDAY_MORNING, subscribed_site, subscriber
from tests.tracker.events import hit
from tests.worker import WorkerProcess, wait_until
from tracker import pipeline

pytestmark = pytest.mark.django_db


def test_the_reports_task_sends_what_is_due_once(smtp, monkeypatch):
    subscriber(subscribed_site())
    monkeypatch.setattr("django.utils.timezone.now", lambda: MONDAY_MORNING)
    send_reports_task.delay()
    send_reports_task.delay()
    assert len(smtp.messages) == 1


def test_the_alerts_task_mails_a_firing_alert(smtp, monkeypatch):
    site = subscribed_site()
    Alert.objects.create(site=site, email="ops@example.com", kind="silence", threshold=6)
    monkeypatch.setattr("django.utils.timezone.now", lambda: MONDAY_MORNING)
    assert send_alerts_task.apply().get() == 1
    assert smtp.messages[0]["Subject"].startswith("No events from mail.example for ")


@pytest.mark.django_db(transaction=True)
def test_two_workers_each_with_its_own_beat_mail_a_firing_alert_once(
    postgres, stream_mode, settings, tmp_path, redis_url, smtp
):
    """The production stack: two real Celery workers, each running a beat that checks alerts twice a
    second, race for the same mail; the sent-log lets one send it."""
    site: Any = SiteFactory(domain="silent.example")
    pipeline.process_batch([hit(site, 1, timezone.now() - timedelta(hours=2), "/")])
    Alert.objects.create(site=site, email="ops@example.com", kind="silence", threshold=1, cooldown_hours=24)
    workers = []
    for n in range(2):
        workdir = tmp_path / f"worker{n}"
        workdir.mkdir()
        worker = WorkerProcess(redis_url=redis_url, stream=settings.BUFFER_STREAM, workdir=workdir)
        worker.env |= {"EMAIL_URL": smtp.url, "ALERTS_TICK_SECONDS": "0.5"}
        workers.append(worker)
    try:
        for worker in workers:
            worker.start()
        sent = SentMail.objects.filter(status=SentMail.Status.SENT)
        assert wait_until(sent.exists, timeout=90), workers[0].log_tail()
        # Both beats keep firing the task; the alert stays firing.
        assert wait_until(lambda: all(w.log_tail(400).count("send_alerts_task") >= 6 for w in workers), timeout=60)
    finally:
        for worker in workers:
            worker.stop()
    assert [m["To"] for m in smtp.messages] == ["ops@example.com"]
    assert SentMail.objects.count() == 1
