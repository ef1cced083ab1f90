"""manage.py send_reports: what is due (cron), or one site's report printed, to one address, or to its
subscribers once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reports.models import SentMail
from tests.reports.traffic import MONDAY_MORNING, subscribed_site, subscriber

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_reports", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_report_and_sends_nothing(smtp):
    subscribed_site()
    out = run("--site", "mail.example", "--period", "week", "--date", "2026-11-25", "--dry-run")
    assert out.startswith("Subject: Weekly report of mail.example: 23 Nov to 29 Nov 2026\n")
    assert "Visitors: 3 (+200%)" in out
    assert smtp.messages == []
    assert not SentMail.objects.exists()


def test_to_sends_one_report_without_an_unsubscribe_link(smtp):
    subscribed_site()
    out = run("--site", "mail.example", "--date", "2026-11-25", "--to", "someone@example.com")
    assert "to someone@example.com" in out
    [message] = smtp.messages
    assert message["To"] == "someone@example.com"
    assert message["List-Unsubscribe"] is None


def test_without_to_the_subscribers_get_it_once(smtp):
    site = subscribed_site()
    subscriber(site)
    assert "reader@example.com: sent." in run("--site", "mail.example", "--date", "2026-11-25")
    assert "sent before" in run("--site", "mail.example", "--date", "2026-11-25")
    assert len(smtp.messages) == 1


def test_without_site_it_sends_what_is_due(smtp, monkeypatch):
    site = subscribed_site()
    subscriber(site)
    monkeypatch.setattr("django.utils.timezone.now", lambda: MONDAY_MORNING)
    assert run() == "reports: 1 sent.\nalerts: none due.\n"
    assert run() == "reports: none due.\nalerts: none due.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--site", "nowhere.example"), "No site"),
        (("--site", "mail.example", "--date", "2026-13-01"), "not a date"),
        (("--to", "a@example.com"), "need --site"),
    ],
)
def test_bad_arguments_are_errors(args, message):
    subscribed_site()
    with pytest.raises(CommandError, match=message):
        run(*args)
