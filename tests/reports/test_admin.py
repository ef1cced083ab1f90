"""The sent-log in Django admin: failed mails show with their error, and can be retried at the next run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from reports.delivery import MAX_ATTEMPTS, send_due_reports
from reports.models import SentMail
from tests.factories import UserFactory
from tests.reports.traffic import MONDAY_MORNING, subscribed_site, subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    admin: Any = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_a_given_up_mail_shows_its_error_and_is_sent_after_retry_now(smtp, admin_client_, monkeypatch):
    subscriber(subscribed_site())
    smtp.fail = True
    now = MONDAY_MORNING
    for _ in range(MAX_ATTEMPTS):
        send_due_reports(now)
        now += timedelta(hours=7)
    row = SentMail.objects.get()
    assert row.status == SentMail.Status.GAVE_UP
    listing = admin_client_.get("/admin/reports/sentmail/?status=gave_up")
    assert b"Failed, given up" in listing.content
    assert b"451" in admin_client_.get(f"/admin/reports/sentmail/{row.pk}/change/").content

    smtp.fail = False
    monkeypatch.setattr("django.utils.timezone.now", lambda: MONDAY_MORNING + timedelta(days=1))
    admin_client_.post("/admin/reports/sentmail/", {"action": "retry_now", "_selected_action": [row.pk]}, follow=True)
    assert send_due_reports(MONDAY_MORNING + timedelta(days=1, minutes=1)).sent == 1
    assert len(smtp.messages) == 1
