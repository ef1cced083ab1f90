"""Imports and the daily aggregates they brought.

One table holds every imported dimension (as Rollup does), named by the stats layer's own property
names (`visit:source`, `event:page`; empty for the site's totals), instead of Plausible's ten
`imported_*` tables: the stats layer reads one table with one query shape whatever the property, a
new property needs no migration, and deleting an import is one cascade.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sites.models import Site

# The properties imports keep rows of (the `dimension` of ImportedStat; empty for the site's totals).
PROPERTIES = frozenset(
    {
        "event:page",
        "event:name",
        "visit:entry_page",
        "visit:exit_page",
        "visit:source",
        "visit:referrer",
        "visit:utm_source",
        "visit:utm_medium",
        "visit:utm_campaign",
        "visit:utm_term",
        "visit:utm_content",
        "visit:country",
        "visit:device",
        "visit:browser",
        "visit:os",
    }
)


class Import(models.Model):
    """One imported file. Its content hash makes re-importing the same file into the site a no-op."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="imports")
    format = models.CharField(max_length=32)
    file_name = models.CharField(max_length=255)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file, hex")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the file read")
    summary = models.JSONField(default=dict, blank=True, help_text="Rows read, imported and skipped by reason")
    error = models.TextField(blank=True, help_text="Why the file could not be imported at all")
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "content_hash"], name="import_site_content_hash")]
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.format} {self.file_name} ({self.status})"


class ImportUpload(models.Model):
    """An uploaded file waiting for its import to run: kept in the database, so a Celery worker on any
    machine reads it; deleted once the import ran."""

    job = models.OneToOneField(Import, on_delete=models.CASCADE, related_name="upload")
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"upload of import {self.job_id}"


class ImportedStat(models.Model):
    """Counts of one local day for the site's totals (empty dimension) or one value of one property.

    `visitors` and `visits` are the source tool's distinct counts of that day; over several days they are
    summed, so they are approximate there (a visitor on two days counts twice).
    """

    job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="stats")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    dimension = models.CharField(max_length=200, blank=True, help_text="A stats property; empty for the whole site")
    value = models.CharField(max_length=2000, blank=True)
    visitors = models.BigIntegerField(default=0)
    visits = models.BigIntegerField(default=0)
    pageviews = models.BigIntegerField(default=0)
    bounces = models.BigIntegerField(default=0)
    duration = models.BigIntegerField(default=0, help_text="Sum of the visits' durations, seconds")
    events = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["site", "dimension", "day"], name="imported_site_dim_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension or 'site'}={self.value}"
