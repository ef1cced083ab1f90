"""Parsing stats queries: periods in the site's time zone, filters, metrics, comparisons."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stats.query import (
    MAX_FILTER_VALUE,
    MAX_FILTER_VALUES,
    MAX_FILTERS,
    DateRange,
    Filter,
    Kind,
    Operator,
    QueryError,
    build_query,
    escape_filter_value,
    parse_breakdown,
    parse_comparison,
    parse_filters,
    parse_interval,
    parse_metrics,
    parse_period,
)

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("period", "anchor", "first", "last"),
    [
        ("day", None, date(2026, 11, 20), date(2026, 11, 20)),
        ("day", "2026-02-03", date(2026, 2, 3), date(2026, 2, 3)),
        ("7d", None, date(2026, 11, 14), date(2026, 11, 20)),
        ("30d", None, date(2026, 10, 22), date(2026, 11, 20)),
        ("month", None, date(2026, 11, 1), date(2026, 11, 30)),
        ("month", "2024-02-10", date(2024, 2, 1), date(2024, 2, 29)),
        ("6mo", None, date(2026, 6, 1), date(2026, 11, 30)),
        ("12mo", "2026-01-15", date(2025, 2, 1), date(2026, 1, 31)),
        ("custom", "2026-01-01,2026-01-31", date(2026, 1, 1), date(2026, 1, 31)),
    ],
)
def test_periods(period, anchor, first, last):
    assert parse_period(period, anchor, today=TODAY, timezone="UTC") == DateRange(first, last, "UTC")


@pytest.mark.parametrize(
    ("period", "anchor"),
    [
        ("week", None),
        ("custom", None),
        ("custom", "2026-01-31,2026-01-01"),
        ("custom", "2020-01-01,2026-01-01"),
        ("day", "yesterday"),
        ("custom", "2026-01-01"),
    ],
)
def test_bad_periods(period, anchor):
    with pytest.raises(QueryError) as error:
        parse_period(period, anchor, today=TODAY, timezone="UTC")
    assert error.value.field in ("period", "date")


def test_utc_bounds_follow_the_site_time_zone():
    start, end = DateRange(date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin").utc_bounds()
    # The day DST begins in Berlin has 23 hours.
    assert (start, end) == (datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))


def test_today_is_the_site_local_day():
    late_evening_utc = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    query = build_query(site_id=1, timezone="Asia/Tokyo", params={"period": "day"}, now=late_evening_utc)
    assert query.dates.first == date(2026, 11, 21)


def test_comparisons():
    dates = DateRange(date(2024, 2, 1), date(2024, 2, 29), "UTC")
    assert parse_comparison("previous_period", dates) == DateRange(date(2024, 1, 3), date(2024, 1, 31), "UTC")
    assert parse_comparison("year_over_year", dates) == DateRange(date(2023, 2, 1), date(2023, 2, 28), "UTC")
    assert parse_comparison(None, dates) is None
    with pytest.raises(QueryError):
        parse_comparison("last_week", dates)


def test_filters_with_every_operator():
    assert parse_filters("event:page==/blog/x|/blog/y;visit:country!=DE; visit:source~goo ;event:props:plan==pro") == (
        Filter("event:page", Operator.IS, ("/blog/x", "/blog/y")),
        Filter("visit:country", Operator.IS_NOT, ("DE",)),
        Filter("visit:source", Operator.CONTAINS, ("goo",)),
        Filter("event:props:plan", Operator.IS, ("pro",)),
    )
    assert parse_filters("event:props:plan==pro")[0].prop_key == "plan"
    assert parse_filters("") == ()


@pytest.mark.parametrize("text", ["visit:planet==Mars", "event:page", "event:page==", "event:props:==x", "a==b|"])
def test_bad_filters(text):
    with pytest.raises(QueryError) as error:
        parse_filters(text)
    assert error.value.field == "filters"


@given(st.text(max_size=200))
def test_any_filter_text_parses_or_raises_query_error(text):
    try:
        filters = parse_filters(text)
    except QueryError as error:
        assert error.field == "filters"
    else:
        assert all(f.values and all(f.values) for f in filters)
        assert all(f.name.startswith(("event:", "visit:")) for f in filters)


def test_metrics_and_intervals():
    assert parse_metrics("visitors,pageviews,visitors") == ("visitors", "pageviews")
    assert parse_metrics(None) == ("visitors",)
    with pytest.raises(QueryError):
        parse_metrics("visitors,revenue")
    day = DateRange(TODAY, TODAY, "UTC")
    year = DateRange(date(2025, 12, 1), date(2026, 11, 30), "UTC")
    assert (parse_interval(None, day), parse_interval(None, year), parse_interval("week", year)) == (
        "hour",
        "month",
        "week",
    )
    with pytest.raises(QueryError):
        parse_interval("minute", day)


def test_build_query_reports_the_bad_field():
    with pytest.raises(QueryError) as error:
        build_query(site_id=1, timezone="UTC", params={"property": "visit:planet"}, now=datetime.now(UTC))
    assert error.value.field == "property"


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1899-12-31,1900-01-02"])
def test_dates_beyond_the_supported_years_are_refused(text):
    period = "custom" if "," in text else "12mo"
    with pytest.raises(QueryError) as error:
        parse_period(period, text, today=date(2026, 11, 20), timezone="UTC")
    assert error.value.field == "date"


def test_between_keeps_exact_bounds_unless_they_fall_on_local_midnights():
    start, end = datetime(2026, 11, 20, 10, 30, tzinfo=UTC), datetime(2026, 11, 21, 0, 0, 1, tzinfo=UTC)
    partial = DateRange.between(start, end)
    assert (partial.first, partial.last, partial.whole_days) == (date(2026, 11, 20), date(2026, 11, 21), False)
    assert partial.utc_bounds() == (start, end)
    midnights = DateRange.between(
        datetime(2026, 11, 20, 5, tzinfo=UTC), datetime(2026, 11, 22, 5, tzinfo=UTC), "America/New_York"
    )
    assert midnights == DateRange(date(2026, 11, 20), date(2026, 11, 21), "America/New_York")
    assert midnights.whole_days


def test_between_reaches_the_ends_of_time():
    everything = DateRange.between(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    assert (everything.first, everything.last, everything.whole_days) == (date.min, date.max, False)
    with pytest.raises(ValueError, match="end after"):
        DateRange.between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def test_escaped_separators_belong_to_the_value():
    assert parse_filters(r"event:page==/a\;b|/c\|d;visit:source==x\\") == (
        Filter("event:page", Operator.IS, ("/a;b", "/c|d")),
        Filter("visit:source", Operator.IS, ("x\\",)),
    )
    # Backslashes before anything else stay, so older links keep meaning what they did.
    assert parse_filters(r"event:page==/a\b")[0].values == (r"/a\b",)


@given(st.lists(st.text(min_size=1, max_size=20).filter(str.strip), min_size=1, max_size=5))
def test_any_value_round_trips_through_escaping(values):
    text = "event:page==" + "|".join(escape_filter_value(v) for v in values)
    assert parse_filters(text)[0].values == tuple(v.strip() for v in values)


def test_the_first_operator_is_the_clauses_own():
    assert parse_filters("event:page==/a!=b~c") == (Filter("event:page", Operator.IS, ("/a!=b~c",)),)
    assert parse_filters("visit:source!=a==b") == (Filter("visit:source", Operator.IS_NOT, ("a==b",)),)


@pytest.mark.parametrize("key", ["a__regex", "plan", "utm source", "a.b:c/d@e#f$g+h-i", "Ünïcode"])
def test_plain_property_keys_are_taken(key):
    assert parse_filters(f"event:props:{key}==x")[0].prop_key == key
    assert parse_breakdown(f"event:props:{key}") == f"event:props:{key}"


@pytest.mark.parametrize("key", ['a"b', "a'b", "a\\b", "a\nb", "x" * 301, "a(b)", "a%b"])
def test_other_property_keys_are_refused(key):
    with pytest.raises(QueryError) as error:
        parse_filters(f"event:props:{key}==x")
    assert error.value.field == "filters"
    assert "letters, digits" in error.value.message
    with pytest.raises(QueryError):
        parse_breakdown(f"event:props:{key}")


def test_alternatives_values_and_filters_are_capped():
    parse_filters("event:page==" + "|".join(f"/{n}" for n in range(MAX_FILTER_VALUES)))
    for text in (
        "event:page==" + "|".join(f"/{n}" for n in range(MAX_FILTER_VALUES + 1)),
        "event:page==/" + "x" * MAX_FILTER_VALUE,
        ";".join(["event:page==/"] * (MAX_FILTERS + 1)),
    ):
        with pytest.raises(QueryError) as error:
            parse_filters(text)
        assert error.value.field == "filters"


def test_plausibles_date_interval_is_the_day():
    day = DateRange(TODAY, TODAY, "UTC")
    assert parse_interval("date", day) == "day"


@pytest.mark.parametrize(("name", "text"), [("limit", "0"), ("limit", "1001"), ("page", "x"), ("limit", "²")])
def test_limit_and_page_are_checked_once_here(name, text):
    with pytest.raises(QueryError) as error:
        build_query(site_id=1, timezone="UTC", params={name: text}, now=datetime.now(UTC))
    assert error.value.field == name


def test_a_breakdown_needs_a_property():
    with pytest.raises(QueryError) as error:
        build_query(site_id=1, timezone="UTC", params={}, now=datetime.now(UTC), kind=Kind.BREAKDOWN)
    assert error.value.field == "property"
    query = build_query(site_id=1, timezone="UTC", params={"property": "event:page"}, now=datetime.now(UTC))
    assert (query.limit, query.page) == (100, 1)
