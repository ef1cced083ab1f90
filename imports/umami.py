"""Umami's CSV data export of its `website_event` table (one row per page view or custom event, with
session_id, visit_id, url_path, referrer_domain, browser, os, device, country, utm_*, event_type,
event_name and created_at in UTC; db/*/schema of umami-software/umami).

Events are counted into days of the site's time zone as Footfall counts its own: a visit belongs to the
day it began, its entry and exit pages are its first and last page views, it bounced with one page view,
and it lasted from its first event to its last. Visitors are distinct session ids of a day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO
from zoneinfo import ZoneInfo

from imports import values
from imports.models import Import
from imports.rows import FileError, Progress, RowError, Stat, Summary, Writer, csv_rows, size_of, text_value

REQUIRED = ("session_id", "visit_id", "url_path", "event_type", "created_at")
PAGEVIEW, CUSTOM_EVENT = "1", "2"
PROGRESS_EVERY = 5000


@dataclass
class _Visit:
    session: str
    first: datetime
    last: datetime
    properties: dict[str, str]
    pages: list[tuple[datetime, str]] = field(default_factory=list)


@dataclass
class _Group:
    """One (day, property, value)'s counts while the file is read."""

    sessions: set[str] = field(default_factory=set)
    visits: int = 0
    pageviews: int = 0
    bounces: int = 0
    duration: int = 0
    events: int = 0


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise RowError("bad_date", repr(text[:40])) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _visit_properties(row: dict[str, str], site_domain: str) -> dict[str, str]:
    referrer = values.referrer_domain(row.get("referrer_domain"))
    host = text_value(row.get("hostname")) or site_domain
    utm_source = text_value(row.get("utm_source"))
    source = values.source(utm_source) if utm_source else values.source_of_referrer(referrer, "", host)
    props = {
        "visit:source": source,
        "visit:referrer": "" if source == "" else referrer,
        "visit:country": values.country(row.get("country")),
        "visit:device": values.device(row.get("device")),
        "visit:browser": values.browser(row.get("browser")),
        "visit:os": values.system(row.get("os")),
    }
    for utm in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
        props[f"visit:{utm}"] = text_value(row.get(utm))
    return props


class _Counter:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.visits: dict[str, _Visit] = {}
        self.groups: dict[tuple[date, str, str], _Group] = defaultdict(_Group)

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def add(self, row: dict[str, str], site_domain: str) -> None:
        kind = row["event_type"].strip()
        if kind not in (PAGEVIEW, CUSTOM_EVENT):
            raise RowError("unknown_event_type", repr(kind[:10]))
        session, visit_id = text_value(row["session_id"]), text_value(row["visit_id"])
        if not session or not visit_id:
            raise RowError("missing_value", "no session_id or visit_id")
        moment = _moment(row["created_at"])
        path = text_value(row["url_path"]) or "/"
        name = text_value(row.get("event_name"))
        if kind == CUSTOM_EVENT and not name:
            raise RowError("missing_value", "a custom event without event_name")
        # Checked before anything is counted, so a skipped row leaves no trace.
        properties = _visit_properties(row, site_domain)
        visit = self.visits.get(visit_id)
        if visit is None:
            visit = self.visits[visit_id] = _Visit(session, moment, moment, properties)
        elif moment < visit.first:  # a file not in time order: the visit's properties are its first event's
            visit.properties = properties
        visit.first, visit.last = min(visit.first, moment), max(visit.last, moment)
        day = self.day(moment)
        if kind == PAGEVIEW:
            visit.pages.append((moment, path))
            group = self.groups[day, "event:page", path]
            group.pageviews += 1
        else:
            group = self.groups[day, "event:name", name]
            group.events += 1
        group.sessions.add(session)
        site = self.groups[day, "", ""]
        site.pageviews += kind == PAGEVIEW
        site.events += 1

    def close_visits(self) -> None:
        """Count each visit into its first day: totals, entry and exit pages, and its properties."""
        for visit in self.visits.values():
            pages = sorted(visit.pages)
            day = self.day(visit.first)
            bounced = len(pages) <= 1
            duration = int((visit.last - visit.first).total_seconds())
            keys = [("", ""), *visit.properties.items()]
            if pages:
                keys += [("visit:entry_page", pages[0][1]), ("visit:exit_page", pages[-1][1])]
            for dimension, value in keys:
                if dimension.startswith("visit:utm_") and not value:
                    continue
                group = self.groups[day, dimension, value]
                group.sessions.add(visit.session)
                group.visits += 1
                group.bounces += bounced
                group.duration += duration
                if dimension and dimension not in ("event:page", "event:name"):
                    group.pageviews += len(pages)
            page_visits = {path for _, path in pages}
            for path in page_visits:
                self.groups[day, "event:page", path].visits += 1

    def stats(self) -> list[Stat]:
        return [
            Stat(day, dimension, value, len(g.sessions), g.visits, g.pageviews, g.bounces, g.duration, g.events)
            for (day, dimension, value), g in self.groups.items()
        ]


def check(file: IO[bytes], name: str) -> str | None:
    """Why the file is no Umami website_event export (its header lacks Umami's columns), or None."""
    header = file.readline(64 * 1024).decode("utf-8-sig", errors="replace")
    file.seek(0)
    missing = [column for column in REQUIRED if column not in header.split(",")]
    return f"Not an Umami website_event export: no column(s) {', '.join(missing)}." if missing else None


def load(job: Import, file: IO[bytes], progress: Progress) -> Summary:
    """Import an Umami website_event CSV export."""
    summary, writer = Summary(), Writer(job)
    counter = _Counter(ZoneInfo(job.site.timezone))
    total = size_of(file)
    first = True
    for line, row in csv_rows(file, job.file_name, summary):
        if first:
            missing = [name for name in REQUIRED if name not in row]
            if missing:
                raise FileError(f"Not an Umami website_event export: no column(s) {', '.join(missing)}.")
            first = False
        try:
            counter.add(row, job.site.domain)
        except RowError as exc:
            summary.skip(exc.reason, f"{job.file_name}:{line}", exc.detail)
            continue
        summary.imported += 1
        if summary.read % PROGRESS_EVERY == 0:
            progress(file.tell(), total)
    progress(total, total)
    counter.close_visits()
    for stat in counter.stats():
        writer.add(stat)
    writer.flush()
    return summary
