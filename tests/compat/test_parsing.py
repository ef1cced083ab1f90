"""The µAnalytics request shapes: the time parser, header derivations, bodies (hypothesis for the parsers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compat.errors import CompatError
from compat.parsing import format_unix, parse_analytic, parse_time, platform_of, read_params, referer_domain_of

NOON = datetime(2015, 11, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2015-11-20T12:00:00Z",
        "2015-11-20T12:00:00.999Z",
        "2015-11-20T13:00:00+01:00",
        "Fri, 20 Nov 2015 12:00:00 GMT",
        "Mon, 20 NOV 2015 12:00:00 PST",
        "1448020800",
    ],
)
def test_accepted_times(text):
    assert parse_time(text) == NOON


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2015-11-20",
        "2015-11-20T12:00:00",
        "2015-11-20 12:00:00Z",
        "2015-11-20T12:00:60Z",
        "Fri, 20 Nov 2015",
        "Fri, 20 Nov 2015 12:00:00 +0000",
        "Xyz, 20 Nov 2015 12:00:00 GMT",
        "+1448020800",
        "253402300800",
        "١٢٣",
    ],
)
def test_rejected_times(text):
    assert parse_time(text) is None


@given(st.text(max_size=40))
def test_the_time_parser_never_raises(text):
    moment = parse_time(text)
    assert moment is None or (moment.tzinfo is UTC and moment.microsecond == 0)


@given(st.integers(-(2**40), 2**40))
def test_bucket_edges_format_for_any_second(seconds):
    text = format_unix(seconds)
    assert text.endswith("Z")
    if -62_135_596_800 <= seconds <= 253_402_300_799:
        assert datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() == seconds


@pytest.mark.parametrize(
    ("agent", "platform"),
    [
        ("Mozilla/5.0 (Windows Phone 10.0; Windows NT 10.0)", "Microsoft Windows Phone"),
        ("Mozilla/5.0 (iPad; CPU OS 17 like Mac OS X; Macintosh)", "iPad"),
        ("Mozilla/5.0 (Linux; Android 14)", "Android"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14)", "Apple Mac"),
        ("curl/8.0", "Curl"),
        ("Mozilla/5.0 (X11; CrOS x86_64)", ""),
    ],
)
def test_platform_rules_in_order(agent, platform):
    assert platform_of(agent) == platform


@pytest.mark.parametrize(
    ("referer", "domain"),
    [
        ("https://u@WWW.Ex.com:8443/p", "WWW.Ex.com:8443"),
        ("http://[::1]:80/x", "[::1]:80"),
        ("www.x.com/p", ""),
        ("/path", ""),
        ("//host/p", ""),
        ("localhost:8080/p", ""),
        ("http://a:b/", ""),
        ("", ""),
    ],
)
def test_referer_domain(referer, domain):
    assert referer_domain_of(referer) == domain


@given(st.text(max_size=60))
def test_referer_domain_never_raises(text):
    assert isinstance(referer_domain_of(text), str)


def test_analytic_keys_fold_case_and_the_last_wins():
    analytic = parse_analytic({"Event": "a", "EVENT": "b", "refererdomain": "r", "x": 1, "path": None})
    assert (analytic.event, analytic.referer_domain, analytic.path) == ("b", "r", "")


def test_read_params_take_the_first_value_and_unique_only_as_true():
    params = read_params({"start": ["1448020800", "x"], "unique": ["true"], "interval": ["5"]}, interval=True)
    assert (params.start, params.unique, params.interval) == (NOON, True, 5)
    assert read_params({"unique": ["True"]}).unique is False
    with pytest.raises(CompatError):
        read_params({"interval": ["0"]}, interval=True)
