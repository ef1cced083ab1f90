"""The demo traffic generator: deterministic, realistic, and fed through the real pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from tests.factories import SiteFactory
from tracker.demo.traffic import TrafficGenerator
from tracker.models import Event, Session

END = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def generate(seed: int) -> list[tuple]:
    generator = TrafficGenerator(site_id=1, domain="demo.example", days=3, visitors=200, end=END, seed=seed)
    return [
        (h.uuid, h.name, h.url, h.referrer, h.timestamp, h.user_agent, h.ip, h.props)
        for day in generator.days_of_hits()
        for h in day
    ]


def test_same_seed_same_events():
    assert generate(7) == generate(7)
    assert generate(7) != generate(8)


def test_days_come_in_time_order_within_the_window():
    generator = TrafficGenerator(site_id=1, domain="demo.example", days=5, visitors=300, end=END, seed=1)
    last = END - timedelta(days=6)
    for day in generator.days_of_hits():
        for hit in day:
            assert last <= hit.timestamp <= END
            last = hit.timestamp


@pytest.fixture
def site():
    return SiteFactory(domain="demo.example")


def run(site, *extra: str) -> None:
    call_command(
        "generate_traffic", "--site", site.domain, "--days", "7", "--visitors", "400", "--end", END.isoformat(), *extra
    )


@pytest.mark.django_db
def test_command_produces_a_realistic_mix(site, capsys):
    run(site)
    out = capsys.readouterr()
    assert "Generated" in out.out
    assert "events/s" in out.out
    assert "7/7" in out.err  # the progress bar reached the last day
    events = Event.objects.filter(site=site)

    def values(field: str) -> dict[str, int]:
        return dict(events.values_list(field).annotate(n=Count("id")))

    assert len(values("browser")) >= 4
    assert set(values("device_type")) == {"desktop", "mobile", "tablet"}
    assert {"Google", "newsletter", "Hacker News"} <= set(values("referrer_source"))
    assert {"pageview", "engagement", "Signup", "File Download"} <= set(values("name"))
    assert len(values("path")) > 10
    assert not events.filter(browser="Googlebot").exists()  # bots were dropped by the pipeline
    sessions = Session.objects.filter(site=site)
    bounce_rate = sessions.filter(is_bounce=True).count() / sessions.count()
    assert 0.1 < bounce_rate < 0.7
    assert sessions.filter(pageviews__gte=3).exists()


@pytest.mark.django_db
def test_rerunning_a_seed_stores_nothing_twice(site, capsys):
    run(site)
    stored = Event.objects.count()
    run(site)
    assert Event.objects.count() == stored
    run(site, "--if-empty")
    assert "already has events" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("args", [["--site", "missing.example"], ["--site", "demo.example", "--days", "0"]])
def test_bad_arguments(site, args):
    with pytest.raises(CommandError):
        call_command("generate_traffic", *args)
