"""A real process killed while it sends a report (claimed, not sent) leaves the mail to a later run, which
sends it once; the embedded database and the production stack's PostgreSQL alike."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from reports import periods
from reports.delivery import STALE_CLAIM, send_report
from reports.models import SentMail
from tests.reports.traffic import subscribed_site, subscriber
from tests.worker import ROOT, ChildProcess, database_url, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def child_database_url() -> str:
    if connection.vendor == "postgresql":
        return database_url()
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(connection.settings_dict['NAME']).resolve()}"
    pytest.skip(f"no child process URL for {connection.vendor}")


def test_a_sender_killed_mid_send_is_resumed_once(smtp, tmp_path):
    site = subscribed_site()
    sub = subscriber(site, send_empty=True)  # the last week by the clock may have no traffic
    smtp.hold.set()
    sender = ChildProcess(tmp_path / "send.log")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "analytics_site.settings.base",
        "DATABASE_URL": child_database_url(),
        "EMAIL_URL": smtp.url,
        "REDIS_URL": "",
    }
    sender.spawn([sys.executable, "manage.py", "send_reports", "--site", site.domain], cwd=ROOT, env=env)
    try:
        assert wait_until(lambda: smtp.held == 1 or not sender.running, timeout=60)
        assert smtp.held == 1, sender.log_tail()
        assert SentMail.objects.get().status == SentMail.Status.CLAIMED
        sender.kill()
    finally:
        sender.stop()
    smtp.hold.clear()
    assert smtp.messages == []
    now = timezone.now()
    dates = periods.last_completed("week", now, site.timezone)
    # The claim is fresh: a run now leaves it alone, as its holder might be alive.
    assert send_report(sub, dates, now) is None
    # Once it is stale, the next run sends it; one more sends nothing.
    later = now + STALE_CLAIM + timedelta(seconds=1)
    assert send_report(sub, dates, later) == SentMail.Status.SENT
    assert send_report(sub, dates, later) is None
    assert [m["To"] for m in smtp.messages] == ["reader@example.com"]
    assert SentMail.objects.get().attempts == 2
