"""Sending each mail once: claim its row in the sent-log (unique per site, recipient, kind and period)
before sending, mark it sent after.

A second beat, or a second worker, finds the row claimed and sends nothing. A worker that dies between
claim and send leaves the row claimed: once the claim is STALE_CLAIM old, the next run takes it over and
sends. A send that fails is retried with a growing backoff, up to MAX_ATTEMPTS; the admin lists every row
with its status and error. The window in which a mail can go twice is the few milliseconds between the
SMTP server's acceptance and the row's update; a repeat carries the same Message-ID, which mail clients
merge.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.mime.image import MIMEImage
from typing import TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse

from reports import alerts, periods
from reports.content import ReportContent, report_content
from reports.models import Alert, SentMail, Subscription
from reports.render import CHART_CID, render_report
from reports.unsubscribe import absolute, unsubscribe_url
from sites.models import Site
from stats import DateRange

logger = logging.getLogger(__name__)

# A claim this old belongs to a worker that died; the next run sends the mail.
STALE_CLAIM = timedelta(minutes=15)
MAX_ATTEMPTS = 6
FIRST_BACKOFF = timedelta(minutes=5)
Status = SentMail.Status
RowType = TypeVar("RowType", Subscription, Alert)
# A run's reports counted so far, by site, period and dates: each is counted once, whoever it goes to.
Counted = dict[tuple[int, str, DateRange], ReportContent]


def backoff(attempts: int) -> timedelta:
    """How long after the n-th failed attempt the next one is made: 5 min, 10, 20, ... at most 6 hours."""
    return min(FIRST_BACKOFF * 2 ** (attempts - 1), timedelta(hours=6))


def claim(*, site: Site, recipient: str, kind: str, period: str, now: datetime) -> SentMail | None:
    """Claim the mail for this run; None when it was sent, or another run holds it or waits to retry it."""
    key = {"site": site, "recipient": recipient.lower(), "kind": kind, "period": period}
    try:
        with transaction.atomic():
            return SentMail.objects.create(**key, claimed_at=now)
    except IntegrityError:
        pass
    # A conditional update: of two runs taking over the same row, one updates it and the other finds it
    # claimed afresh.
    takeover = Q(status=Status.CLAIMED, claimed_at__lt=now - STALE_CLAIM) | Q(status=Status.FAILED, retry_at__lte=now)
    taken = SentMail.objects.filter(takeover, **key).update(
        status=Status.CLAIMED, claimed_at=now, attempts=F("attempts") + 1, retry_at=None
    )
    return SentMail.objects.get(**key) if taken else None


def _finish(row: SentMail, status: str, **fields: object) -> None:
    SentMail.objects.filter(pk=row.pk).update(status=status, **fields)


def deliver(row: SentMail, build: Callable[[], EmailMessage], now: datetime) -> str:
    """Build and send the claimed mail, and record how it went; return the row's new status."""
    try:
        build().send(fail_silently=False)
    except Exception as exc:
        failed = row.attempts >= MAX_ATTEMPTS
        status = Status.GAVE_UP if failed else Status.FAILED
        retry_at = None if failed else now + backoff(row.attempts)
        _finish(row, status, retry_at=retry_at, error=f"{type(exc).__name__}: {exc}"[:2000])
        logger.warning(
            "mail %s %s of site %s failed (attempt %s): %s", row.kind, row.period, row.site_id, row.attempts, exc
        )
        return status
    _finish(row, Status.SENT, sent_at=now, error="")
    return Status.SENT


def message_id(row_key: str) -> str:
    """The same Message-ID for every attempt at one mail, so a mail client shows a repeat once."""
    host = urlsplit(settings.PUBLIC_URL).hostname or "footfall"
    return f"<{hashlib.sha256(row_key.encode()).hexdigest()[:32]}@{host}>"


def _headers(unsubscribe: str | None, key: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to the link without opening it. A mail sent on
    request (`send_reports --to`) belongs to no subscription and has no such link."""
    headers = {"Message-ID": message_id(key), "Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers |= {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return headers


def dashboard_url(site: Site) -> str:
    return absolute(reverse("dashboard:site", args=[site.domain]))


def report_email(content: ReportContent, *, to: str, unsubscribe: str | None, key: str) -> EmailMultiAlternatives:
    """The report as a multipart/related mail: text and HTML alternatives, and the chart they show inline."""
    rendered = render_report(content, dashboard_url=dashboard_url(content.site), unsubscribe_url=unsubscribe)
    mail = EmailMultiAlternatives(rendered.subject, rendered.text, to=[to], headers=_headers(unsubscribe, key))
    mail.attach_alternative(rendered.html, "text/html")
    chart = MIMEImage(rendered.chart, "png")
    chart.add_header("Content-ID", f"<{CHART_CID}>")
    chart.add_header("Content-Disposition", "inline", filename="chart.png")
    mail.attach(chart)
    mail.mixed_subtype = "related"
    return mail


def alert_email(firing: alerts.Firing, *, to: str, unsubscribe: str, key: str) -> EmailMessage:
    site = firing.alert.site
    text = (
        f"{firing.text}\n\nThe dashboard: {dashboard_url(site)}\n\n"
        f"This address gets this alert of {site.domain}, at most once every "
        f"{firing.alert.cooldown_hours} hours.\nUnsubscribe: {unsubscribe}\n"
    )
    return EmailMessage(firing.subject, text, to=[to], headers=_headers(unsubscribe, key))


@dataclass
class Outcome:
    """What a run did, by status (sent, failed, skipped, ...), and how many mails it left to other runs."""

    statuses: dict[str, int] = field(default_factory=dict)
    not_claimed: int = 0

    def add(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def sent(self) -> int:
        return self.statuses.get(Status.SENT, 0)


def _report_key(sub: Subscription, dates: DateRange) -> tuple[str, str]:
    return f"report:{sub.period}", dates.first.isoformat()


def send_report(sub: Subscription, dates: DateRange, now: datetime, counted: Counted | None = None) -> str | None:
    """Send one subscription's report of these dates unless it went already; return the status or None."""
    kind, period = _report_key(sub, dates)
    row = claim(site=sub.site, recipient=sub.address, kind=kind, period=period, now=now)
    if row is None:
        return None
    counted = {} if counted is None else counted
    cache_key = (sub.site_id, sub.period, dates)
    if cache_key not in counted:
        counted[cache_key] = report_content(sub.site, sub.period, dates, periods.previous(sub.period, dates))
    content = counted[cache_key]
    if content.empty and not sub.send_empty:
        _finish(row, Status.SKIPPED)
        return Status.SKIPPED
    key = f"{sub.site_id}/{row.recipient}/{kind}/{period}"

    def build() -> EmailMessage:
        return report_email(content, to=sub.address, unsubscribe=unsubscribe_url(sub), key=key)

    return deliver(row, build, now)


def current(rows: QuerySet[RowType]) -> QuerySet[RowType]:
    """The rows of addresses of no user, and of active users who still see the site: its members, and
    superusers (someone removed from a site gets none of its mail, though their rows stay should they
    come back)."""
    member = Q(user__is_active=True) & (Q(user__is_superuser=True) | Q(user__memberships__site=F("site")))
    return rows.filter(Q(user__isnull=True) | member).select_related("site", "user").distinct()


def send_due_reports(now: datetime) -> Outcome:
    """Send every subscription's report that is due at `now` and has not gone yet."""
    outcome = Outcome()
    counted: Counted = {}
    for sub in current(Subscription.objects.all()):
        dates = periods.due(sub.period, now, sub.site.timezone)
        if dates is None or not sub.address:
            continue
        status = send_report(sub, dates, now, counted)
        if status is None:
            outcome.not_claimed += 1
        else:
            outcome.add(status)
    return outcome


def _cooling_down(alert: Alert, now: datetime) -> bool:
    """Whether the alert mailed its recipient within its cool-down (windows alone would allow two mails
    a moment apart, either side of a window's edge)."""
    since = now - timedelta(hours=alert.cooldown_hours)
    recent = SentMail.objects.filter(
        site_id=alert.site_id, kind=f"alert:{alert.id}", claimed_at__gt=since, status__in=[Status.SENT, Status.CLAIMED]
    )
    return recent.exists()


def send_alert(alert: Alert, now: datetime) -> str | None:
    """Mail the alert if it fires now and is not cooling down; return the status or None."""
    firing = alerts.check(alert, now)
    if firing is None or not alert.address or _cooling_down(alert, now):
        return None
    kind, period = f"alert:{alert.id}", alerts.cooldown_window(alert, now)
    row = claim(site=alert.site, recipient=alert.address, kind=kind, period=period, now=now)
    if row is None:
        return None
    key = f"{alert.site_id}/{row.recipient}/{kind}/{period}"
    return deliver(row, lambda: alert_email(firing, to=alert.address, unsubscribe=unsubscribe_url(alert), key=key), now)


def send_due_alerts(now: datetime) -> Outcome:
    """Check every alert and mail those that fire."""
    outcome = Outcome()
    for alert in current(Alert.objects.all()):
        status = send_alert(alert, now)
        if status is not None:
            outcome.add(status)
    return outcome
