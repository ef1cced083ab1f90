"""Counts from the ClickHouse event store (tracker/store/clickhouse.py): the same questions as stats/raw.py
answers from the relational tables, with the same rules, one SQL statement or two per question.

Event filters test each event; visit filters test the visit an event belongs to, by the visit's
dimensions (copied onto each of its events) or, for entry and exit pages, its progress
(`session_progress`, read FINAL: the newest row of each visit). Bounces and durations are those of the distinct visits
of the events counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings

from sites.models import Goal
from stats import goals
from stats.counts import FIELDS, Counts, fields_needed, reads_visits
from stats.dimensions import BY_NAME, ENGAGEMENT, GOAL, PAGEVIEW, PROP_KEY_SAMPLE, prop_key, ranked_prop_keys
from stats.query import DateRange, Filter, Operator, StatsQuery, seconds_of
from tracker.store.clickhouse import UTC_TIME, ClickHouseStore, json_text

# What each visit's events in a group add up to (PER_VISIT_SUMS, the inner grouping), then summed per
# group with the visit's own bounce and duration: one statement, each visit read once. In the order of
# stats.counts.FIELDS.
PER_GROUP = (
    "uniqExact(x.visitor), count(), countIf(p.is_bounce), sum(p.duration), sum(x.pageviews), sum(x.events), "
    "sum(x.engaged_ms), sum(x.scroll_sum), sum(x.scroll_count)"
)
# The same counts in one pass over the events, for questions that need no visit's bounce or duration
# (those need the visits' rows).
EVENT_SUMS = {
    "visitors": "uniqExact(e.visitor_hash)",
    "visits": "uniqExact(e.session_id)",
    "bounces": "0",
    "duration": "0",
    "pageviews": f"countIf(e.name = '{PAGEVIEW}')",
    "events": f"countIf(e.name != '{ENGAGEMENT}')",
    "engaged_ms": "sum(ifNull(e.engaged_ms, 0))",
    "scroll_sum": f"sumIf(ifNull(e.scroll_depth, 0), e.name = '{ENGAGEMENT}')",
    "scroll_count": f"countIf(e.name = '{ENGAGEMENT}' AND e.scroll_depth IS NOT NULL)",
}
# The sums of EVENT_SUMS that PER_GROUP's inner grouping takes per visit (its row cannot give them).
PER_VISIT_SUMS = ("pageviews", "events", "engaged_ms", "scroll_sum", "scroll_count")
# What the visits' rows give (`_with_visit_rows`), by field of stats.counts.FIELDS: every event carries
# its visit's visitor hash (tracker/pipeline/sessions.py), so the visitors are those of the visits.
VISIT_ROW_SUMS = {
    "visitors": "uniqExact(visitor_hash)",
    "visits": "count()",
    "bounces": "countIf(is_bounce)",
    "duration": "sum(duration)",
}
# Metrics of sums over the events in the range, which a visit's row cannot give (it may cross the
# range's ends).
EVENT_SUM_METRICS = frozenset({"pageviews", "views_per_visit", "events", "engaged_time", "scroll_depth"})
# The visit's own progress columns; its other dimensions are fixed when it starts.
PROGRESS = {"entry_path", "exit_path"}


def _event_sums(query: StatsQuery) -> dict[str, str]:
    """EVENT_SUMS, with 0 for the counts no metric of the query needs: a sum not asked for still reads
    its column (engaged time and scroll depth cost a fifth of a goal breakdown)."""
    needed = fields_needed(query.metrics)
    return {name: expression if name in needed else "0" for name, expression in EVENT_SUMS.items()}


@dataclass
class Sql:
    """A statement's server-side parameters, named in order as they are bound."""

    site_id: int
    parameters: dict[str, Any] = field(default_factory=dict)

    def bind(self, value: Any, kind: str) -> str:
        name = f"p{len(self.parameters)}"
        self.parameters[name] = value
        return f"{{{name}:{kind}}}"

    def site(self) -> str:
        return self.bind(self.site_id, "UInt64")


def _prop_text(sql: Sql, key: str) -> str:
    """A custom property's value as text, as the database's `props->>key` gives it."""
    value = f"e.props[{sql.bind(key, 'String')}]"
    return f"if(startsWith({value}, '\"'), JSONExtractString({value}), {value})"


def _has_prop(sql: Sql, key: str) -> str:
    return f"mapContains(e.props, {sql.bind(key, 'String')})"


def path_regex(page_path: str) -> str:
    """A page goal's pattern in RE2's syntax, which ends the text with \\z where Python writes \\Z."""
    return goals.path_pattern(page_path).removesuffix(r"\Z") + r"\z"


def completes(sql: Sql, goal: Goal) -> str:
    """The condition an event completing the goal meets (stats/goals.py says what that means)."""
    if goal.goal_type == Goal.Type.PAGE:
        if "*" not in goal.page_path:
            return f"(e.name = '{PAGEVIEW}' AND e.path = {sql.bind(goal.page_path, 'String')})"
        return f"(e.name = '{PAGEVIEW}' AND match(e.path, {sql.bind(path_regex(goal.page_path), 'String')}))"
    done = f"e.name = {sql.bind(goal.event_name, 'String')}"
    if goal.prop_key:
        value = f"e.props[{sql.bind(goal.prop_key, 'String')}]"
        done += f" AND {_has_prop(sql, goal.prop_key)} AND {value} = {sql.bind(json_text(goal.prop_value), 'String')}"
    return f"({done})"


def _event_column(name: str) -> str:
    """The events' column of a dimension: a visit's fixed dimensions are copied onto each of its events."""
    dimension = BY_NAME[name]
    return f"e.visit_{dimension.column}" if dimension.reads_session else f"e.{dimension.column}"


def _matches(sql: Sql, value: str, flt: Filter) -> str:
    """`value` matches one of the filter's values: equal to one, or containing one (any case)."""
    if flt.operator is Operator.CONTAINS:
        found = " OR ".join(f"positionCaseInsensitiveUTF8({value}, {sql.bind(v, 'String')}) > 0" for v in flt.values)
        return f"({found})"
    return f"{value} IN {sql.bind(list(flt.values), 'Array(String)')}"


def _tested(flt: Filter, matches: str) -> str:
    """The filter's test of a value that `matches` one of its values: negated for `!=`."""
    return f"NOT ({matches})" if flt.operator is Operator.IS_NOT else f"({matches})"


def _condition(sql: Sql, flt: Filter, dates: DateRange) -> str:
    if flt.name == GOAL:
        # A goal name the site does not have is completed by no event.
        matches = " OR ".join(completes(sql, goal) for goal in goals.of_site(sql.site_id, flt.values)) or "0"
    elif (key := prop_key(flt.name)) is not None:
        if flt.operator is Operator.CONTAINS:
            value, wanted = _prop_text(sql, key), flt
        else:  # equal JSON texts: a filter's value is a string, and matches only a string
            value = f"e.props[{sql.bind(key, 'String')}]"
            wanted = Filter(flt.name, flt.operator, tuple(map(json_text, flt.values)))
        # As in the database, an event without the property matches neither `==` nor `!=`.
        negated = "NOT " if flt.operator is Operator.IS_NOT else ""
        return f"({_has_prop(sql, key)} AND {negated}{_matches(sql, value, wanted)})"
    elif (column := BY_NAME[flt.name].column) in PROGRESS:
        visits = (
            f"SELECT id FROM session_progress FINAL "  # noqa: S608 (names from the dimension registry)
            f"WHERE site_id = {sql.site()} AND {_overlapping(sql, dates)} AND {_matches(sql, column, flt)}"
        )
        negated = "NOT " if flt.operator is Operator.IS_NOT else ""
        return f"e.session_id {negated}IN ({visits})"
    else:
        matches = _matches(sql, _event_column(flt.name), flt)
    return _tested(flt, matches)


def _where(sql: Sql, query: StatsQuery, dates: DateRange) -> str:
    start, end = dates.utc_bounds()
    conditions = [
        f"e.site_id = {sql.site()}",
        f"e.timestamp >= {sql.bind(start, UTC_TIME)}",
        f"e.timestamp < {sql.bind(end, UTC_TIME)}",
        *(_condition(sql, flt, dates) for flt in query.filters),
    ]
    return " AND ".join(conditions)


def _overlapping(sql: Sql, dates: DateRange) -> str:
    """The visits that may have events in the range: started before its end, last seen after its start."""
    start, end = dates.utc_bounds()
    return f"started < {sql.bind(end, UTC_TIME)} AND last_seen >= {sql.bind(start, UTC_TIME)}"


@dataclass(frozen=True)
class Grouping:
    """What a question groups events by: an expression per event (an arrayJoin puts an event in several
    groups), the tables to join for it, and what an event must meet to have a value at all."""

    key: str
    joins: str = ""
    having_value: str = ""
    # The same grouping of a visit's row in session_progress, where the key is the visit's own.
    visit_key: str = ""
    # The groups' names, where the key is their place in this tuple.
    labels: tuple[str, ...] = ()


def _progress_join(sql: Sql, column: str, dates: DateRange) -> str:
    return (
        f" INNER JOIN (SELECT id, {column} FROM session_progress FINAL "  # noqa: S608
        f"WHERE site_id = {sql.site()} AND {_overlapping(sql, dates)}) AS v ON v.id = e.session_id"
    )


def _by_property(sql: Sql, query: StatsQuery, dates: DateRange) -> Grouping:
    name = str(query.breakdown)
    if name == GOAL:
        # Each event counts towards every goal it completes: one pass over the events for all goals, of
        # those that complete one (the others' columns are then not read), grouped by the goal's place
        # (a number groups faster than a name).
        site_goals = goals.of_site(query.site_id)
        if not site_goals:
            return Grouping("0", having_value="0")
        conditions = [completes(sql, goal) for goal in site_goals]
        completed = ", ".join(f"if({condition}, {n}, 0)" for n, condition in enumerate(conditions, start=1))
        return Grouping(
            f"arrayJoin(arrayFilter(g -> g != 0, [{completed}]))",
            having_value=f"({' OR '.join(conditions)})",
            labels=("", *(goal.display_name for goal in site_goals)),
        )
    key = prop_key(name)
    if key is not None:
        return Grouping(_prop_text(sql, key), having_value=_has_prop(sql, key))
    dimension = BY_NAME[name]
    column, visit_key = dimension.column, dimension.column if dimension.reads_session else ""
    if column in PROGRESS:
        return Grouping(f"v.{column}", joins=_progress_join(sql, column, dates), visit_key=visit_key)
    return Grouping(_event_column(name), visit_key=visit_key)


def _by_interval(sql: Sql, query: StatsQuery, dates: DateRange) -> Grouping:
    seconds = seconds_of(query.interval)
    if seconds is not None:
        n = int(seconds)
        return Grouping(f"intDiv(toInt64(toUnixTimestamp(e.timestamp)), {n}) * {n}")
    zone = sql.bind(dates.timezone, "String")
    truncate = {
        "hour": f"toString(toStartOfHour(e.timestamp, {zone}))",
        "day": f"toDate(e.timestamp, {zone})",
        "week": f"toMonday(e.timestamp, {zone})",
        "month": f"toStartOfMonth(e.timestamp, {zone})",
    }
    return Grouping(truncate[query.interval])


# Up to this many days, the visits' rows read are narrowed to the ids of the range's events first: a
# visit's id grows with time, so the narrowing skips most of a long history, and costs less than it
# saves (bench/adhoc.py: 30 days 99 -> 37 ms; over 12 months it cost 180 ms more than it saved).
NARROWED_DAYS = 92


def _of_visits(query: StatsQuery, dates: DateRange, grouping: Grouping) -> bool:
    """Whether the question is about visits alone: grouped and filtered by the visits' own dimensions, so
    a visit's events all count or none do, and its visitors, visits, bounces and durations come from
    the visits' rows. The visits with events in a range are then those overlapping it, provided it is
    no shorter than a visit's longest pause between two events (SESSION_TIMEOUT_MINUTES)."""
    start, end = dates.utc_bounds()
    dimensions = [BY_NAME.get(flt.name) for flt in query.filters]
    return (
        bool(grouping.visit_key)
        and end - start >= timedelta(minutes=settings.SESSION_TIMEOUT_MINUTES)
        and all(dimension is not None and dimension.reads_session for dimension in dimensions)
    )


def _with_visit_rows(sql: Sql, query: StatsQuery, dates: DateRange, grouping: Grouping, events: str) -> str:
    """The counts of a question `_of_visits` from the rows of the visits overlapping the range, and the
    sums of the events in the range, where a metric needs them, in one pass over them."""
    conditions = [f"site_id = {sql.site()}", _overlapping(sql, dates)]
    if dates.days <= NARROWED_DAYS:
        start, end = dates.utc_bounds()
        ids = (
            f"(SELECT (min(session_id), max(session_id)) FROM events WHERE site_id = {sql.site()} "  # noqa: S608
            f"AND timestamp >= {sql.bind(start, UTC_TIME)} AND timestamp < {sql.bind(end, UTC_TIME)})"
        )
        conditions.append(f"id BETWEEN tupleElement({ids}, 1) AND tupleElement({ids}, 2)")
    conditions += [_tested(flt, _matches(sql, BY_NAME[flt.name].column, flt)) for flt in query.filters]
    of_rows = ", ".join(f"{expression} AS v_{name}" for name, expression in VISIT_ROW_SUMS.items())
    visits = (
        f"SELECT {grouping.visit_key} AS k, {of_rows} FROM session_progress FINAL "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} GROUP BY k"
    )
    if EVENT_SUM_METRICS.isdisjoint(query.metrics):
        fields = ", ".join(f"v_{name}" if name in VISIT_ROW_SUMS else "0" for name in FIELDS)
        return f"SELECT k, {fields} FROM ({visits})"  # noqa: S608
    sums = _event_sums(query)
    of_events = ", ".join(f"{e} AS x_{name}" for name, e in sums.items() if name not in VISIT_ROW_SUMS)
    counted = f"SELECT {grouping.key} AS k, {of_events} {events} GROUP BY k"
    fields = ", ".join(f"v.v_{name}" if name in VISIT_ROW_SUMS else f"x.x_{name}" for name in FIELDS)
    return f"SELECT v.k, {fields} FROM ({visits}) AS v LEFT JOIN ({counted}) AS x ON x.k = v.k"  # noqa: S608


class ClickHouseSource:
    """A CountSource (stats/sources.py) reading the ClickHouse event store."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store

    def _grouped(self, query: StatsQuery, dates: DateRange, grouping: Grouping, sql: Sql) -> dict[Any, Counts]:
        """The counts per group. Bounces and durations are the visits' own, joined from their progress
        only when a metric needs them (it costs most of the question): the other counts are summed
        straight from the events."""
        where = _where(sql, query, dates)
        if grouping.having_value:
            where += f" AND {grouping.having_value}"
        events = f"FROM events AS e{grouping.joins} WHERE {where}"
        if _of_visits(query, dates, grouping):
            statement = _with_visit_rows(sql, query, dates, grouping, events)
        elif reads_visits(query.metrics):
            sums = _event_sums(query)
            per_visit = ", ".join(["any(e.visitor_hash) AS visitor", *(f"{sums[n]} AS {n}" for n in PER_VISIT_SUMS)])
            statement = (
                f"SELECT x.k, {PER_GROUP} FROM ("  # noqa: S608
                f"SELECT {grouping.key} AS k, e.session_id AS visit, {per_visit} {events} GROUP BY k, visit) AS x "
                "LEFT JOIN (SELECT id, is_bounce, duration FROM session_progress FINAL "
                f"WHERE site_id = {sql.site()} AND {_overlapping(sql, dates)}) AS p ON p.id = x.visit GROUP BY x.k"
            )
        else:
            statement = f"SELECT {grouping.key} AS k, {', '.join(_event_sums(query).values())} {events} GROUP BY k"
        rows = self.store.rows(statement, sql.parameters)
        return {key: Counts(**dict(zip(FIELDS, values, strict=True))) for key, *values in rows}

    def totals(self, query: StatsQuery, dates: DateRange) -> Counts:
        sql = Sql(query.site_id)
        return self._grouped(query, dates, Grouping("0", visit_key="0"), sql).get(0, Counts())

    def by_bucket(self, query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
        sql = Sql(query.site_id)
        grouped = self._grouped(query, dates, _by_interval(sql, query, dates), sql)
        if query.interval == "hour":
            return {datetime.fromisoformat(key): counts for key, counts in grouped.items()}
        return dict(grouped)

    def by_value(self, query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
        assert query.breakdown is not None
        sql = Sql(query.site_id)
        grouping = _by_property(sql, query, dates)
        grouped = self._grouped(query, dates, grouping, sql)
        if grouping.labels:
            # As from the database: a goal shows when some event of the range completed it.
            return {grouping.labels[key]: counts for key, counts in grouped.items() if counts.events}
        return {str(key): counts for key, counts in grouped.items()}

    def funnel_reached(self, query: StatsQuery, dates: DateRange, steps: Sequence[Goal]) -> list[int]:
        """The visitors who reached each step, by the rule of stats/raw.py's funnel_reached: each visit's
        events that complete some step, oldest first (ties by uuid), walked in one fold; a visitor
        counts at their best visit."""
        sql = Sql(query.site_id)
        flags = [completes(sql, goal) for goal in steps]
        n = len(steps)
        # Each event as (time, uuid, the steps it completes as bits): a visit's list is a few numbers to
        # sort, and toUInt128 orders uuids as their text does. (Texts and arrays of flags took a third
        # of a 12-month funnel.)
        completed = " + ".join(f"{1 << step} * {flag}" for step, flag in enumerate(flags))
        walked = (
            f"arrayFold((reached, done) -> if(reached < {n} AND bitTest(done, reached), reached + 1, reached), "
            f"arrayMap(event -> event.3, arraySort(groupArray((e.timestamp, toUInt128(e.uuid), {completed})))), "
            "toUInt64(0))"
        )
        visits = (
            f"SELECT any(e.visitor_hash) AS visitor, {walked} AS reached FROM events AS e "  # noqa: S608
            f"WHERE {_where(sql, query, dates)} AND ({' OR '.join(flags)}) GROUP BY e.session_id"
        )
        counted = ", ".join(f"countIf(best > {step})" for step in range(n))
        rows = self.store.rows(
            f"SELECT {counted} FROM (SELECT max(reached) AS best FROM ({visits}) GROUP BY visitor)",  # noqa: S608
            sql.parameters,
        )
        return [int(value) for value in rows[0]]

    def prop_keys(self, query: StatsQuery, dates: DateRange) -> list[str]:
        sql = Sql(query.site_id)
        latest = (
            f"SELECT e.props FROM events AS e WHERE {_where(sql, query, dates)} AND notEmpty(e.props) "  # noqa: S608
            f"ORDER BY e.timestamp DESC LIMIT {PROP_KEY_SAMPLE}"
        )
        keys = f"SELECT key, count() FROM ({latest}) ARRAY JOIN mapKeys(props) AS key GROUP BY key"  # noqa: S608
        return ranked_prop_keys(dict(self.store.rows(keys, sql.parameters)))

    def realtime_visitors(self, site_id: int, now: datetime, minutes: int = 5) -> int:
        sql = Sql(site_id)
        rows = self.store.rows(
            f"SELECT uniqExact(visitor_hash) FROM events WHERE site_id = {sql.site()} "  # noqa: S608
            f"AND timestamp >= {sql.bind(now - timedelta(minutes=minutes), UTC_TIME)} "
            f"AND timestamp <= {sql.bind(now, UTC_TIME)}",
            sql.parameters,
        )
        return int(rows[0][0])
