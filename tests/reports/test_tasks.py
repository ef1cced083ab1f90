"""The beat tasks call the delivery runs; run eagerly here (and by a real worker on the production stack)."""

from __future__ import annotations

import pytest

from reports.models import Alert
from reports.tasks import send_alerts_task, send_reports_task
from tests.reports.traffic import MONDAY_MORNING, subscribed_site, subscriber

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
