"""A site's rollup rows written: a day's hour and day rows from its grouped events, with what each
group carries over from the day before, and month rows summed from day rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from sites.models import Site
from stats.counts import DISTINCT, FIELDS
from tracker.models import Rollup, RollupDirty
from tracker.pipeline.storage import insert_rollups
from tracker.rollups.grouping import SITE, Day, Group, GroupKey

ROLLUP_LOCK = 0x526F6C6C  # "Roll": one writer of a site's rollup rows at a time (PostgreSQL)


def _row(site: Site, period: str, day: date, hour: int, key: GroupKey, group: Group, grouped: Day) -> Rollup:
    visits = group.sessions
    return Rollup(
        site_id=site.id,
        period=period,
        day=day,
        hour=hour,
        dimension=key[0],
        value=key[1][:2000],
        visitors=len(group.visitors),
        visits=len(visits),
        bounces=sum(grouped.bounce[s] for s in visits),
        duration=sum(grouped.duration[s] for s in visits),
        pageviews=group.pageviews,
        events=group.events,
        engaged_ms=group.engaged_ms,
        scroll_sum=group.scroll_sum,
        scroll_count=group.scroll_count,
    )


def _carry(row: Rollup, today: Group, yesterday: Group | None, grouped: Day) -> None:
    """Count what of today's group was already in the same group the day before."""
    if yesterday is None:
        return
    again = today.sessions & yesterday.sessions
    row.visitors_carried = len(today.visitors & yesterday.visitors)
    row.visits_carried = len(again)
    row.bounces_carried = sum(grouped.bounce[s] for s in again)
    row.duration_carried = sum(grouped.duration[s] for s in again)


def day_rows(site: Site, day: date, grouped: Day, before: Day) -> list[Rollup]:
    rows = []
    for key, group in grouped.rows():
        row = _row(site, Rollup.Period.DAY, day, 0, key, group, grouped)
        _carry(row, group, before.groups.get(key), grouped)
        rows.append(row)
    rows += [_row(site, Rollup.Period.HOUR, day, hour, SITE, group, grouped) for hour, group in grouped.hours.items()]
    return rows


def _lock_site_rollups(site: Site) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROLLUP_LOCK, site.id])


def roll_day(site: Site, day: date, grouped: Day, before: Day) -> None:
    """Replace the day's hour and day rows, and take the day off the dirty list, in one transaction."""
    with transaction.atomic():
        _lock_site_rollups(site)
        # Deleted first: a pipeline batch storing events of this day meanwhile waits for this
        # transaction and then marks the day dirty again, so its events are rolled up next run.
        RollupDirty.objects.filter(site=site, period=Rollup.Period.DAY, day=day).delete()
        Rollup.objects.filter(site=site, day=day, period__in=[Rollup.Period.HOUR, Rollup.Period.DAY]).delete()
        insert_rollups(day_rows(site, day, grouped, before))
        # Its month's rows are stale from now until summed again; the stats layer skips them meanwhile.
        RollupDirty.objects.bulk_create(
            [RollupDirty(site=site, period=Rollup.Period.MONTH, day=day.replace(day=1))], ignore_conflicts=True
        )


def roll_months(site: Site) -> None:
    """Recompute the month rows of the months whose day rows changed, from those day rows."""
    months = RollupDirty.objects.filter(site=site, period=Rollup.Period.MONTH).values_list("day", flat=True)
    for first in sorted(months):
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        later_days = Q(day__gt=first)
        sums: dict[str, Any] = {name: Coalesce(Sum(name), 0) for name in FIELDS}
        for name in DISTINCT:
            # Distinct over the month: a day's carried visitors were counted the day before.
            sums[name] = Coalesce(Sum(name), 0) - Coalesce(Sum(f"{name}_carried", filter=later_days), 0)
            sums[f"{name}_carried"] = Coalesce(Sum(f"{name}_carried", filter=Q(day=first)), 0)
        with transaction.atomic():
            _lock_site_rollups(site)
            days = Rollup.objects.filter(site=site, period=Rollup.Period.DAY, day__gte=first, day__lte=last)
            rows = [
                Rollup(site_id=site.id, period=Rollup.Period.MONTH, day=first, **values)
                for values in days.values("dimension", "value").annotate(**sums)
            ]
            Rollup.objects.filter(site=site, period=Rollup.Period.MONTH, day=first).delete()
            insert_rollups(rows)
            RollupDirty.objects.filter(site=site, period=Rollup.Period.MONTH, day=first).delete()
