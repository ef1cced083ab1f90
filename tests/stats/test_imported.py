"""Imported aggregates in stats.run: added for the days before the site's own data, where they answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stats
from imports.models import Import, ImportedStat
from stats import DateRange, Kind, StatsQuery
from stats.counts import Counts
from stats.imported import answers, native_start
from stats.query import Filter, Operator, build_query
from stats.sources import RAW, ROLLED
from tests.factories import ImportedStatFactory, ImportFactory, SiteFactory
from tests.known_site import T0
from tracker import rollups

pytestmark = pytest.mark.django_db

FIRST_NATIVE = T0.date() - timedelta(days=1)  # stats.example's first visit is the day before T0
DAY0 = T0.date() - timedelta(days=10)
SOURCES = ("Google", "", "Bing")

day_rows = st.lists(
    st.tuples(
        st.integers(0, 10),  # days after DAY0; the last two are the site's own days
        st.sampled_from(SOURCES),
        st.integers(0, 50),  # visitors
        st.integers(0, 60),  # visits
        st.integers(0, 200),  # pageviews
        st.integers(0, 3600),  # duration
    ),
    max_size=12,
)


def _write(site, generated) -> None:
    """The generated days as an import's rows: per source, and the site's totals as their sums."""
    job = ImportFactory(site=site)
    totals: dict[date, Counts] = {}
    for offset, source, visitors, visits, pageviews, duration in generated:
        day = DAY0 + timedelta(days=offset)
        counts = Counts(visitors=visitors, visits=visits, pageviews=pageviews, bounces=visits // 2, duration=duration)
        totals[day] = totals.get(day, Counts()) + counts
        ImportedStatFactory(job=job, site=site, day=day, dimension="visit:source", value=source, **_fields(counts))
    for day, counts in totals.items():
        ImportedStatFactory(job=job, site=site, day=day, **_fields(counts))


def _fields(counts: Counts) -> dict[str, int]:
    names = ("visitors", "visits", "pageviews", "bounces", "duration")
    return {name: getattr(counts, name) for name in names}


def _imported(site, first: date, last: date, **match) -> Counts:
    """What the rows say for the days of [first, last] before the site's own data."""
    counts = Counts()
    rows = ImportedStat.objects.filter(site=site, day__gte=first, day__lte=last, day__lt=FIRST_NATIVE, **match)
    for row in rows:
        counts += Counts(**_fields(row))
    return counts


@pytest.mark.parametrize("source", [RAW, ROLLED], ids=["raw", "rolled"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=day_rows, first=st.integers(0, 10), length=st.integers(0, 10))
def test_imported_days_add_to_the_sites_own_days_as_the_rows_say(site, source, generated, first, length):
    ImportedStat.objects.all().delete()
    if source is ROLLED:
        rollups.roll_up_site(site, now=T0 + timedelta(days=2))
    _write(site, generated)
    dates = DateRange(DAY0 + timedelta(days=first), DAY0 + timedelta(days=first + length), "UTC")
    metrics = ("visitors", "visits", "pageviews", "bounce_rate", "visit_duration")
    query = StatsQuery(site_id=site.id, dates=dates, metrics=metrics)
    native = source.totals(query, dates)
    combined = stats.run(replace(query, with_imported=True), source=source)
    expected = stats.counts.metrics(native + _imported(site, dates.first, dates.last, dimension=""))
    assert combined.imported is True
    assert {name: value.value for name, value in combined.values.items()} == {name: expected[name] for name in metrics}

    by_source = stats.run(
        replace(query, kind=Kind.BREAKDOWN, breakdown="visit:source", with_imported=True), source=source
    )
    native_values = source.by_value(replace(query, breakdown="visit:source"), dates)
    for shown, row in by_source.rows:
        value = "" if shown == "Direct / None" else shown
        visitors = native_values.get(value, Counts()).visitors
        assert (
            row["visitors"]
            == visitors + _imported(site, dates.first, dates.last, dimension="visit:source", value=value).visitors
        )

    daily = stats.run(replace(query, kind=Kind.TIMESERIES, with_imported=True), source=source)
    for day, row in daily.rows:
        own = source.totals(query, DateRange(day, day, "UTC")).visitors
        assert row["visitors"] == own + _imported(site, day, day, dimension="").visitors


def test_days_of_the_sites_own_data_never_take_imported_rows(site):
    ImportedStatFactory(job__site=site, site=site, day=FIRST_NATIVE, visitors=1000)
    query = StatsQuery(site_id=site.id, dates=DateRange(FIRST_NATIVE, T0.date(), "UTC"), with_imported=True)
    assert (
        stats.run(query).values["visitors"].value
        == stats.run(replace(query, with_imported=False)).values["visitors"].value
    )


def test_a_site_without_own_data_takes_every_imported_day():
    site = SiteFactory()
    ImportedStatFactory(job__site=site, site=site, day=T0.date(), visitors=7, visits=8, pageviews=9)
    query = StatsQuery(
        site_id=site.id,
        dates=DateRange(T0.date(), T0.date(), "UTC"),
        metrics=("visitors", "pageviews"),
        with_imported=True,
    )
    assert native_start(site.id, "UTC") is None
    assert {name: value.value for name, value in stats.run(query).values.items()} == {"visitors": 7, "pageviews": 9}


def test_filters_by_the_imported_property_select_its_rows():
    site = SiteFactory()
    job = ImportFactory(site=site)
    for value, visitors in (("Google", 5), ("Bing", 3), ("", 2)):
        ImportedStatFactory(job=job, site=site, dimension="visit:source", value=value, visitors=visitors)
    dates = DateRange(T0.date(), T0.date(), "UTC")
    for flt, visitors in (
        (Filter("visit:source", Operator.IS, ("Google", "")), 7),
        (Filter("visit:source", Operator.IS_NOT, ("Google",)), 5),
        (Filter("visit:source", Operator.CONTAINS, ("goo", "bin")), 8),
    ):
        query = StatsQuery(site_id=site.id, dates=dates, filters=(flt,), with_imported=True)
        assert stats.run(query).values["visitors"].value == visitors


@pytest.mark.parametrize(
    ("params", "kind", "included"),
    [
        ({}, Kind.AGGREGATE, True),
        ({"filters": "visit:country==DE"}, Kind.AGGREGATE, True),
        ({"filters": "visit:country==DE", "property": "visit:country"}, Kind.BREAKDOWN, True),
        ({"interval": "week"}, Kind.TIMESERIES, True),
        ({"filters": "visit:country==DE", "property": "visit:source"}, Kind.BREAKDOWN, False),
        ({"filters": "visit:country==DE;visit:source==Google"}, Kind.AGGREGATE, False),
        ({"filters": "event:props:plan==pro"}, Kind.AGGREGATE, False),
        ({"property": "visit:browser_version"}, Kind.BREAKDOWN, False),
        ({"filters": "event:goal==Signup"}, Kind.AGGREGATE, False),
        ({"interval": "hour"}, Kind.TIMESERIES, False),
        ({"metrics": "visitors,engaged_time,scroll_depth"}, Kind.AGGREGATE, True),
    ],
)
def test_only_questions_imported_rows_can_answer_take_them(params, kind, included):
    query = build_query(site_id=1, timezone="UTC", params={"with_imported": "true", **params}, now=T0, kind=kind)
    assert answers(query) is included


def test_a_query_imported_rows_cannot_answer_says_so_and_counts_without_them():
    site = SiteFactory()
    ImportedStatFactory(job__site=site, site=site, dimension="visit:source", value="Google", visitors=5)
    query = build_query(
        site_id=site.id,
        timezone="UTC",
        params={"with_imported": "true", "filters": "visit:source==Google;visit:country==DE", "date": "2026-11-20"},
        now=T0,
    )
    result = stats.run(query)
    assert result.imported is False
    assert result.values["visitors"].value == 0
    assert stats.run(replace(query, with_imported=False)).imported is None


def test_with_imported_takes_true_or_false_only():
    with pytest.raises(stats.QueryError) as error:
        build_query(site_id=1, timezone="UTC", params={"with_imported": "yes"}, now=T0)
    assert error.value.field == "with_imported"


def test_engaged_time_and_scroll_depth_stay_the_sites_own(site):
    ImportedStatFactory(job__site=site, site=site, day=FIRST_NATIVE - timedelta(days=1), visits=1000, visitors=900)
    dates = DateRange(FIRST_NATIVE - timedelta(days=1), T0.date(), "UTC")
    query = StatsQuery(site_id=site.id, dates=dates, metrics=("visits", "engaged_time", "scroll_depth"))
    own = {name: value.value for name, value in stats.run(query).values.items()}
    combined = {name: value.value for name, value in stats.run(replace(query, with_imported=True)).values.items()}
    assert combined == {**own, "visits": cast(int, own["visits"]) + 1000}


@pytest.mark.parametrize("status", [Import.Status.RUNNING, Import.Status.QUEUED, Import.Status.FAILED])
def test_rows_of_an_unfinished_import_are_not_counted(status):
    site = SiteFactory()
    ImportedStatFactory(job__site=site, job__status=status, site=site, visitors=9)
    query = StatsQuery(site_id=site.id, dates=DateRange(T0.date(), T0.date(), "UTC"), with_imported=True)
    assert stats.run(query).values["visitors"].value == 0
