"""Rollups gained rows within pages (tracker.rollups.PAGE_DIMENSIONS): mark every rolled-up day
dirty, so the next rollup run computes them; until then the stats layer counts a page's
breakdowns over those days from raw events."""

from datetime import timedelta

from django.db import migrations
from django.db.models import Min


def mark_rolled_days_dirty(apps, schema_editor):
    RollupState = apps.get_model("tracker", "RollupState")
    Rollup = apps.get_model("tracker", "Rollup")
    RollupDirty = apps.get_model("tracker", "RollupDirty")
    for state in RollupState.objects.all():
        first = Rollup.objects.filter(site_id=state.site_id, period="day").aggregate(first=Min("day"))["first"]
        if first is None:
            continue
        days = (first + timedelta(days=n) for n in range((state.rolled_until - first).days))
        RollupDirty.objects.bulk_create(
            [RollupDirty(site_id=state.site_id, period="day", day=day) for day in days],
            ignore_conflicts=True,
            batch_size=1000,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0007_rollup_dirty_months"),
    ]

    operations = [migrations.RunPython(mark_rolled_days_dirty, migrations.RunPython.noop)]
