"""Adding a site from the browser: the form, the snippet page and its install check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sites.models import Membership, Site
from tests.factories import EventFactory, MembershipFactory, SiteFactory, UserFactory
from tracker.models import DropCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(client):
    user = UserFactory(username="newcomer")
    client.force_login(user)
    return user


def test_the_form_offers_every_time_zone_and_lets_the_browser_pick(client, user):
    page = client.get("/new-site/").content.decode()
    assert 'name="domain"' in page
    assert '<option value="Europe/Berlin">' in page
    assert "data-browser-zone" in page
    assert "dashboard/onboarding.js" in page


def test_adding_a_site_makes_the_user_its_owner_and_shows_the_snippet(client, user):
    response = client.post("/new-site/", {"domain": " WWW.Blog.Example. ", "timezone": "Europe/Berlin"})
    assert response.status_code == 302
    assert response["Location"] == "/sites/blog.example/setup/"
    site = Site.objects.get(domain="blog.example")
    assert site.timezone == "Europe/Berlin"
    assert site.memberships.get().user == user
    assert site.memberships.get().role == Membership.Role.OWNER
    page = client.get(response["Location"]).content.decode()
    assert 'data-domain="blog.example" src="http://testserver/js/script.js"' in page
    assert 'data-status-url="/sites/blog.example/setup/status"' in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"domain": "not a domain", "timezone": "UTC"}, "domain", "is not a domain"),
        ({"domain": "", "timezone": "UTC"}, "domain", "required"),
        ({"domain": "a.example", "timezone": "Mars/Olympus"}, "timezone", "Select a valid choice"),
        ({"domain": "taken.example", "timezone": "UTC"}, "domain", "already exists"),
        ({"domain": "x" * 254, "timezone": "UTC"}, "domain", "at most 253"),
    ],
)
def test_a_refused_site_answers_400_with_the_error_beside_its_field(client, user, data, field, message):
    SiteFactory(domain="taken.example")
    response = client.post("/new-site/", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert Site.objects.count() == 1


def test_a_long_domain_gets_a_name_within_its_column(client, user):
    domain = ".".join(["a" * 60] * 4)  # 243 characters
    assert client.post("/new-site/", {"domain": domain, "timezone": "UTC"}).status_code == 302
    assert Site.objects.get(domain=domain).name == domain[:200]


def test_the_status_waits_for_the_first_event(client, user):
    site = SiteFactory(domain="blog.example")
    MembershipFactory(user=user, site=site)
    status = client.get("/sites/blog.example/setup/status")
    assert status.json() == {"received": False, "stored": 0, "dropped": {}}
    EventFactory(site=site, timestamp=timezone.now() - timedelta(minutes=1))
    assert client.get("/sites/blog.example/setup/status").json() == {"received": True, "stored": 1, "dropped": {}}


def test_the_status_says_when_events_arrive_but_are_dropped(client, user):
    site = SiteFactory(domain="blog.example")
    MembershipFactory(user=user, site=site)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    DropCount.objects.create(site_id=site.id, hour=hour, reason="bot", events=3)
    assert client.get("/sites/blog.example/setup/status").json() == {
        "received": False,
        "stored": 0,
        "dropped": {"bot": 3},
    }


def test_the_site_list_links_the_form(client, user):
    assert b'href="/new-site/"' in client.get("/").content
