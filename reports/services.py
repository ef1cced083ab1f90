"""Changes to who gets mail: members subscribe themselves, owners add addresses of no user, anyone holding
a mail's link unsubscribes its recipient."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from reports.models import Alert, Subscription
from reports.unsubscribe import KINDS, Target
from sites.models import Site

# An address of no user gets at most this many alerts of one site.
MAX_ALERTS_PER_RECIPIENT = 20


class ReportError(ValueError):
    """A change that cannot be made; the message says why."""


def subscription_set(*, site: Site, user: User, period: str, subscribed: bool, send_empty: bool = False) -> None:
    """Subscribe the member to the site's weekly or monthly report, or end that subscription."""
    if period not in Subscription.Period.values:
        raise ReportError(f"Unknown period {period!r}.")
    if not subscribed:
        Subscription.objects.filter(site=site, user=user, period=period).delete()
        return
    Subscription.objects.update_or_create(site=site, user=user, period=period, defaults={"send_empty": send_empty})


def _address(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ReportError(f"{email!r} is not an email address.") from exc
    return email


def subscription_add_address(*, site: Site, email: str, period: str, send_empty: bool = False) -> Subscription:
    """Mail the site's report to an address that belongs to no user (an owner's choice)."""
    if period not in Subscription.Period.values:
        raise ReportError(f"Unknown period {period!r}.")
    try:
        with transaction.atomic():
            return Subscription.objects.create(site=site, email=_address(email), period=period, send_empty=send_empty)
    except IntegrityError as exc:
        raise ReportError(f"{email} already gets the {period}ly report.") from exc


def subscription_delete(*, site: Site, subscription_id: int, user: User | None = None) -> bool:
    """Delete one of the site's subscriptions (only the user's own, when a user is given)."""
    rows = Subscription.objects.filter(site=site, id=subscription_id)
    if user is not None:
        rows = rows.filter(user=user)
    return rows.delete()[0] > 0


def alert_create(
    *, site: Site, kind: str, threshold: int, cooldown_hours: int, user: User | None = None, email: str = ""
) -> Alert:
    """Mail the member (or, from an owner, an address of no user) when the site's traffic is unusual."""
    if kind not in Alert.Kind.values:
        raise ReportError(f"Unknown alert {kind!r}.")
    if threshold < 1 or cooldown_hours < 1:
        raise ReportError("The threshold and the cool-down are whole numbers from 1.")
    recipient: dict[str, object] = {"user": user} if user is not None else {"email": _address(email)}
    if Alert.objects.filter(site=site, **recipient).count() >= MAX_ALERTS_PER_RECIPIENT:
        raise ReportError(f"A recipient gets at most {MAX_ALERTS_PER_RECIPIENT} alerts of a site.")
    return Alert.objects.create(site=site, kind=kind, threshold=threshold, cooldown_hours=cooldown_hours, **recipient)


def alert_delete(*, site: Site, alert_id: int, user: User | None = None) -> bool:
    """Delete one of the site's alerts (only the user's own, when a user is given)."""
    rows = Alert.objects.filter(site=site, id=alert_id)
    if user is not None:
        rows = rows.filter(user=user)
    return rows.delete()[0] > 0


def unsubscribe(target: Target) -> bool:
    """End the subscription or alert a mail's link names; False if it had already ended."""
    return KINDS[target.kind].objects.filter(id=target.id).delete()[0] > 0
