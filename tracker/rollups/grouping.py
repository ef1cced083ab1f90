"""One local day of a site's events, read once and grouped by every rolled-up property (and within
each page by the properties an article breaks down by), with what each group adds up to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sites.models import Site
from stats import dimensions
from stats.dimensions import ENGAGEMENT, PAGEVIEW, PROPS_PREFIX, page_dimension, prop_text
from tracker.models import Event

SITE = ("", "")  # the group of every event: the whole site
GroupKey = tuple[str, str]  # (dimension, value)
EVENT_COLUMNS = ("timestamp", "name", "visitor_hash", "session_id", "engaged_ms", "scroll_depth", "props")


@dataclass
class Group:
    """What one day's events of one group (property value) add up to."""

    visitors: set[int] = field(default_factory=set)
    sessions: set[int] = field(default_factory=set)
    pageviews: int = 0
    events: int = 0
    engaged_ms: int = 0
    scroll_sum: int = 0
    scroll_count: int = 0

    def add(self, name: str, visitor: int, session: int, engaged_ms: int | None, scroll: int | None) -> None:
        self.visitors.add(visitor)
        self.sessions.add(session)
        if name == PAGEVIEW:
            self.pageviews += 1
        if name != ENGAGEMENT:
            self.events += 1
        self.engaged_ms += engaged_ms or 0
        if scroll is not None and name == ENGAGEMENT:
            self.scroll_sum += scroll
            self.scroll_count += 1


@dataclass
class Day:
    """One local day of a site, grouped; kept for the next day's carried counts."""

    groups: dict[GroupKey, Group]
    hours: dict[int, Group]
    bounce: dict[int, bool]  # session id -> is it a bounce
    duration: dict[int, int]  # session id -> seconds
    events: int
    # Dimensions within pages that had too few events that day for rows of their own.
    unrolled: frozenset[str] = frozenset()

    def rows(self) -> Iterator[tuple[GroupKey, Group]]:
        """The groups that get rows."""
        return ((key, group) for key, group in self.groups.items() if key[0] not in self.unrolled)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def _value_columns() -> list[str]:
    """The rolled-up properties' columns as a query of events reads them (a visit's through its session)."""
    return [f"session__{d.column}" if d.reads_session else d.column for d in dimensions.ROLLED]


def group_day(site: Site, day: date) -> Day:
    """Read one local day's events (with their visits) and group them by every property."""
    zone = ZoneInfo(site.timezone)
    start, end = day_bounds(day, zone)
    rows = (
        Event.objects.filter(site_id=site.id, timestamp__gte=start, timestamp__lt=end)
        .values_list(*EVENT_COLUMNS, *_value_columns(), "session__is_bounce", "session__duration")
        .iterator(chunk_size=5000)
    )
    groups: dict[GroupKey, Group] = defaultdict(Group)
    hours: dict[int, Group] = defaultdict(Group)
    bounce: dict[int, bool] = {}
    duration: dict[int, int] = {}
    names = [d.name for d in dimensions.ROLLED]
    page_at = names.index("event:page")
    in_page = [(names.index(name), name) for name in dimensions.WITHIN_PAGES]
    page_groups: dict[str, list[tuple[int, str]]] = {}  # path -> (value position, dimension within the page)
    count = 0
    for row in rows:
        count += 1
        moment, name, visitor, session, engaged, scroll, props = row[:7]
        values = row[7 : 7 + len(names)]
        bounce[session], duration[session] = row[-2], row[-1]
        counted = (name, visitor, session, engaged, scroll)
        groups[SITE].add(*counted)
        hours[moment.astimezone(zone).hour].add(*counted)
        for dimension, value in zip(names, values, strict=True):
            groups[dimension, value or ""].add(*counted)
        page = values[page_at] or ""
        if page not in page_groups:
            page_groups[page] = [(at, page_dimension(name, page)) for at, name in in_page]
        for at, dimension in page_groups[page]:
            groups[dimension, values[at] or ""].add(*counted)
        for key, prop in (props or {}).items():
            text = prop_text(prop)
            if text is not None:
                groups[PROPS_PREFIX + key, text].add(*counted)
    few = {page for page in page_groups if groups["event:page", page].events < dimensions.PAGE_ROLLUP_MIN_EVENTS}
    unrolled = frozenset(dimension for page in few for _, dimension in page_groups[page])
    return Day(groups, hours, bounce, duration, count, unrolled)
