"""Who gets which mail about a site, and the log that makes each mail go out once.

A recipient is a member (mailed at their account's address, so a changed address follows) or, added by
an owner, an address that belongs to no user. Every mail names its row in its unsubscribe link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sites.models import Site


class Recipient(models.Model):
    """A member, or an address of no user; exactly one of the two."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    email = models.EmailField(blank=True, help_text="An address of no user (added by an owner)")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def address(self) -> str:
        """Where the mail goes: the member's current address, or the address given."""
        return self.user.email if self.user is not None else self.email


RECIPIENT = models.Q(user__isnull=False, email="") | models.Q(user__isnull=True) & ~models.Q(email="")


class Subscription(Recipient):
    """A report of the site, every week (on Monday) or every month (on the 1st), in the site's time zone."""

    class Period(models.TextChoices):
        WEEK = "week", "Weekly"
        MONTH = "month", "Monthly"

    period = models.CharField(max_length=5, choices=Period.choices)
    send_empty = models.BooleanField(default=False, help_text="Send a report for a period without visitors too")

    class Meta:
        ordering = ["site", "period", "id"]
        constraints = [
            models.CheckConstraint(condition=RECIPIENT, name="subscription_user_or_email"),
            models.UniqueConstraint(
                fields=["site", "user", "period"],
                condition=models.Q(user__isnull=False),
                name="subscription_user_unique",
            ),
            models.UniqueConstraint(
                fields=["site", "email", "period"],
                condition=models.Q(user__isnull=True),
                name="subscription_email_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} report of {self.site_id} to {self.address}"


class Alert(Recipient):
    """A mail when the site's traffic is unusual: more current visitors than the threshold (a spike), or no
    event for `threshold` hours (the snippet broke). At most one mail per cool-down."""

    class Kind(models.TextChoices):
        SPIKE = "spike", "More current visitors than"
        SILENCE = "silence", "No events for hours"

    kind = models.CharField(max_length=7, choices=Kind.choices)
    threshold = models.PositiveIntegerField(help_text="Visitors (spike) or hours (silence)")
    cooldown_hours = models.PositiveIntegerField(default=24)

    class Meta:
        ordering = ["site", "id"]
        constraints = [models.CheckConstraint(condition=RECIPIENT, name="alert_user_or_email")]

    def __str__(self) -> str:
        return f"{self.kind} alert of {self.site_id} to {self.address}"


class SentMail(models.Model):
    """One mail's delivery: claimed (unique per site, recipient, kind and period) before it is sent, marked
    sent after. A claim whose worker died, or a failed send, is taken over once it is stale or its backoff
    has passed; a sent mail is never sent again."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Sending"
        FAILED = "failed", "Failed, to be retried"
        GAVE_UP = "gave_up", "Failed, given up"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Nothing to report"

    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    recipient = models.CharField(max_length=254)
    kind = models.CharField(max_length=40, help_text="report:week, report:month or alert:<id>")
    period = models.CharField(max_length=40, help_text="The period's first day, or the alert's cool-down window")
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=1)
    retry_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "recipient", "kind", "period"], name="sent_mail_once"),
        ]
        indexes = [models.Index(fields=["site", "kind", "claimed_at"], name="sent_mail_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} to {self.recipient} ({self.status})"
