"""Every stats property declared once, as data: where its value is read, whether rollups keep it, and
where the interfaces offer it. The query parser, the rollup writer, the count sources, the dashboard,
GraphQL and the µAnalytics API all read this table; nothing else lists properties.

An `event:` property is the value of each event; a `visit:` property is the value of the visit the
event belongs to (its source is where the visit came from, even for its later pages), read from the
visit's own column where sessions keep one. Custom properties are `event:props:<key>`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Event names with a meaning of their own: a page view, and the engagement report the snippet sends
# when a page is left (engaged time and scroll depth; not an event a person would count).
PAGEVIEW = "pageview"
ENGAGEMENT = "engagement"
PROPS_PREFIX = "event:props:"
# The goals an event completes (sites.models.Goal): a filter and a breakdown property of its own,
# matched when a query runs, so it has no column (see stats/goals.py).
GOAL = "event:goal"
# A custom property's key, as filters, breakdowns and goals may name it: letters, digits, spaces and
# _ - . : / @ # $ +.
PROP_KEY = re.compile(r"[\w .:/@#$+-]{1,300}\Z")
# A visit that came from no other site: no referrer, so no source.
DIRECT = "Direct / None"
# Rollups keep rows within a page (WITHIN_PAGES) only on days with at least this many events of the
# page: a long tail of pages read a few times a day would otherwise make more rows than events, and
# their raw events are few. Readers count such days from raw events.
PAGE_ROLLUP_MIN_EVENTS = 20


@dataclass(frozen=True)
class Dimension:
    name: str
    event_column: str  # the event's own value
    session_column: str | None = None  # the visit's value, where sessions keep one
    rolled: bool = True  # rollup rows per value, per day
    within_pages: bool = False  # rollup rows per value within each page (an article's breakdowns)
    label: str = ""
    # What a breakdown calls the empty value, and filters take for it (Plausible's "Direct / None").
    empty: str = ""

    @property
    def of_visit(self) -> bool:
        return self.name.startswith("visit:")

    @property
    def reads_session(self) -> bool:
        """Whether the value is the visit's, read from its session row."""
        return self.of_visit and self.session_column is not None

    @property
    def column(self) -> str:
        """The column the value is read from: the session's for a visit property that sessions keep."""
        return self.session_column if self.reads_session and self.session_column else self.event_column


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("event:page", "path", label="Page"),
    Dimension("event:name", "name", within_pages=True, label="Event"),
    Dimension("event:hostname", "hostname", "hostname", label="Hostname"),
    Dimension("visit:entry_page", "path", "entry_path", label="Entry page"),
    Dimension("visit:exit_page", "path", "exit_path", label="Exit page"),
    Dimension("visit:source", "referrer_source", "referrer_source", within_pages=True, label="Source", empty=DIRECT),
    Dimension("visit:referrer", "referrer", "referrer", within_pages=True, label="Referrer", empty=DIRECT),
    Dimension("visit:utm_source", "utm_source", "utm_source", label="UTM source"),
    Dimension("visit:utm_medium", "utm_medium", "utm_medium", label="UTM medium"),
    Dimension("visit:utm_campaign", "utm_campaign", "utm_campaign", label="UTM campaign"),
    Dimension("visit:utm_term", "utm_term", "utm_term", label="UTM term"),
    Dimension("visit:utm_content", "utm_content", "utm_content", label="UTM content"),
    Dimension("visit:country", "country", "country", within_pages=True, label="Country"),
    Dimension("visit:browser", "browser", "browser", label="Browser"),
    Dimension("visit:browser_version", "browser_version", label="Browser version"),
    Dimension("visit:os", "os", "os", label="Operating system"),
    Dimension("visit:os_version", "os_version", label="OS version"),
    Dimension("visit:device", "device_type", "device_type", within_pages=True, label="Device"),
    # The event's own value where the visit's (its first event's) is not what is asked for: the
    # µAnalytics API groups each analytic by its own country, platform and referrer.
    Dimension("event:country", "country", rolled=False, label="Country of the event"),
    Dimension("event:os", "os", rolled=False, label="Operating system of the event"),
    Dimension("event:referrer", "referrer", rolled=False, label="Referrer of the event"),
)
BY_NAME = {dimension.name: dimension for dimension in DIMENSIONS}
ROLLED = tuple(d for d in DIMENSIONS if d.rolled)
WITHIN_PAGES = tuple(d.name for d in DIMENSIONS if d.within_pages)
# A visit's dimensions: what a session copies from its first event, under the same column names.
VISIT_COLUMNS = tuple(
    dict.fromkeys(d.session_column for d in DIMENSIONS if d.session_column and d.session_column == d.event_column)
)


# Enough recent events to find the custom property keys in use without reading a year of them.
PROP_KEY_SAMPLE = 10_000


def ranked_prop_keys(counts: Mapping[str, int]) -> list[str]:
    """Custom property keys by how many sampled events carry them, most first; keys a query cannot name
    (outside PROP_KEY) are left out."""
    named = [key for key in counts if PROP_KEY.match(key)]
    return sorted(named, key=lambda key: (-counts[key], key))


def prop_key(name: str) -> str | None:
    """Return the custom property's key of an `event:props:<key>` name, else None."""
    return name.removeprefix(PROPS_PREFIX) if name.startswith(PROPS_PREFIX) else None


def page_dimension(name: str, page: str) -> str:
    """The rollup dimension of a property's values within one page.

    The page is named by a digest: a path may be 2,000 characters long, and the dimension is indexed.
    """
    return f"{name}@{hashlib.blake2b(page.encode(), digest_size=12).hexdigest()}"


def prop_text(value: Any) -> str | None:
    """A custom property's value as text, as PostgreSQL's `props->>key` gives it (None for JSON null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def shown(name: str, value: str) -> str:
    """The value as answers show it: an empty source or referrer is "Direct / None"."""
    dimension = BY_NAME.get(name)
    return dimension.empty if dimension and not value else value


def stored(name: str, value: str) -> str:
    """The value as events store it: the inverse of `shown`, for filters."""
    dimension = BY_NAME.get(name)
    return "" if dimension and dimension.empty and value == dimension.empty else value
