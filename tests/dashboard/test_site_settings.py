"""The settings page: only owners manage; goals, members, keys, share links, time zone; CSRF on every form."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sites.goals import goal_create
from sites.keys import api_key_authenticate
from sites.models import ApiKey, Goal, Membership, ShareLink
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
    for action in ("timezone", "exclusions", "goals", "members", "keys", "share"):
        assert strict.post(f"{SETTINGS}{action}", {}).status_code == 403
    assert not ShareLink.objects.exists()
    assert not Goal.objects.exists()


def test_settings_forms_only_take_posts(owner_client):
    assert owner_client.get(f"{SETTINGS}share").status_code == 405


def test_export_links_and_retention(owner_client, site):
    page = owner_client.get(SETTINGS).content.decode()
    assert "/sites/stats.example/export?format=csv" in page
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
