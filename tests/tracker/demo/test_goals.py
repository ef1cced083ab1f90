"""The demo site's goals and funnel: created once, matching the demo traffic, left alone afterwards."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from django.core.management import call_command

import stats
from sites.goals import funnel_delete, goal_delete
from sites.models import Funnel, Goal, Site
from stats import DateRange, Kind, StatsQuery
from stats.dimensions import GOAL
from tests.factories import SiteFactory
from tracker.demo.goals import DEMO_FUNNEL, demo_goals_create
from tracker.demo.traffic import DEMO_DOMAIN

pytestmark = pytest.mark.django_db


def goal_names(site: Site) -> list[str]:
    return list(site.goals.order_by("id").values_list("display_name", flat=True))


def test_the_demo_site_gets_goals_and_a_three_step_funnel_once():
    site = cast(Site, SiteFactory(domain=DEMO_DOMAIN))
    demo_goals_create(site)
    demo_goals_create(site)
    assert goal_names(site) == ["Visit the home page", "Read an article", "Signup", "File Download"]
    funnel = Funnel.objects.get(site=site)
    assert funnel.name == DEMO_FUNNEL[0]
    assert [goal.display_name for goal in funnel.goals()] == ["Visit the home page", "Read an article", "Signup"]


def test_an_owners_changes_stay():
    site = cast(Site, SiteFactory(domain=DEMO_DOMAIN))
    demo_goals_create(site)
    funnel_delete(site=site, funnel_id=Funnel.objects.get().id)
    goal_delete(site=site, goal_id=Goal.objects.get(display_name="File Download").id)
    demo_goals_create(site)  # goals are left as they are; the funnel comes back, its goals being there
    assert goal_names(site) == ["Visit the home page", "Read an article", "Signup"]
    assert Funnel.objects.count() == 1
    goal_delete(site=site, goal_id=Goal.objects.get(display_name="Signup").id)  # and its funnel with it
    demo_goals_create(site)
    assert not Funnel.objects.exists()
    assert goal_names(site) == ["Visit the home page", "Read an article"]


def test_bootstrap_creates_them_for_the_demo_site(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("bootstrap", "--quiet")
    call_command("bootstrap", "--quiet")
    site = Site.objects.get(domain=DEMO_DOMAIN)
    assert len(goal_names(site)) == 4
    assert Funnel.objects.filter(site=site).count() == 1


def test_the_demo_traffic_goes_through_the_funnel(capsys):
    """A week of demo traffic reaches every demo goal, and the funnel has visitors at each step."""
    site = cast(Site, SiteFactory(domain=DEMO_DOMAIN))
    demo_goals_create(site)
    end = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    call_command(
        "generate_traffic", "--site", site.domain, "--days", "7", "--visitors", "400", "--end", end.isoformat()
    )
    query = StatsQuery(site_id=site.id, dates=DateRange.between(end - timedelta(days=8), end, "UTC"))
    result = stats.run_funnel(query, Funnel.objects.get(site=site))
    reached = [step.visitors for step in result.counts.steps]
    assert result.counts.all_visitors > reached[0] > reached[1] > reached[2] > 0
    goals = stats.run(replace(query, kind=Kind.BREAKDOWN, breakdown=GOAL, metrics=("visitors",), limit=10))
    assert {name for name, _ in goals.rows} == set(goal_names(site))
