"""Defining goals and funnels: Plausible's fields and defaults, and every definition refused with its code and field."""

from __future__ import annotations

import pytest

from sites.goals import MAX_FUNNELS, MAX_GOALS, GoalError, funnel_create, funnel_delete, goal_create, goal_delete
from sites.models import Funnel, FunnelStep, Goal
from tests.factories import SiteFactory
from tracker.lifecycle.deletion import site_delete

pytestmark = pytest.mark.django_db


EVENT_A = {"goal_type": "event", "event_name": "A"}


@pytest.fixture
def site():
    return SiteFactory(domain="shop.example")


def test_page_and_event_goals_get_plausibles_default_names(site):
    page = goal_create(site=site, goal_type="page", page_path=" /blog/** ")
    event = goal_create(site=site, goal_type="event", event_name="Signup")
    with_prop = goal_create(site=site, goal_type="event", event_name="Signup", custom_props={"plan": "pro"})
    named = goal_create(site=site, goal_type="event", event_name="Download", display_name="  Got the PDF ")
    assert [(g.display_name, g.page_path, g.event_name, g.custom_props) for g in Goal.objects.order_by("id")] == [
        ("Visit /blog/**", "/blog/**", "", {}),
        ("Signup", "", "Signup", {}),
        ("Signup (plan=pro)", "", "Signup", {"plan": "pro"}),
        ("Got the PDF", "", "Download", {}),
    ]
    assert (page.goal_type, event.goal_type, with_prop.prop_key, named.display_name) == (
        "page",
        "event",
        "plan",
        "Got the PDF",
    )


@pytest.mark.parametrize(
    ("definition", "code", "field"),
    [
        ({"goal_type": "visit"}, "invalid_field", "goal_type"),
        ({"goal_type": "page", "page_path": "blog"}, "invalid_field", "page_path"),
        ({"goal_type": "page", "page_path": ""}, "invalid_field", "page_path"),
        ({"goal_type": "page", "page_path": "/a b"}, "invalid_field", "page_path"),
        ({"goal_type": "page", "page_path": "/" + "a" * 2000}, "invalid_field", "page_path"),
        ({"goal_type": "page", "page_path": "/x", "event_name": "Signup"}, "invalid_field", "event_name"),
        ({"goal_type": "page", "page_path": "/x", "custom_props": {"a": "b"}}, "invalid_field", "custom_props"),
        ({"goal_type": "event", "event_name": ""}, "invalid_field", "event_name"),
        ({"goal_type": "event", "event_name": "x" * 121}, "invalid_field", "event_name"),
        ({"goal_type": "event", "event_name": "pageview"}, "invalid_field", "event_name"),
        ({"goal_type": "event", "event_name": "engagement"}, "invalid_field", "event_name"),
        ({**EVENT_A, "page_path": "/x"}, "invalid_field", "page_path"),
        (
            {**EVENT_A, "custom_props": {"a": "1", "b": "2"}},
            "invalid_field",
            "custom_props",
        ),
        ({**EVENT_A, "custom_props": {"a=b": "1"}}, "invalid_field", "custom_props"),
        ({**EVENT_A, "custom_props": {"a": ""}}, "invalid_field", "custom_props"),
        ({**EVENT_A, "custom_props": {"a": 3}}, "invalid_field", "custom_props"),
        ({**EVENT_A, "display_name": "x" * 121}, "invalid_field", "display_name"),
    ],
)
def test_bad_definitions_are_refused(site, definition, code, field):
    with pytest.raises(GoalError) as refused:
        goal_create(site=site, **definition)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not Goal.objects.exists()


def test_a_goal_is_defined_once_and_named_once_per_site(site):
    goal_create(site=site, goal_type="event", event_name="Signup")
    with pytest.raises(GoalError) as same:
        goal_create(site=site, goal_type="event", event_name="Signup", display_name="Again")
    assert same.value.code == "goal_exists"
    with pytest.raises(GoalError) as same_name:
        goal_create(site=site, goal_type="page", page_path="/join", display_name="Signup")
    assert (same_name.value.code, same_name.value.field) == ("goal_exists", "display_name")
    # Another site may have the same goal.
    goal_create(site=SiteFactory(), goal_type="event", event_name="Signup")
    assert Goal.objects.count() == 2


def test_a_site_has_a_bounded_number_of_goals(site):
    Goal.objects.bulk_create(
        Goal(site=site, goal_type="page", page_path=f"/p{n}", display_name=f"Visit /p{n}") for n in range(MAX_GOALS)
    )
    with pytest.raises(GoalError) as refused:
        goal_create(site=site, goal_type="page", page_path="/one-more")
    assert refused.value.code == "too_many_goals"


def test_deleting_a_goal_of_the_site_only(site):
    goal = goal_create(site=site, goal_type="page", page_path="/x")
    assert not goal_delete(site=SiteFactory(), goal_id=goal.id)
    assert goal_delete(site=site, goal_id=goal.id)
    assert not goal_delete(site=site, goal_id=goal.id)


@pytest.fixture
def goals(site):
    for path in ("/a", "/b", "/c"):
        goal_create(site=site, goal_type="page", page_path=path)
    return ["Visit /a", "Visit /b", "Visit /c"]


def test_a_funnel_keeps_its_steps_in_order(site, goals):
    funnel = funnel_create(site=site, name=" Checkout ", steps=[goals[2], goals[0]])
    assert funnel.name == "Checkout"
    assert [goal.display_name for goal in funnel.goals()] == ["Visit /c", "Visit /a"]


@pytest.mark.parametrize(
    ("name", "steps", "code", "field"),
    [
        ("", ["Visit /a", "Visit /b"], "invalid_field", "name"),
        ("x" * 121, ["Visit /a", "Visit /b"], "invalid_field", "name"),
        ("One", ["Visit /a"], "invalid_field", "steps"),
        ("Nine", ["Visit /a", "Visit /b"] * 5, "invalid_field", "steps"),
        ("Twice", ["Visit /a", "Visit /b", "Visit /a"], "invalid_field", "steps"),
        ("Unknown", ["Visit /a", "Visit /z"], "invalid_field", "steps"),
        ("Taken", ["Visit /b", "Visit /c"], "funnel_exists", "name"),
    ],
)
def test_bad_funnels_are_refused(site, goals, name, steps, code, field):
    funnel_create(site=site, name="Taken", steps=goals[:2])
    with pytest.raises(GoalError) as refused:
        funnel_create(site=site, name=name, steps=steps)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert Funnel.objects.count() == 1


def test_a_site_has_a_bounded_number_of_funnels(site, goals):
    Funnel.objects.bulk_create(Funnel(site=site, name=f"f{n}") for n in range(MAX_FUNNELS))
    with pytest.raises(GoalError) as refused:
        funnel_create(site=site, name="one more", steps=goals[:2])
    assert refused.value.code == "too_many_funnels"


def test_deleting_a_goal_removes_the_funnels_it_is_a_step_of(site, goals):
    with_b = funnel_create(site=site, name="a b", steps=goals[:2])
    without_b = funnel_create(site=site, name="a c", steps=[goals[0], goals[2]])
    assert goal_delete(site=site, goal_id=Goal.objects.get(display_name="Visit /b").id)
    assert list(Funnel.objects.all()) == [without_b]
    assert not FunnelStep.objects.filter(funnel_id=with_b.id).exists()
    # A funnel goes alone; its goals stay.
    assert funnel_delete(site=site, funnel_id=without_b.id)
    assert not funnel_delete(site=site, funnel_id=without_b.id)
    assert Goal.objects.count() == 2


def test_deleting_a_site_with_goals_and_funnels(site, goals):
    funnel_create(site=site, name="all", steps=goals)
    site_delete(site)
    assert [model.objects.count() for model in (Goal, Funnel, FunnelStep)] == [0, 0, 0]
