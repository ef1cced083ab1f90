"""A stats query: what to count, where and when; parsed once per interface, then run by the stats layer.

The text forms follow Plausible's Stats API v1 so its clients and habits carry over:
period (`day`, `7d`, `30d`, `month`, `6mo`, `12mo`, `custom`) with `date` as the anchor or, for
`custom`, `YYYY-MM-DD,YYYY-MM-DD`; filters such as `event:page==/blog/x;visit:country==DE|FR`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from stats.dimensions import BY_NAME, GOAL, PROP_KEY, prop_key, stored


class QueryError(ValueError):
    """A query that cannot be run; `field` names the offending parameter."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


METRICS = (
    "visitors",
    "visits",
    "pageviews",
    "views_per_visit",
    "bounce_rate",
    "visit_duration",
    "events",
    "engaged_time",
    "scroll_depth",
    "conversion_rate",
)
INTERVALS = ("hour", "day", "week", "month")
# One filter may name this many alternatives (a|b|...) of at most this many characters each.
MAX_FILTER_VALUES = 100
MAX_FILTER_VALUE = 2000
MAX_FILTERS = 20
PERIODS = ("day", "7d", "30d", "month", "6mo", "12mo", "custom")
MAX_CUSTOM_DAYS = 3 * 366
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_PAGE = 1_000_000
# Days whose periods and comparisons (a year or a few months either side) stay valid dates.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9000, 12, 31)


def is_property(name: str) -> bool:
    key = prop_key(name)
    if key is not None:
        return bool(PROP_KEY.match(key))
    return name in BY_NAME or name == GOAL


def _unknown_property(name: str) -> str:
    if prop_key(name) is not None:
        return (
            f"Unknown property {name!r}: a custom property's key is 1 to 300 letters, digits, spaces "
            "and _ - . : / @ # $ +."
        )
    return f"Unknown property {name!r}."


class Operator(enum.StrEnum):
    IS = "=="
    IS_NOT = "!="
    CONTAINS = "~"


@dataclass(frozen=True)
class Filter:
    name: str  # a property of stats.dimensions, or event:props:<key>
    operator: Operator
    values: tuple[str, ...]

    @property
    def prop_key(self) -> str | None:
        """The custom property's key for `event:props:<key>` filters."""
        return prop_key(self.name)


@dataclass(frozen=True)
class DateRange:
    """Local calendar days, first and last included, in the site's time zone.

    `start` and `end`, when set, narrow the days to exact UTC moments [start, end) for ranges
    that do not begin or end at local midnight (see `between`); such a range is counted from
    raw events, since rollups hold whole days.
    """

    first: date
    last: date
    timezone: str
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def between(cls, start: datetime, end: datetime, timezone: str = "UTC") -> DateRange:
        """Return the range of the moments [start, end) (aware); plain local days when both fall on midnight."""
        if end <= start:
            raise ValueError("a range must end after it starts")
        zone = ZoneInfo(timezone)
        first = start.astimezone(zone).date()
        last = (end - timedelta(microseconds=1)).astimezone(zone).date()
        days = cls(first, last, timezone)
        try:
            if days.utc_bounds() == (start, end):
                return days
        except OverflowError:  # the last day is 9999-12-31: its end is past datetime's range
            pass
        return cls(first, last, timezone, start.astimezone(UTC), end.astimezone(UTC))

    @property
    def whole_days(self) -> bool:
        return self.start is None and self.end is None

    @property
    def starts_at_midnight(self) -> bool:
        """Whether the range starts with a whole local day (it may end within its last day)."""
        if self.start is None:
            return True
        return self.start == datetime.combine(self.first, time.min, ZoneInfo(self.timezone)).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Return [start, end) in UTC."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(self.first, time.min, zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time.min, zone).astimezone(UTC)
        return start, end

    def previous_period(self) -> DateRange:
        return DateRange(self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.timezone)

    def year_over_year(self) -> DateRange:
        return DateRange(_minus_year(self.first), _minus_year(self.last), self.timezone)


class Kind(enum.StrEnum):
    """What a query answers: totals over the range, a row per interval bucket, or a row per value."""

    AGGREGATE = "aggregate"
    TIMESERIES = "timeseries"
    BREAKDOWN = "breakdown"


@dataclass(frozen=True)
class StatsQuery:
    """What to count. A goal (`event:goal`) in the filters or as the breakdown is matched by the count
    source; `conversion_rate` divides by the visitors of the same query without its goal."""

    site_id: int
    dates: DateRange
    metrics: tuple[str, ...] = ("visitors",)
    filters: tuple[Filter, ...] = ()
    interval: str = "day"
    breakdown: str | None = None
    comparison: DateRange | None = None
    kind: Kind = Kind.AGGREGATE
    limit: int | None = DEFAULT_LIMIT  # a breakdown's rows per page; None: every row
    page: int = 1
    sparse: bool = False  # a timeseries' rows only for buckets that hold events
    with_imported: bool = False  # add imported aggregates (stats/imported.py) where they answer the query

    @property
    def has_goal(self) -> bool:
        """Whether the query counts a goal: filters by one, or breaks down by goals."""
        by_goals = self.kind is Kind.BREAKDOWN and self.breakdown == GOAL
        return by_goals or any(f.name == GOAL for f in self.filters)

    @property
    def goal_free(self) -> StatsQuery:
        """The query without its goal filters or goal breakdown: what a conversion rate divides by."""
        return replace(
            self,
            filters=tuple(f for f in self.filters if f.name != GOAL),
            breakdown=None if self.breakdown == GOAL else self.breakdown,
            kind=Kind.AGGREGATE if self.breakdown == GOAL else self.kind,
        )


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _parse_day(text: str, field_name: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise QueryError(field_name, f"{text!r} is not a date in the form YYYY-MM-DD.") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise QueryError(field_name, f"Dates must fall between {FIRST_DAY} and {LAST_DAY}.")
    return day


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, 1)


def parse_period(period: str, anchor: str | None, *, today: date, timezone: str) -> DateRange:
    """Return the local days a period covers, ending at `date` (default: today in the site's zone)."""
    if period not in PERIODS:
        raise QueryError("period", f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")
    if period == "custom":
        parts = (anchor or "").split(",")
        if len(parts) != 2:
            raise QueryError("date", "A custom period needs date=YYYY-MM-DD,YYYY-MM-DD.")
        first, last = _parse_day(parts[0], "date"), _parse_day(parts[1], "date")
        if last < first:
            raise QueryError("date", "The custom period ends before it starts.")
        if (last - first).days + 1 > MAX_CUSTOM_DAYS:
            raise QueryError("date", f"A custom period spans at most {MAX_CUSTOM_DAYS} days.")
        return DateRange(first, last, timezone)
    end = _parse_day(anchor, "date") if anchor else today
    if period == "day":
        return DateRange(end, end, timezone)
    if period in ("7d", "30d"):
        return DateRange(end - timedelta(days=int(period[:-1]) - 1), end, timezone)
    if period == "month":
        first = end.replace(day=1)
        next_month = _months_back(first, -1)
        return DateRange(first, next_month - timedelta(days=1), timezone)
    months = int(period.removesuffix("mo"))
    # The last n calendar months, the anchor's month included (as Plausible counts 6mo/12mo).
    first = _months_back(end.replace(day=1), months - 1)
    return DateRange(first, _months_back(end.replace(day=1), -1) - timedelta(days=1), timezone)


def _split(text: str, separator: str) -> Iterator[str]:
    """Split on the separator where no backslash escapes it; escapes stay in the parts."""
    part: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            part += ["\\", char]
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            yield "".join(part)
            part = []
        else:
            part.append(char)
    if escaped:
        part.append("\\")
    yield "".join(part)


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\;|])", r"\1", text)


def escape_filter_value(value: str) -> str:
    """Write a value into a filter so that its own `;`, `|` and `\\` are not read as syntax."""
    return re.sub(r"([\\;|])", r"\\\1", value)


def _values(clause: str, raw_values: str) -> tuple[str, ...]:
    values = tuple(_unescape(v).strip() for v in _split(raw_values, "|"))
    if not all(values):
        raise QueryError("filters", f"{clause!r} has an empty value.")
    if len(values) > MAX_FILTER_VALUES:
        raise QueryError("filters", f"A filter takes at most {MAX_FILTER_VALUES} values.")
    if any(len(value) > MAX_FILTER_VALUE for value in values):
        raise QueryError("filters", f"Filter values are at most {MAX_FILTER_VALUE} characters.")
    return values


def parse_filters(text: str | None) -> tuple[Filter, ...]:
    """Parse `prop==a|b;prop!=c;prop~d` into filters; `\\;`, `\\|` and `\\\\` are a value's own characters."""
    if not text:
        return ()
    filters = []
    for clause in (part.strip() for part in _split(text, ";")):
        if not clause:
            continue
        # The first operator in the clause is its own; later ones belong to the value.
        found = sorted((clause.find(op.value), op) for op in Operator if op.value in clause)
        if not found:
            raise QueryError("filters", f"{clause!r} has no operator; use ==, != or ~.")
        operator = found[0][1]
        name, _, raw_values = clause.partition(operator.value)
        name = name.strip()
        if not is_property(name):
            raise QueryError("filters", _unknown_property(name))
        if name == GOAL and operator is Operator.CONTAINS:
            raise QueryError("filters", "Goals are filtered by their names with == or !=, e.g. event:goal==Signup.")
        values = tuple(stored(name, value) for value in _values(clause, raw_values))
        filters.append(Filter(name, operator, values))
    if len(filters) > MAX_FILTERS:
        raise QueryError("filters", f"A query takes at most {MAX_FILTERS} filters.")
    return tuple(filters)


def parse_metrics(text: str | None) -> tuple[str, ...]:
    metrics = tuple(m.strip() for m in (text or "visitors").split(",") if m.strip())
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise QueryError("metrics", f"Unknown metric(s) {', '.join(unknown) or '(none)'}; use {', '.join(METRICS)}.")
    return tuple(dict.fromkeys(metrics))


def day_bucket(day: date, interval: str) -> date:
    """The first day of the day, week (Monday) or month bucket a local day falls in."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def seconds_of(interval: str) -> int | None:
    """The length of an interval of fixed seconds aligned to the Unix epoch (`"300s"`, as the µAnalytics
    API buckets time), else None. Not offered by the query parser: interfaces build it themselves."""
    match = re.fullmatch(r"([0-9]+)s", interval)
    return int(match[1]) if match else None


def parse_interval(text: str | None, dates: DateRange) -> str:
    default = "hour" if dates.days == 1 else "month" if dates.days > 190 else "day"
    # Plausible's Stats API v1 names the daily interval `date`.
    interval = "day" if text == "date" else text or default
    if interval not in INTERVALS:
        raise QueryError("interval", f"Unknown interval {interval!r}; use one of {', '.join(INTERVALS)}.")
    return interval


def parse_breakdown(text: str | None) -> str | None:
    if text is None:
        return None
    if not is_property(text):
        raise QueryError("property", _unknown_property(text))
    return text


def parse_comparison(text: str | None, dates: DateRange, *, now: datetime | None = None) -> DateRange | None:
    """Return the range to compare with.

    A range still in progress at `now` (today, this month, the last 7 days) is compared with the
    same elapsed span of the earlier period, as Plausible does: this month's first six days and a
    half with last month's, not with the whole of last month.
    """
    if not text:
        return None
    if text == "previous_period":
        before = dates.previous_period()
    elif text == "year_over_year":
        before = dates.year_over_year()
    else:
        raise QueryError("compare", f"Unknown comparison {text!r}; use previous_period or year_over_year.")
    start, end = dates.utc_bounds()
    if now is None or not start <= now < end:
        return before
    elapsed = max(now - start, timedelta(seconds=1))
    since = before.utc_bounds()[0]
    return DateRange.between(since, since + elapsed, dates.timezone)


def _whole_number(params: dict[str, str], name: str, default: int, most: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    if not re.fullmatch(r"\s*[0-9]{1,9}\s*", text) or not 1 <= int(text) <= most:
        raise QueryError(name, f"{name} must be a whole number from 1 to {most}.")
    return int(text)


def parse_flag(params: dict[str, str], name: str) -> bool:
    """A `true`/`false` parameter (absent: false)."""
    text = params.get(name)
    if text is None or text == "":
        return False
    if text not in ("true", "false"):
        raise QueryError(name, f"{name} must be true or false.")
    return text == "true"


def build_query(
    *,
    site_id: int,
    timezone: str,
    params: dict[str, str],
    now: datetime,
    kind: Kind = Kind.AGGREGATE,
) -> StatsQuery:
    """Build a query from Plausible-style parameters (period, date, metrics, filters, interval, property,
    compare, limit, page, with_imported); every interface parses its parameters here, so the same text means the same
    query and a bad value the same error."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    dates = parse_period(params.get("period") or "30d", params.get("date"), today=today, timezone=timezone)
    breakdown = parse_breakdown(params.get("property"))
    if kind is Kind.BREAKDOWN and breakdown is None:
        raise QueryError("property", "A breakdown needs a property, e.g. property=event:page.")
    query = StatsQuery(
        site_id=site_id,
        dates=dates,
        metrics=parse_metrics(params.get("metrics")),
        filters=parse_filters(params.get("filters")),
        interval=parse_interval(params.get("interval"), dates),
        breakdown=breakdown,
        comparison=parse_comparison(params.get("compare"), dates, now=now),
        kind=kind,
        limit=_whole_number(params, "limit", DEFAULT_LIMIT, MAX_LIMIT),
        page=_whole_number(params, "page", 1, MAX_PAGE),
        with_imported=parse_flag(params, "with_imported"),
    )
    if "conversion_rate" in query.metrics and not query.has_goal:
        message = "conversion_rate needs a goal: a filter such as event:goal==Signup, or property=event:goal."
        raise QueryError("metrics", message)
    return query
