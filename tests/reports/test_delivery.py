"""Reports and alerts reach a real SMTP server once each: content, parts, the inline chart, the headers;
a double beat, a worker killed after its claim and a failing relay send nothing twice and lose nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from reports import delivery
from reports.delivery import STALE_CLAIM, send_due_alerts, send_due_reports
from reports.models import Alert, SentMail, Subscription
from reports.render import CHART_CID
from reports.unsubscribe import read_token
from tests.factories import SiteFactory, UserFactory
from tests.reports.traffic import MONDAY_MORNING, subscribed_site, subscriber
from tests.tracker.events import hit
from tracker import pipeline

pytestmark = pytest.mark.django_db
Status = SentMail.Status


def parts(message) -> dict[str, Any]:
    """The text and HTML parts and the inline image of a received mail, by content type."""
    found: dict[str, Any] = {}
    for part in message.walk():
        if not part.is_multipart():
            found[part.get_content_type()] = part
    return found


def text_of(message) -> str:
    """The plain-text part, with the line ends SMTP gave it back as Python's."""
    return parts(message)["text/plain"].get_content().replace("\r\n", "\n")


def test_a_due_weekly_report_arrives_with_both_parts_the_chart_and_unsubscribe_headers(smtp, settings):
    settings.PUBLIC_URL = "https://stats.example.org"
    site = subscribed_site()
    subscriber(site)

    assert send_due_reports(MONDAY_MORNING).sent == 1

    [message] = smtp.messages
    assert message["To"] == "reader@example.com"
    assert message["Subject"] == "Weekly report of mail.example: 23 Nov to 29 Nov 2026"
    assert message.get_content_type() == "multipart/related"
    found = parts(message)
    text = text_of(message)
    html = found["text/html"].get_content()
    assert "Visitors: 3" in text
    assert "Pageviews: 4" in text
    assert "Top pages\n  /blog/x: 2\n" in text
    assert "Google: 1" in text
    assert "Signup: 1, 1, 33.3%" in text
    assert f'src="cid:{CHART_CID}"' in html
    assert "/blog/x" in html
    image = found["image/png"]
    assert image["Content-ID"] == f"<{CHART_CID}>"
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("https://stats.example.org/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read_token(unsubscribe.rsplit("/", 1)[1]).id == Subscription.objects.get().id
    assert unsubscribe in text
    assert SentMail.objects.get().status == Status.SENT


def test_the_change_is_against_the_week_before(smtp):
    site = subscribed_site()
    subscriber(site)
    send_due_reports(MONDAY_MORNING)
    # One visitor the week before, three now.
    assert "Visitors: 3 (+200%)" in text_of(smtp.messages[0])


def test_a_second_beat_sends_nothing_again(smtp):
    site = subscribed_site()
    subscriber(site)
    send_due_reports(MONDAY_MORNING)
    again = send_due_reports(MONDAY_MORNING + timedelta(hours=1))
    assert (again.sent, again.not_claimed) == (0, 1)
    assert len(smtp.messages) == 1


def test_nothing_is_due_between_sending_days(smtp):
    site = subscribed_site()
    subscriber(site)
    assert send_due_reports(MONDAY_MORNING + timedelta(days=3)).statuses == {}
    assert smtp.messages == []


def test_one_address_subscribed_twice_gets_one_mail(smtp):
    site = subscribed_site()
    sub = subscriber(site)
    Subscription.objects.create(site=site, email=sub.address, period="week")
    assert send_due_reports(MONDAY_MORNING).sent == 1
    assert len(smtp.messages) == 1


def test_no_mail_for_an_empty_period_unless_asked(smtp):
    site = subscribed_site(traffic=False)
    subscriber(site, "quiet")
    subscriber(site, "thorough", send_empty=True)
    outcome = send_due_reports(MONDAY_MORNING)
    assert outcome.statuses == {Status.SENT: 1, Status.SKIPPED: 1}
    [message] = smtp.messages
    assert message["To"] == "thorough@example.com"
    assert "Nobody visited mail.example in this period." in text_of(message)
    # A skipped period is decided once, not recounted every beat.
    assert send_due_reports(MONDAY_MORNING + timedelta(hours=1)).not_claimed == 2


class Killed(BaseException):
    """What a worker killed mid-send leaves: no code of ours runs after it."""


def test_a_worker_killed_after_its_claim_leaves_the_mail_to_a_later_run(smtp):
    site = subscribed_site()
    subscriber(site)
    with mock.patch.object(delivery, "report_email", side_effect=Killed), pytest.raises(Killed):
        send_due_reports(MONDAY_MORNING)
    assert SentMail.objects.get().status == Status.CLAIMED
    # The claim is fresh: another beat leaves it to its holder, which might still be alive.
    assert send_due_reports(MONDAY_MORNING + timedelta(minutes=5)).not_claimed == 1
    later = MONDAY_MORNING + STALE_CLAIM + timedelta(minutes=1)
    assert send_due_reports(later).sent == 1
    assert len(smtp.messages) == 1
    row = SentMail.objects.get()
    assert (row.status, row.attempts) == (Status.SENT, 2)


def test_a_refusing_relay_is_retried_with_backoff_and_shows_its_error(smtp):
    site = subscribed_site()
    subscriber(site)
    smtp.fail = True
    assert send_due_reports(MONDAY_MORNING).statuses == {Status.FAILED: 1}
    row = SentMail.objects.get()
    assert row.retry_at == MONDAY_MORNING + timedelta(minutes=5)
    assert "451" in row.error
    smtp.fail = False
    assert send_due_reports(MONDAY_MORNING + timedelta(minutes=4)).not_claimed == 1
    assert send_due_reports(MONDAY_MORNING + timedelta(minutes=6)).sent == 1
    assert len(smtp.messages) == 1
    assert SentMail.objects.get().error == ""


def test_a_relay_that_keeps_failing_is_given_up(smtp, monkeypatch):
    site = subscribed_site()
    subscriber(site)
    smtp.fail = True
    now = MONDAY_MORNING
    for _ in range(delivery.MAX_ATTEMPTS):
        send_due_reports(now)
        now += timedelta(hours=7)
    row = SentMail.objects.get()
    assert (row.status, row.attempts, row.retry_at) == (Status.GAVE_UP, delivery.MAX_ATTEMPTS, None)


def test_backoff_grows_and_is_capped():
    assert [delivery.backoff(n).total_seconds() / 60 for n in (1, 2, 3)] == [5, 10, 20]
    assert delivery.backoff(20) == timedelta(hours=6)


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_send_each_mail_once(smtp):
    site = subscribed_site()
    for n in range(4):
        subscriber(site, f"reader{n}")
    barrier = threading.Barrier(2)
    outcomes = []

    def beat() -> None:
        try:
            barrier.wait()
            outcomes.append(send_due_reports(MONDAY_MORNING))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(outcome.sent for outcome in outcomes) == 4
    assert sorted(m["To"] for m in smtp.messages) == [f"reader{n}@example.com" for n in range(4)]
    assert set(SentMail.objects.values_list("status", flat=True)) == {Status.SENT}


# --- alerts ------------------------------------------------------------------------------------------


def spiking_site(visitors: int = 3):
    site = SiteFactory(domain="busy.example")
    pipeline.process_batch([hit(site, n, MONDAY_MORNING - timedelta(minutes=1), "/") for n in range(visitors)])
    return site


def test_a_firing_alert_mails_once_per_cooldown(smtp):
    site = spiking_site()
    alert = Alert.objects.create(site=site, email="ops@example.com", kind="spike", threshold=2, cooldown_hours=6)
    assert send_due_alerts(MONDAY_MORNING).sent == 1
    [message] = smtp.messages
    assert message["Subject"] == "Traffic spike on busy.example: 3 current visitors"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert read_token(unsubscribe.rsplit("/", 1)[1]).id == alert.id
    # Still firing a minute later, and later across the window's edge (06:00 + 6 h): within the cool-down.
    assert send_due_alerts(MONDAY_MORNING + timedelta(minutes=1)).statuses == {}
    assert send_due_alerts(MONDAY_MORNING + timedelta(hours=5, minutes=59)).statuses == {}
    assert len(smtp.messages) == 1


def test_an_alert_mails_again_after_its_cooldown(smtp):
    site = spiking_site()
    Alert.objects.create(site=site, email="ops@example.com", kind="spike", threshold=2, cooldown_hours=1)
    send_due_alerts(MONDAY_MORNING)
    later = MONDAY_MORNING + timedelta(hours=1, minutes=1)
    pipeline.process_batch([hit(site, 100 + n, later - timedelta(minutes=1), "/") for n in range(3)])
    assert send_due_alerts(later).sent == 1
    assert len(smtp.messages) == 2


def test_an_alert_that_does_not_fire_mails_nothing(smtp):
    site = spiking_site(visitors=1)
    Alert.objects.create(site=site, email="ops@example.com", kind="spike", threshold=2)
    assert send_due_alerts(MONDAY_MORNING).statuses == {}
    assert smtp.messages == []


def test_a_member_removed_from_the_site_or_deactivated_gets_no_more_mail(smtp):
    site = subscribed_site()
    gone = subscriber(site, "gone")
    sleeping = subscriber(site, "sleeping")
    subscriber(site, "staying")
    Subscription.objects.create(site=site, email="team@example.com", period="week")
    gone_user: Any = gone.user
    sleeping_user: Any = sleeping.user
    gone_user.memberships.all().delete()
    sleeping_user.is_active = False
    sleeping_user.save()
    Alert.objects.create(site=site, user=gone_user, kind="silence", threshold=1)
    admin: Any = UserFactory(username="admin", email="admin@example.com", is_superuser=True)
    Subscription.objects.create(site=site, user=admin, period="week")
    assert send_due_reports(MONDAY_MORNING).sent == 3
    assert sorted(m["To"] for m in smtp.messages) == ["admin@example.com", "staying@example.com", "team@example.com"]
    assert send_due_alerts(MONDAY_MORNING).statuses == {}
