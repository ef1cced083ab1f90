"""A report renders to both parts with the same numbers, and a chart that is a real PNG."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from reports import periods
from reports.content import report_content
from reports.render import CHART_CID, CHART_SIZE, SCALE, _change, chart_png, duration, figures, render_report
from stats.counts import MetricValue
from tests.reports.traffic import WEEK_START, subscribed_site
from tests.tracker.events import hit
from tracker import pipeline

pytestmark = pytest.mark.django_db


def rendered(site, unsubscribe="https://f.example/unsubscribe/t"):
    dates = periods.period_containing("week", date(2026, 11, 23), "UTC")
    content = report_content(site, "week", dates, periods.previous("week", dates))
    return render_report(content, dashboard_url="https://f.example/sites/mail.example/", unsubscribe_url=unsubscribe)


def test_both_parts_carry_the_numbers_and_links():
    report = rendered(subscribed_site())
    for part in (report.text, report.html):
        assert "mail.example" in part
        assert "+200%" in part
        assert "/blog/x" in part
        assert "Signup" in part
        assert "https://f.example/unsubscribe/t" in part
        assert "https://f.example/sites/mail.example/" in part
    assert f"cid:{CHART_CID}" in report.html
    assert "<script" not in report.html
    assert "http://" not in report.html.replace("https://f.example", "")  # no remote images or styles


def test_values_a_visitor_sent_are_escaped_in_the_html():
    site = subscribed_site()
    pipeline.process_batch([hit(site, 9, WEEK_START, "/<b>x</b>")])
    report = rendered(site)
    assert "/&lt;b&gt;x&lt;/b&gt;" in report.html
    assert "/<b>x</b>" in report.text


def test_a_mail_sent_on_request_has_no_unsubscribe_link():
    report = rendered(subscribed_site(), unsubscribe=None)
    assert "unsubscribe" not in report.text.lower()
    assert "sent on request" in report.html


def test_the_chart_is_a_png_of_the_shown_size_at_twice_the_pixels():
    days = [(date(2026, 11, 23) + timedelta(days=n), n * 3) for n in range(7)]
    image = Image.open(io.BytesIO(chart_png(days)))
    assert image.format == "PNG"
    assert image.size == (CHART_SIZE[0] * SCALE, CHART_SIZE[1] * SCALE)
    # Bars are drawn: the chart is not blank.
    assert len(image.getcolors(maxcolors=100_000) or []) > 2


def test_an_empty_chart_still_renders():
    assert chart_png([]).startswith(b"\x89PNG")
    assert chart_png([(date(2026, 11, 23), 0)]).startswith(b"\x89PNG")


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (59, "59s"), (61, "1m 01s"), (None, "0s")])
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_a_falling_bounce_rate_is_good_news():
    site = subscribed_site()
    dates = periods.period_containing("week", date(2026, 11, 23), "UTC")
    tones = {f.label: f.tone for f in figures(report_content(site, "week", dates, periods.previous("week", dates)))}
    assert tones == {"Visitors": "good", "Pageviews": "good", "Bounce rate": "good", "Visit duration": ""}


@pytest.mark.parametrize(
    ("name", "metric", "shown"),
    [
        ("visitors", MetricValue(1, 2, -50), ("-50%", "bad")),
        ("bounce_rate", MetricValue(80, 60, 20), ("+20 pts", "bad")),
        ("visit_duration", MetricValue(60, 60, 0), ("+0%", "")),
        ("pageviews", MetricValue(5, 0, None), ("", "")),
    ],
)
def test_changes(name, metric, shown):
    assert _change(name, metric) == shown
