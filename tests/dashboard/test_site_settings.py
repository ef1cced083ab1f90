"""The settings page: only owners manage; goals, funnels, members, keys, share links, time zone; CSRF on every form."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from imports.models import Import, ImportedStat
from imports.services import import_create
from sites.goals import funnel_create, goal_create
from sites.keys import api_key_authenticate
from sites.models import ApiKey, Funnel, Goal, Membership, ShareLink, Site
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/sites/stats.example/settings/"


@pytest.fixture
def owner(site):
    user = UserFactory(username="owner")
    MembershipFactory(site=site, user=user, role="owner")
    MembershipFactory(site=site, user=UserFactory(username="viewer"), role="viewer")
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_only_owners_see_settings(client, owner, site):
    from django.contrib.auth.models import User

    assert client.get(SETTINGS).status_code == 302  # to the login
    client.force_login(User.objects.get(username="viewer"))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(f"{SETTINGS}share").status_code == 403
    client.force_login(UserFactory())
    assert client.get(SETTINGS).status_code == 404
    client.force_login(owner)
    page = client.get(SETTINGS).content.decode()
    assert 'data-domain="stats.example"' in page
    assert "the last event arrived" in page  # the install check


def test_the_dashboard_links_settings_for_owners_only(client, owner):
    from django.contrib.auth.models import User

    client.force_login(owner)
    assert b'href="/sites/stats.example/settings/"' in client.get("/sites/stats.example/").content
    client.force_login(User.objects.get(username="viewer"))
    assert b"/settings/" not in client.get("/sites/stats.example/").content


def test_install_check_waits_for_the_first_event(client):
    empty = SiteFactory(domain="empty.example")
    user = UserFactory()
    MembershipFactory(site=empty, user=user, role="owner")
    client.force_login(user)
    assert "No event has arrived yet" in client.get("/sites/empty.example/settings/").content.decode()


def test_timezone_change_and_a_bad_zone(owner_client, site):
    owner_client.post(f"{SETTINGS}timezone", {"timezone": "Europe/Berlin"})
    site.refresh_from_db()
    assert site.timezone == "Europe/Berlin"
    page = owner_client.post(f"{SETTINGS}timezone", {"timezone": "Mars/Olympus"}, follow=True).content.decode()
    assert "not one of the available choices" in page
    site.refresh_from_db()
    assert site.timezone == "Europe/Berlin"


def test_members_are_added_changed_and_removed_but_one_owner_stays(owner_client, owner, site):
    UserFactory(username="newcomer")
    owner_client.post(f"{SETTINGS}members", {"username": "newcomer", "role": "viewer"})
    assert Membership.objects.get(site=site, user__username="newcomer").role == "viewer"
    page = owner_client.post(f"{SETTINGS}members", {"username": "ghost", "role": "viewer"}, follow=True)
    assert "No active user" in page.content.decode()
    mine = Membership.objects.get(site=site, user=owner)
    page = owner_client.post(f"{SETTINGS}members/{mine.id}/remove", follow=True).content.decode()
    assert "at least one owner" in page
    assert Membership.objects.filter(id=mine.id).exists()
    theirs = Membership.objects.get(site=site, user__username="newcomer")
    owner_client.post(f"{SETTINGS}members/{theirs.id}/remove")
    assert not Membership.objects.filter(id=theirs.id).exists()


def test_a_new_key_is_shown_once_and_can_be_revoked(owner_client, owner, site):
    created = owner_client.post(f"{SETTINGS}keys", {"name": "reports", "scopes": ["stats:read"]})
    assert (created.status_code, created["Location"]) == (302, SETTINGS)  # a reload posts nothing again
    page = owner_client.get(SETTINGS).content.decode()
    key = ApiKey.objects.get(user=owner, name="reports")
    secret = page.split('id="new-secret">')[1].split("<")[0]
    assert api_key_authenticate(secret) == key
    assert list(key.sites.all()) == [site]
    assert secret not in owner_client.get(SETTINGS).content.decode()  # never again
    bad = owner_client.post(f"{SETTINGS}keys", {"name": "x", "scopes": ["root"]}, follow=True).content.decode()
    assert "not one of the available choices" in bad
    owner_client.post(f"{SETTINGS}keys/{key.prefix}/revoke")
    key.refresh_from_db()
    assert key.revoked is not None


def test_share_link_shows_the_dashboard_without_login_until_revoked(owner_client, site):
    owner_client.post(f"{SETTINGS}share")
    link = ShareLink.objects.get(site=site)
    anonymous = Client()
    page = anonymous.get(f"/share/{link.token}/")
    assert page.status_code == 200
    assert f'data-data-url="/share/{link.token}/data/KIND"'.encode() in page.content
    assert b"/settings/" not in page.content
    data = anonymous.get(
        f"/share/{link.token}/data/aggregate", {"period": "custom", "date": "2026-11-20,2026-11-20"}
    ).json()
    assert data == {"results": {"visitors": {"value": 3}}}
    assert anonymous.get(f"/share/{link.token}/pages/", {"path": "/blog/x"}).status_code == 200
    assert anonymous.get(f"/sites/{site.domain}/settings/").status_code == 302
    owner_client.post(f"{SETTINGS}share/{link.id}/revoke")
    assert anonymous.get(f"/share/{link.token}/").status_code == 404
    assert anonymous.get(f"/share/{link.token}/data/aggregate").status_code == 404
    assert anonymous.get("/share/not-a-token/").status_code == 404


def test_every_settings_form_needs_the_csrf_token(owner, site):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    for action in ("timezone", "exclusions", "goals", "funnels", "members", "keys", "share"):
        assert strict.post(f"{SETTINGS}{action}", {}).status_code == 403
    assert not ShareLink.objects.exists()
    assert not Goal.objects.exists()
    assert not Funnel.objects.exists()


def test_settings_forms_only_take_posts(owner_client):
    assert owner_client.get(f"{SETTINGS}share").status_code == 405


def test_export_links_and_retention(owner_client, site):
    page = owner_client.get(SETTINGS).content.decode()
    assert "/sites/stats.example/export?format=csv" in page
    assert "/sites/stats.example/export?format=parquet" in page
    owner_client.post(f"{SETTINGS}retention", {"retention_days": "30", "archive_retention_days": ""})
    site.refresh_from_db()
    assert (site.retention_days, site.archive_retention_days) == (30, None)
    bad = owner_client.post(f"{SETTINGS}retention", {"retention_days": "-1"}, follow=True).content.decode()
    assert "greater than or equal to 1" in bad


def test_deleting_data_needs_the_domain_typed_and_keeps_the_site(owner_client, site):
    from sites.models import Site
    from tracker.models import Event, Session

    page = owner_client.post(f"{SETTINGS}delete-data", {"confirm": "wrong.example"}, follow=True).content.decode()
    assert "Type stats.example to confirm" in page
    assert Event.objects.filter(site=site).exists()
    owner_client.post(f"{SETTINGS}delete-data", {"confirm": "stats.example"})
    assert not Event.objects.filter(site=site).exists()
    assert not Session.objects.filter(site=site).exists()
    assert Site.objects.filter(id=site.id).exists()
    assert Membership.objects.filter(site=site).count() == 2


def test_deleting_the_site_needs_the_domain_and_an_owner(client, owner, site):
    from django.contrib.auth.models import User

    from sites.models import Site

    client.force_login(User.objects.get(username="viewer"))
    assert client.post(f"{SETTINGS}delete-site", {"confirm": "stats.example"}).status_code == 403
    client.force_login(owner)
    response = client.post(f"{SETTINGS}delete-site", {"confirm": "stats.example"})
    assert response["Location"] == "/"
    assert not Site.objects.filter(id=site.id).exists()


def test_keys_that_reach_the_site_are_listed_with_how_far_they_reach(owner_client, owner, site):
    from sites.keys import api_key_create
    from tests.factories import SiteFactory

    api_key_create(user=owner, name="everywhere", scopes=["stats:read"])
    api_key_create(user=owner, name="narrow", scopes=["stats:read"], sites=[site])
    api_key_create(user=owner, name="elsewhere", scopes=["stats:read"], sites=[SiteFactory()])
    page = owner_client.get(SETTINGS).content.decode()
    keys = page.split('id="keys"')[1].split("</section>")[0]
    assert "everywhere" in keys
    assert "all your sites" in keys
    assert "narrow" in keys
    assert "this site" in keys
    assert "elsewhere" not in keys


def test_the_page_tells_stored_from_dropped_events(owner_client, site):
    from django.utils import timezone

    from tracker.models import DropCount

    DropCount.objects.create(
        site=site, hour=timezone.now().replace(minute=0, second=0, microsecond=0), reason="bot", events=3
    )
    page = owner_client.get(SETTINGS).content.decode()
    arrivals = page.split('id="arrivals"')[1].split("</p>")[0]
    assert "<b>3</b>" in arrivals
    assert "from bots" in arrivals


GOALS = f"{SETTINGS}#goals"


def goals_section(client) -> str:
    """The goals section of the settings page, without the blanks between tags."""
    section = client.get(SETTINGS).content.decode().split('id="goals"')[1].split("</section>")[0]
    return re.sub(r">\s+<", "><", section)


def test_owners_add_page_and_event_goals_and_delete_them(owner_client, site):
    added = owner_client.post(f"{SETTINGS}goals", {"goal_type": "page", "page_path": "/blog/**", "display_name": ""})
    assert (added.status_code, added["Location"]) == (302, GOALS)  # a reload posts nothing again
    owner_client.post(
        f"{SETTINGS}goals",
        {"goal_type": "event", "event_name": "Signup", "prop_key": "plan", "prop_value": "pro", "display_name": "Pro"},
    )
    download = owner_client.post(f"{SETTINGS}goals", {"goal_type": "event", "event_name": "Download"}, follow=True)
    assert "Goal Download added" in download.content.decode()
    goals = {goal.display_name: goal for goal in Goal.objects.filter(site=site)}
    assert set(goals) == {"Visit /blog/**", "Pro", "Download"}
    assert (goals["Pro"].event_name, goals["Pro"].custom_props) == ("Signup", {"plan": "pro"})
    assert goals["Download"].custom_props == {}
    section = goals_section(owner_client)
    assert '<td>Visit /blog/**</td><td class="words">Page visit</td><td><code>/blog/**</code></td>' in section
    pro = '<td>Pro</td><td class="words">Custom event</td><td><code>Signup</code> with <code>plan</code> = <code>pro'
    assert pro in section
    deleted = owner_client.post(f"{SETTINGS}goals/{goals['Pro'].id}/delete", follow=True)
    assert deleted.redirect_chain == [(GOALS, 302)]
    assert "Goal deleted." in deleted.content.decode()
    assert set(Goal.objects.values_list("display_name", flat=True)) == {"Visit /blog/**", "Download"}
    again = owner_client.post(f"{SETTINGS}goals/{goals['Pro'].id}/delete", follow=True).content.decode()
    assert "No such goal." in again


def test_viewers_and_strangers_neither_add_nor_delete_goals(client, owner, site):
    from django.contrib.auth.models import User

    goal = goal_create(site=site, goal_type="event", event_name="Signup")
    adding = {"goal_type": "page", "page_path": "/x"}
    assert client.post(f"{SETTINGS}goals", adding)["Location"].startswith("/accounts/login/")
    client.force_login(User.objects.get(username="viewer"))
    assert client.post(f"{SETTINGS}goals", adding).status_code == 403
    assert client.post(f"{SETTINGS}goals/{goal.id}/delete").status_code == 403
    client.force_login(UserFactory())
    assert client.post(f"{SETTINGS}goals", adding).status_code == 404
    assert client.post(f"{SETTINGS}goals/{goal.id}/delete").status_code == 404
    assert list(Goal.objects.values_list("display_name", flat=True)) == ["Signup"]


def test_an_owner_cannot_delete_another_sites_goal(owner_client):
    theirs = goal_create(site=SiteFactory(domain="theirs.example"), goal_type="event", event_name="Signup")
    assert "No such goal." in owner_client.post(f"{SETTINGS}goals/{theirs.id}/delete", follow=True).content.decode()
    assert Goal.objects.filter(id=theirs.id).exists()


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        (
            {"goal_type": "page", "page_path": "blog/*", "display_name": "Blog"},
            "page_path",
            "starts with &#x27;/&#x27;",
        ),
        ({"goal_type": "page", "page_path": "", "display_name": "Blog"}, "page_path", "This field is required."),
        ({"goal_type": "event", "event_name": "pageview", "display_name": "Views"}, "event_name", "not a custom event"),
        ({"goal_type": "event", "event_name": "Signup", "prop_key": "a=b", "prop_value": "x"}, "prop_key", "key is"),
        ({"goal_type": "event", "event_name": "Signup", "prop_key": "plan"}, "prop_key", "A property value is"),
        (
            {"goal_type": "event", "event_name": "Buy", "display_name": "Taken"},
            "display_name",
            "named &#x27;Taken&#x27;",
        ),
    ],
)
def test_a_refused_goal_comes_back_beside_its_field_as_typed(owner_client, site, posted, field, message):
    goal_create(site=site, goal_type="event", event_name="Other", display_name="Taken")
    refused = owner_client.post(f"{SETTINGS}goals", posted)
    assert (refused.status_code, refused["Location"]) == (302, GOALS)
    assert Goal.objects.filter(site=site).count() == 1  # nothing created
    section = goals_section(owner_client)
    form = section.split(f'id="{posted["goal_type"]}-goal"')[1].split("</form>")[0]
    # The error sits with its field, which is marked invalid and described by it.
    error = form.split(f'<ul class="errorlist" id="id_{posted["goal_type"]}_goal_{field}_error">')[1].split("</ul>")[0]
    assert message in error
    assert (
        f'aria-describedby="id_{posted["goal_type"]}_goal_{field}_helptext id_{posted["goal_type"]}_goal_{field}_error"'
        in form
    )
    assert 'aria-invalid="true"' in form
    for name, value in posted.items():  # what was typed is still there
        if name != "goal_type" and value:
            assert f'name="{name}" value="{value}"' in form
    assert "errorlist" not in goals_section(owner_client)  # shown once, then the form is empty again


def test_a_goal_over_the_limit_is_refused_above_the_form(owner_client, site, monkeypatch):
    monkeypatch.setattr("sites.goals.MAX_GOALS", 1)
    goal_create(site=site, goal_type="event", event_name="Signup")
    owner_client.post(f"{SETTINGS}goals", {"goal_type": "page", "page_path": "/pricing"})
    form = goals_section(owner_client).split('id="page-goal"')[1].split("</form>")[0]
    assert "at most 1 goals" in form.split('class="errorlist nonfield"')[1].split("</ul>")[0]
    assert 'value="/pricing"' in form


def test_a_goal_of_no_known_type_is_refused(owner_client, site):
    page = owner_client.post(f"{SETTINGS}goals", {"goal_type": "visit", "page_path": "/x"}, follow=True)
    assert "page goal or a custom-event goal" in page.content.decode()
    assert not Goal.objects.exists()


def test_goal_definitions_are_shown_as_text(owner_client, site):
    goal_create(site=site, goal_type="event", event_name="<b>Buy</b>", custom_props={"x": "<i>y</i>"})
    section = goals_section(owner_client)
    assert "<b>Buy</b>" not in section
    assert "&lt;b&gt;Buy&lt;/b&gt;" in section
    assert "&lt;i&gt;y&lt;/i&gt;" in section


EXCLUSIONS = f"{SETTINGS}#exclusions"


def test_owners_set_exclusions_one_per_line_and_see_them_again(owner_client, site):
    rules = {
        "excluded_paths": "/admin/**\r\n\r\n/preview\n",
        "allowed_hostnames": "WWW.stats.example\n*.stats.example",
        "excluded_ip_ranges": "203.0.113.9/24",
    }
    response = owner_client.post(f"{SETTINGS}exclusions", rules)
    assert response["Location"] == EXCLUSIONS
    site.refresh_from_db()
    assert site.excluded_paths == ["/admin/**", "/preview"]
    assert site.allowed_hostnames == ["stats.example", "*.stats.example"]
    assert site.excluded_ip_ranges == ["203.0.113.0/24"]
    section = owner_client.get(SETTINGS).content.decode().split('id="exclusions"')[1].split("</section>")[0]
    assert "/admin/**\n/preview</textarea>" in section
    assert "203.0.113.0/24</textarea>" in section


def test_a_refused_exclusion_says_which_list_and_changes_nothing(owner_client, site):
    response = owner_client.post(f"{SETTINGS}exclusions", {"excluded_paths": "/ok", "excluded_ip_ranges": "office"})
    assert response["Location"] == EXCLUSIONS
    page = owner_client.get(SETTINGS).content.decode()
    assert "Excluded address ranges: &#x27;office&#x27; is no address range" in page
    site.refresh_from_db()
    assert site.excluded_paths == []


def test_the_page_names_exclusion_drops(owner_client, site):
    from django.utils import timezone

    from tracker.models import DropCount

    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    DropCount.objects.create(site=site, hour=hour, reason="excluded_path", events=2)
    arrivals = owner_client.get(SETTINGS).content.decode().split('id="arrivals"')[1].split("</p>")[0]
    assert "of excluded paths" in arrivals


FUNNELS = f"{SETTINGS}#funnels"


def funnels_section(response_or_client) -> str:
    """The funnels section of a settings page (fetched anew from a client), without the blanks between tags."""
    response = response_or_client
    if isinstance(response_or_client, Client):
        response = response_or_client.get(SETTINGS)
    section = response.content.decode().split('id="funnels"')[1].split("</section>")[0]
    return re.sub(r">\s+<", "><", section)


@pytest.fixture
def site_goals(site) -> dict[str, Goal]:
    """Four goals of stats.example, by name."""
    goal_create(site=site, goal_type="page", page_path="/pricing")
    goal_create(site=site, goal_type="page", page_path="/signup")
    goal_create(site=site, goal_type="event", event_name="Signup")
    goal_create(site=site, goal_type="event", event_name="Upgrade")
    return {goal.display_name: goal for goal in Goal.objects.filter(site=site)}


def chosen_steps(section: str) -> list[str]:
    """The goal chosen in each step row of the funnel form ("" for a blank row)."""
    rows = section.split('id="funnel-form"')[1].split('<li class="funnel-row">')[1:]
    return [row.split("selected>")[1].split("<")[0] if " selected>" in row else "" for row in rows]


def test_owners_add_a_funnel_of_goals_in_order_and_delete_it(owner_client, site, site_goals):
    steps = [site_goals["Signup"].id, "", site_goals["Visit /pricing"].id, site_goals["Upgrade"].id]
    added = owner_client.post(f"{SETTINGS}funnels", {"name": "Sign-ups", "steps": steps})
    assert (added.status_code, added["Location"]) == (302, FUNNELS)  # a reload posts nothing again
    funnel = Funnel.objects.get(site=site)
    assert [goal.display_name for goal in funnel.goals()] == ["Signup", "Visit /pricing", "Upgrade"]
    section = funnels_section(owner_client)
    assert (
        '<td>Sign-ups</td><td><ol class="funnel-steps"><li>Signup</li><li>Visit /pricing</li><li>Upgrade</li></ol>'
        in section
    )
    assert chosen_steps(section) == ["", "", "", ""]  # the form is empty again, with its default rows
    # Deleting asks first (a <details> that opens on a click, without a script), then deletes the funnel only.
    assert "<summary>Delete</summary>" in section
    assert "Delete the funnel Sign-ups? Its goals stay." in section
    deleted = owner_client.post(f"{SETTINGS}funnels/{funnel.id}/delete", follow=True)
    assert deleted.redirect_chain == [(FUNNELS, 302)]
    assert "Funnel deleted; its goals stay." in deleted.content.decode()
    assert not Funnel.objects.exists()
    assert Goal.objects.filter(site=site).count() == 4
    again = owner_client.post(f"{SETTINGS}funnels/{funnel.id}/delete", follow=True).content.decode()
    assert "No such funnel." in again


def test_the_funnel_form_offers_the_sites_goals_in_rows(owner_client, site_goals):
    section = funnels_section(owner_client)
    assert "No funnels yet." in section
    form = section.split('id="funnel-form"')[1].split("</form>")[0]
    assert 'data-min-steps="2" data-max-steps="8"' in section
    assert form.count('<select name="steps"') == 4
    assert form.count('<option value="">— no step —</option>') == 4
    assert f'<option value="{site_goals["Upgrade"].id}">Upgrade</option>' in form
    assert 'aria-label="Step 4"' in form


def test_without_two_goals_there_is_no_funnel_form(owner_client, site):
    goal_create(site=site, goal_type="event", event_name="Signup")
    section = funnels_section(owner_client)
    assert 'id="funnel-form"' not in section
    assert "add at least 2 goals above to make one" in section


@pytest.mark.parametrize(
    ("posted", "status", "field", "message"),
    [
        (
            {"name": "Taken", "steps": ["Signup", "Upgrade"]},
            409,
            "name",
            "The site has a funnel named 'Taken' already.",
        ),
        ({"name": "One", "steps": ["Signup", ""]}, 400, "steps", "A funnel has 2 to 8 steps."),
        ({"name": "Twice", "steps": ["Signup", "Signup"]}, 400, "steps", "A goal is one step of a funnel, not two."),
        ({"name": "", "steps": ["Signup", "Upgrade"]}, 400, "name", "This field is required."),
        ({"name": "Gone", "steps": ["Signup", "999999"]}, 400, "steps", "The site has no such goal"),
        ({"name": "Text", "steps": ["Signup", "x"]}, 400, "steps", "The site has no such goal"),
    ],
)
def test_a_refused_funnel_comes_back_at_once_with_its_error_and_a_4xx(
    owner_client, site, site_goals, posted, status, field, message
):
    funnel_create(site=site, name="Taken", steps=["Visit /pricing", "Visit /signup"])
    ids = {name: str(goal.id) for name, goal in site_goals.items()}
    steps = [ids.get(step, step) for step in posted["steps"]]
    refused = owner_client.post(f"{SETTINGS}funnels", {**posted, "steps": steps})
    assert refused.status_code == status
    assert Funnel.objects.count() == 1
    section = funnels_section(refused)
    error = section.split(f'id="id_funnel_{field}_error">')[1].split("</ul>")[0]
    assert message in html.unescape(error)
    form = section.split('id="funnel-form"')[1].split("</form>")[0]
    if posted["name"]:
        assert f'value="{posted["name"]}"' in form  # as typed
    known = [step if step in site_goals else "" for step in posted["steps"]]
    assert chosen_steps(section) == known + [""] * (4 - len(known))  # the rows as posted, blanks where they were


def test_a_funnel_of_nine_steps_or_over_the_limit_is_refused(owner_client, site, monkeypatch):
    goals = [goal_create(site=site, goal_type="page", page_path=f"/step/{n}") for n in range(9)]
    nine = owner_client.post(f"{SETTINGS}funnels", {"name": "Long", "steps": [goal.id for goal in goals]})
    assert nine.status_code == 400
    assert "A funnel has 2 to 8 steps." in funnels_section(nine)
    assert len(chosen_steps(funnels_section(nine))) == 9  # every posted row is shown again
    flood = owner_client.post(f"{SETTINGS}funnels", {"name": "Flood", "steps": [goals[0].id] * 500})
    assert flood.status_code == 400
    assert len(chosen_steps(funnels_section(flood))) == 16  # up to twice the most steps
    monkeypatch.setattr("sites.goals.MAX_FUNNELS", 1)
    funnel_create(site=site, name="First", steps=["Visit /step/0", "Visit /step/1"])
    over = owner_client.post(f"{SETTINGS}funnels", {"name": "Second", "steps": [goals[2].id, goals[3].id]})
    assert over.status_code == 400
    errors = funnels_section(over).split('class="errorlist nonfield"')[1].split("</ul>")[0]
    assert "A site has at most 1 funnels." in errors
    assert list(Funnel.objects.values_list("name", flat=True)) == ["First"]


def test_viewers_and_strangers_neither_add_nor_delete_funnels(client, owner, site, site_goals):
    from django.contrib.auth.models import User

    funnel = funnel_create(site=site, name="Sign-ups", steps=["Visit /pricing", "Signup"])
    adding = {"name": "Mine", "steps": [site_goals["Signup"].id, site_goals["Upgrade"].id]}
    assert client.post(f"{SETTINGS}funnels", adding)["Location"].startswith("/accounts/login/")
    client.force_login(User.objects.get(username="viewer"))
    assert client.post(f"{SETTINGS}funnels", adding).status_code == 403
    assert client.post(f"{SETTINGS}funnels/{funnel.id}/delete").status_code == 403
    client.force_login(UserFactory())
    assert client.post(f"{SETTINGS}funnels", adding).status_code == 404
    assert client.post(f"{SETTINGS}funnels/{funnel.id}/delete").status_code == 404
    assert list(Funnel.objects.values_list("name", flat=True)) == ["Sign-ups"]


def test_an_owner_cannot_use_another_sites_goals_or_delete_its_funnel(owner_client, site, site_goals):
    theirs = cast(Site, SiteFactory(domain="theirs.example"))
    other = goal_create(site=theirs, goal_type="event", event_name="Signup")
    goal_create(site=theirs, goal_type="event", event_name="Upgrade")
    funnel = funnel_create(site=theirs, name="Theirs", steps=["Signup", "Upgrade"])
    refused = owner_client.post(f"{SETTINGS}funnels", {"name": "Mine", "steps": [site_goals["Signup"].id, other.id]})
    assert refused.status_code == 400
    assert "The site has no such goal" in funnels_section(refused)
    gone = owner_client.post(f"{SETTINGS}funnels/{funnel.id}/delete", follow=True).content.decode()
    assert "No such funnel." in gone
    assert Funnel.objects.filter(site=theirs).exists()


def test_funnel_and_goal_names_are_shown_as_text(owner_client, site):
    hostile = "<img src=x onerror=alert(1)>"
    goal_create(site=site, goal_type="event", event_name=hostile)
    goal_create(site=site, goal_type="event", event_name="Signup")
    funnel_create(site=site, name="<b>F</b>", steps=[hostile, "Signup"])
    section = funnels_section(owner_client)
    assert "<img" not in section
    assert "<b>F</b>" not in section
    assert "<li>&lt;img src=x onerror=alert(1)&gt;</li>" in section
    assert ">&lt;img src=x onerror=alert(1)&gt;</option>" in section
    assert "Delete the funnel &lt;b&gt;F&lt;/b&gt;?" in section


IMPORTS = f"{SETTINGS}imports"
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "imports"


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Post a file to the import form, running what the view queues after its commit (the import task;
    eager, as in the embedded mode)."""

    def post(client, name: str, format: str, content: bytes | None = None):
        data = content if content is not None else (SAMPLES / name).read_bytes()
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(IMPORTS, {"format": format, "file": SimpleUploadedFile(name, data)})

    return post


def test_owners_import_a_file_see_its_summary_and_delete_it(owner_client, site, upload):
    response = upload(owner_client, "plausible_export_malformed.zip", "plausible")
    assert (response.status_code, response["Location"]) == (302, f"{SETTINGS}#imports")
    job = Import.objects.get(site=site)
    assert job.status == Import.Status.DONE
    assert job.stats.exists()
    page = html.unescape(owner_client.get(SETTINGS).content.decode())
    assert "plausible_export_malformed.zip" in page
    assert "read 64 rows, imported 60" in page
    assert "imported_visitors_20250101_20250103.csv:5: bad_number (pageviews='abc')" in page
    assert "2025-01-01 to 2025-01-03" in page
    again = upload(owner_client, "plausible_export_malformed.zip", "plausible")
    assert again.status_code == 302
    assert Import.objects.count() == 1
    assert "was imported before; nothing changed" in owner_client.get(SETTINGS).content.decode()
    assert owner_client.post(f"{IMPORTS}/{job.id}/delete").status_code == 302
    assert not Import.objects.exists()
    assert not ImportedStat.objects.exists()


def test_a_file_of_another_format_is_refused_at_its_field(owner_client, site, upload):
    response = upload(owner_client, "ga4_reports.zip", "plausible")
    assert response.status_code == 400
    assert "The zip holds no Plausible CE export files" in html.unescape(response.content.decode())
    response = upload(owner_client, "plausible_export.zip", "umami")
    assert response.status_code == 400
    assert "Not an Umami website_event export" in html.unescape(response.content.decode())
    response = upload(owner_client, "notes.csv", "ga4", b"just,some\ntext,here\n")
    assert response.status_code == 400
    assert "no table with a Date column" in response.content.decode()
    response = owner_client.post(IMPORTS, {"format": "matomo"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Import.objects.exists()


def test_a_file_over_the_limit_is_refused_with_413(owner_client, site, settings, upload):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    response = upload(owner_client, "umami_website_event.csv", "umami")
    assert response.status_code == 413
    assert (
        "larger than 0.0009765625 MB" in response.content.decode()
        or "manage.py import_stats" in response.content.decode()
    )
    assert not Import.objects.exists()


def test_a_damaged_zip_fails_the_import_with_a_reason(owner_client, site, upload):
    data = bytearray((SAMPLES / "plausible_export.zip").read_bytes())
    data[200:260] = b"\0" * 60  # inside the first member's compressed bytes
    assert upload(owner_client, "export.zip", "plausible", bytes(data)).status_code == 302
    job = Import.objects.get()
    assert job.status == Import.Status.FAILED
    assert "damaged" in job.error
    assert not ImportedStat.objects.exists()


def test_viewers_and_strangers_cannot_import_or_delete(client, owner, site, upload):
    from django.contrib.auth.models import User

    job, _ = import_create(site_id=site.id, format="umami", file_name="x.csv", file=io.BytesIO(b"x"))
    client.force_login(User.objects.get(username="viewer"))
    assert upload(client, "umami_website_event.csv", "umami").status_code == 403
    assert client.post(f"{IMPORTS}/{job.id}/delete").status_code == 403
    client.force_login(UserFactory())
    assert upload(client, "umami_website_event.csv", "umami").status_code == 404
    assert Import.objects.count() == 1


def test_another_sites_import_cannot_be_deleted_from_here(owner_client, site):
    other, _ = import_create(site_id=SiteFactory().id, format="umami", file_name="x.csv", file=io.BytesIO(b"x"))
    assert owner_client.post(f"{IMPORTS}/{other.id}/delete").status_code == 302
    assert Import.objects.filter(id=other.id).exists()


def test_the_import_form_needs_its_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(IMPORTS, {"format": "umami", "file": SimpleUploadedFile("x.csv", b"session_id\n")})
    assert response.status_code == 403
    assert not Import.objects.exists()
