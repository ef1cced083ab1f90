"""Who owns what: sites, their members (owners manage, viewers read), API keys and share links.

Every collected row (tracker's events, sessions, rollups, archive files) belongs to a Site; who may
see or change a site is answered by sites/selectors.py alone.
"""

from __future__ import annotations

import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}.")


# A host name as sites are stored: lower-case labels of letters, digits, "_" and "-" (not at either
# end), joined by dots. It becomes a URL path segment and a file name, so nothing else may pass.
_LABEL = r"\w(?:[\w-]{0,61}\w)?"
DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\Z")


def normalise_domain(domain: str) -> str:
    """Return the form sites are stored under: lower case, trimmed, without "www."."""
    return domain.strip().lower().rstrip(".").removeprefix("www.")


def validate_domain(value: str) -> None:
    if not DOMAIN.match(value) or value != value.lower():
        raise ValidationError(
            f"{value!r} is not a domain: use lower-case letters, digits, '-' and dots, e.g. blog.example."
        )


class Site(models.Model):
    domain = models.CharField(
        max_length=253, unique=True, validators=[validate_domain], help_text="As in data-domain, e.g. blog.example"
    )
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Delete raw events and sessions older than this; rollups stay. Empty: keep"
    )
    archive_retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Delete archive files older than this. Empty: ARCHIVE_RETENTION_DAYS"
    )
    created = models.DateTimeField(auto_now_add=True)
    long_lived_visitor_ids = models.BooleanField(
        default=False,
        help_text="Some of its visitor ids last longer than a day (µAnalytics' monthly tokens), so its "
        "multi-day visitor counts come from raw events, not rollups",
    )
    # What the site does not count (sites/exclusions.py): page paths (`*`, `**` wildcards), the hostnames it
    # counts alone when any are listed, and client address ranges (CIDR), checked before the address is
    # forgotten. Events they catch are dropped and counted by reason, as bots are.
    excluded_paths = models.JSONField(default=list, blank=True)
    allowed_hostnames = models.JSONField(default=list, blank=True)
    excluded_ip_ranges = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="membership_user_site_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.site} ({self.role})"


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        EVENTS_WRITE = "events:write", "Write events"
        STATS_READ = "stats:read", "Read stats"
        SITES_MANAGE = "sites:manage", "Manage sites"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Visible start of the key, to recognise it")
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole key; the key itself is never stored")
    scopes = models.JSONField(default=list)
    sites = models.ManyToManyField(Site, blank=True, related_name="api_keys", help_text="Empty: every site of the user")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ShareLink(models.Model):
    """A secret link that shows a site's dashboard to anyone who has it, read-only, without login."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"share link of {self.site_id}"


class Goal(models.Model):
    """A conversion a site counts: a page view of matching paths, or a custom event (with one property
    equal to a value, optionally). A query, not a tag written at ingest, so it applies to past data too
    (stats/goals.py matches it against events)."""

    class Type(models.TextChoices):
        EVENT = "event", "Custom event"
        PAGE = "page", "Page visit"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="goals")
    goal_type = models.CharField(max_length=5, choices=Type.choices)
    event_name = models.CharField(max_length=120, blank=True)
    # `*` stands for any characters but "/", `**` for any characters at all.
    page_path = models.CharField(max_length=2000, blank=True)
    prop_key = models.CharField(max_length=300, blank=True, help_text="With an event: the property that must match")
    prop_value = models.CharField(max_length=2000, blank=True)
    display_name = models.CharField(max_length=120)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "display_name"], name="goal_display_name_unique_per_site"),
            models.CheckConstraint(
                condition=models.Q(goal_type="event", page_path="") & ~models.Q(event_name="")
                | models.Q(goal_type="page", event_name="", prop_key="") & ~models.Q(page_path=""),
                name="goal_event_or_page",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def custom_props(self) -> dict[str, str]:
        return {self.prop_key: self.prop_value} if self.prop_key else {}


class Funnel(models.Model):
    """Goals a visit completes in order (other events may come between them), from 2 to 8 steps;
    stats/funnels.py counts the visitors reaching each step."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="funnels")
    name = models.CharField(max_length=120)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="funnel_name_unique_per_site")]

    def __str__(self) -> str:
        return self.name

    def goals(self) -> list[Goal]:
        """The steps' goals, in order."""
        return [step.goal for step in self.steps.select_related("goal").order_by("position")]


class FunnelStep(models.Model):
    funnel = models.ForeignKey(Funnel, on_delete=models.CASCADE, related_name="steps")
    # A goal in a funnel is not deleted alone: sites/goals.py removes the funnels that use it with it.
    goal = models.ForeignKey(Goal, on_delete=models.RESTRICT, related_name="funnel_steps")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["funnel", "position"]
        constraints = [
            models.UniqueConstraint(fields=["funnel", "position"], name="funnel_step_position_unique"),
            models.UniqueConstraint(fields=["funnel", "goal"], name="funnel_step_goal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.funnel_id} step {self.position + 1}"


class Invitation(models.Model):
    """An owner's invitation to join a site with a role, sent by email as a link that carries a secret token.

    Only the token's SHA-256 is kept. The link works once (`used` is set in the same transaction that
    adds the membership), until `expires`, unless revoked (sites/invitations.py).
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    used = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.site_id} ({self.role})"
