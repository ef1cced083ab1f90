"""The collected data and the write side's bookkeeping: events, sessions, salts, the spool, rollups and
their fill state, the archive's cursor and manifest. Each row belongs to a sites.Site."""

from __future__ import annotations

from django.db import models

from sites.models import Site


class Session(models.Model):
    """One visit: events of one visitor on one site with no gap over 30 minutes."""

    # No index of its own: session_site_started leads with the site, and each index costs every row written.
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    visitor_hash = models.BigIntegerField()
    started = models.DateTimeField()
    last_seen = models.DateTimeField()
    hostname = models.CharField(max_length=253, blank=True)
    entry_path = models.CharField(max_length=2000, blank=True)
    exit_path = models.CharField(max_length=2000, blank=True)
    pageviews = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    duration = models.PositiveIntegerField(default=0, help_text="Seconds from first to last event")
    engaged_ms = models.BigIntegerField(default=0)
    is_bounce = models.BooleanField(default=True)
    referrer = models.CharField(max_length=253, blank=True)
    referrer_source = models.CharField(max_length=255, blank=True)
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, blank=True)
    browser = models.CharField(max_length=64, blank=True)
    os = models.CharField(max_length=64, blank=True)
    device_type = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["site", "started"], name="session_site_started"),
            models.Index(fields=["site", "visitor_hash", "last_seen"], name="session_site_visitor_seen"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} on {self.site_id}"


class Event(models.Model):
    """One enriched page view or custom event. Dimensions are denormalised for join-free reads."""

    uuid = models.UUIDField(unique=True)
    # No index of its own: event_site_timestamp leads with the site (lookups and cascades by site use it),
    # and each of a table's indexes costs every inserted event.
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+", null=True)
    name = models.CharField(max_length=120)
    timestamp = models.DateTimeField(help_text="Server time (UTC) when the event was received")
    hostname = models.CharField(max_length=253, blank=True)
    path = models.CharField(max_length=2000)
    url = models.CharField(max_length=2000, help_text="Without the query string")
    referrer = models.CharField(max_length=253, blank=True, help_text="Referring domain")
    referrer_source = models.CharField(max_length=255, blank=True)
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    props = models.JSONField(default=dict, blank=True)
    engaged_ms = models.PositiveIntegerField(null=True, blank=True)
    scroll_depth = models.PositiveSmallIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    browser = models.CharField(max_length=64, blank=True)
    browser_version = models.CharField(max_length=32, blank=True)
    os = models.CharField(max_length=64, blank=True)
    os_version = models.CharField(max_length=32, blank=True)
    device_type = models.CharField(max_length=16, blank=True)
    visitor_hash = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["site", "timestamp"], name="event_site_timestamp"),
            models.Index(fields=["site", "name", "timestamp"], name="event_site_name_timestamp"),
            # An article's dashboard reads one page's events over a period.
            models.Index(fields=["site", "path", "timestamp"], name="event_site_path_timestamp"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.path} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"


class Salt(models.Model):
    """The secret of one UTC day for visitor hashes; deleted after 48 hours so days cannot be linked."""

    day = models.DateField(unique=True)
    secret = models.BinaryField(max_length=32)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"salt for {self.day}"


class SpooledHit(models.Model):
    """An accepted hit waiting here because Redis was unreachable; drained into the pipeline later."""

    payload = models.BinaryField(help_text="The hit as JSON, already without the client address")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"spooled hit {self.pk}"


class DropCount(models.Model):
    """Accepted events the pipeline dropped, per site, UTC hour and reason (bots, duplicates), so an owner can
    tell events that do not arrive from events that arrive and are dropped."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(help_text="The UTC hour the events were received in")
    reason = models.CharField(max_length=20)
    events = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "hour", "reason"], name="dropcount_site_hour_reason")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.hour:%Y-%m-%d %H}h {self.reason}: {self.events}"


class Rollup(models.Model):
    """Counts of one site over one local hour, day or month, for the whole site or one property value.

    Sums add up over any set of rows. Distinct visitors and visits do not, so each row also
    keeps the `*_carried` part: those already counted in the same group on the day before
    (for a month row, on the last day of the month before). See tracker/rollups/.
    """

    class Period(models.TextChoices):
        HOUR = "hour", "Hour"
        DAY = "day", "Day"
        MONTH = "month", "Month"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    day = models.DateField(help_text="Local date in the site's time zone; a month's first day")
    hour = models.PositiveSmallIntegerField(default=0, help_text="Local wall-clock hour, for hour rows")
    dimension = models.CharField(max_length=200, blank=True, help_text="A stats property; empty for the whole site")
    value = models.CharField(max_length=2000, blank=True)
    visitors = models.BigIntegerField(default=0)
    visits = models.BigIntegerField(default=0)
    bounces = models.BigIntegerField(default=0)
    duration = models.BigIntegerField(default=0, help_text="Sum of the visits' durations, seconds")
    visitors_carried = models.BigIntegerField(default=0)
    visits_carried = models.BigIntegerField(default=0)
    bounces_carried = models.BigIntegerField(default=0)
    duration_carried = models.BigIntegerField(default=0)
    pageviews = models.BigIntegerField(default=0)
    events = models.BigIntegerField(default=0)
    engaged_ms = models.BigIntegerField(default=0)
    scroll_sum = models.BigIntegerField(default=0)
    scroll_count = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["site", "period", "dimension", "day"], name="rollup_site_period_dim_day")]

    def __str__(self) -> str:
        return f"{self.period} {self.day} {self.dimension or 'site'}={self.value}"


class RollupState(models.Model):
    """How far a site's rollups got: every local day before `rolled_until` is rolled up."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, primary_key=True, related_name="rollup_state")
    rolled_until = models.DateField()

    def __str__(self) -> str:
        return f"{self.site_id} rolled until {self.rolled_until}"


class RollupDirty(models.Model):
    """Rollup rows to recompute: a local day (new rows for it, or its visits changed), or a month
    whose day rows changed since its month rows were summed."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, default="day", choices=[("day", "Day"), ("month", "Month")])
    day = models.DateField(help_text="The day, or the month's first day")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "period", "day"], name="rollup_dirty_site_period_day")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.period} {self.day} to roll up"


class ArchiveCursor(models.Model):
    """How far a site's events are archived: every stored event with an id up to `last_event_id`."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, primary_key=True, related_name="archive_cursor")
    last_event_id = models.BigIntegerField(default=0)
    flushed = models.DateTimeField(help_text="When the last batch was written (or the cursor created)")

    def __str__(self) -> str:
        return f"{self.site_id} archived up to event {self.last_event_id}"


class ArchiveFile(models.Model):
    """The manifest: one .json.gz file in the archive storage and which of the site's events it holds."""

    class Kind(models.TextChoices):
        BATCH = "batch", "Batch"
        HOUR = "hour", "Hour"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=500, unique=True, help_text="Path in the archive storage")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    hour = models.DateTimeField(help_text="The UTC hour the events' timestamps fall in")
    events = models.PositiveIntegerField(help_text="Number of events (lines) in the file")
    first_event_id = models.BigIntegerField(help_text="Lowest database id among them when archived")
    last_event_id = models.BigIntegerField(help_text="Highest database id among them when archived")
    bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, help_text="Of the file's content")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["site", "kind", "hour"], name="archivefile_site_kind_hour")]

    def __str__(self) -> str:
        return self.name
