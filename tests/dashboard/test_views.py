"""The dashboard shell: login required, and each user sees only their own sites."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_site_list_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_site_list_shows_only_the_users_sites(client):
    mine = MembershipFactory().site
    theirs = SiteFactory(domain="theirs.example")
    client.force_login(mine.memberships.get().user)
    page = client.get("/").content.decode()
    assert mine.domain in page
    assert theirs.domain not in page


def test_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_empty_state_says_what_to_do(client):
    client.force_login(UserFactory())
    assert b"No sites yet" in client.get("/").content


def test_demo_page_carries_the_snippet_and_lists_events(client):
    from tests.factories import EventFactory
    from tracker.demo.traffic import DEMO_DOMAIN

    site = SiteFactory(domain=DEMO_DOMAIN)
    EventFactory(site=site, name="Signup", path="/demo/page-2", props={"plan": "<b>pro</b>"})
    client.force_login(MembershipFactory(site=site, role="viewer").user)
    page = client.get("/demo/page-2").content.decode()
    assert f'data-domain="{DEMO_DOMAIN}"' in page
    assert 'src="/js/script.js"' in page
    assert "/demo/page-2" in page
    assert "&lt;b&gt;pro&lt;/b&gt;" in page  # visitor data is escaped


def test_demo_page_is_for_the_demo_sites_members(client):
    from tracker.demo.traffic import DEMO_DOMAIN

    SiteFactory(domain=DEMO_DOMAIN)
    assert client.get("/demo/")["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get("/demo/").status_code == 404


@pytest.fixture
def dashboard_site(site):
    """The shared stats site with an owner and a viewer."""
    MembershipFactory(site=site, role="owner", user=UserFactory(username="owner"))
    MembershipFactory(site=site, role="viewer", user=UserFactory(username="viewer"))
    return site


def data(client, kind, **params):
    params = {"period": "custom", "date": "2026-11-20,2026-11-20", **params}
    return client.get(f"/sites/stats.example/data/{kind}", params)


@pytest.mark.parametrize("username", ["owner", "viewer"])
def test_members_see_the_dashboard_and_its_data(client, dashboard_site, username):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username=username))
    page = client.get("/sites/stats.example/")
    assert page.status_code == 200
    assert b'data-data-url="/sites/stats.example/data/KIND"' in page.content
    assert b"vendor/chartjs/chart.umd.min.js" in page.content
    assert data(client, "aggregate", metrics="visitors,pageviews").json() == {
        "results": {"visitors": {"value": 3}, "pageviews": {"value": 4}}
    }


def test_strangers_get_404_for_page_and_data_alike(client, dashboard_site):
    client.force_login(UserFactory())
    assert client.get("/sites/stats.example/").status_code == 404
    assert data(client, "aggregate").status_code == 404
    assert client.get("/sites/missing.example/").status_code == 404


@pytest.mark.parametrize("url", ["/", "/sites/stats.example/", "/sites/stats.example/pages/?path=/"])
def test_pages_refuse_writes(client, dashboard_site, url):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="owner"))
    assert client.post(url).status_code == 405


def test_anonymous_users_are_sent_to_login(client, dashboard_site):
    for url in ("/sites/stats.example/", "/sites/stats.example/data/aggregate"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_timeseries_with_comparison_and_breakdown_with_more(client, dashboard_site):
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    series = data(client, "timeseries", metrics="visitors", compare="previous_period", interval="day").json()
    assert series == {
        "results": [{"date": "2026-11-20", "visitors": 3}],
        "comparison": [{"date": "2026-11-19", "visitors": 1}],
        "current": None,  # the day is past: no bucket of it is still in progress
    }
    first = data(client, "breakdown", property="event:page", metrics="visitors", limit=1).json()
    assert first == {"results": [{"page": "/blog/x", "visitors": 2}], "more": True}
    last = data(client, "breakdown", property="event:page", metrics="visitors", limit=2, page=2).json()
    assert last == {"results": [{"page": "/about", "visitors": 1}], "more": False}
    assert data(client, "realtime").json() == {"visitors": 0}


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("aggregate", {"period": "fortnight"}, "period"),
        ("aggregate", {"metrics": "happiness"}, "metrics"),
        ("timeseries", {"interval": "minute"}, "interval"),
        ("breakdown", {}, "property"),
        ("breakdown", {"property": "event:page", "limit": "0"}, "limit"),
        ("breakdown", {"property": "event:page", "page": "x"}, "page"),
        ("aggregate", {"filters": "visit:mood==happy"}, "filters"),
        # The goals panel and the conversion rate card ask for these; a bad goal query is a JSON error too.
        ("aggregate", {"metrics": "visitors,conversion_rate"}, "metrics"),
        ("timeseries", {"metrics": "conversion_rate", "filters": "event:page==/"}, "metrics"),
        ("breakdown", {"property": "event:page", "metrics": "conversion_rate"}, "metrics"),
        ("aggregate", {"filters": "event:goal~Sign"}, "filters"),
        ("aggregate", {"filters": "event:goal==", "metrics": "conversion_rate"}, "filters"),
        ("breakdown", {"property": "event:goals", "metrics": "visitors,conversion_rate"}, "property"),
    ],
)
def test_bad_queries_get_json_errors(client, dashboard_site, kind, params, field):
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    response = data(client, kind, **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    assert response.json()["error"]["field"] == field


def test_unknown_data_kind_is_404(client, dashboard_site):
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    assert data(client, "everything").status_code == 404


def test_dashboard_requests_have_bounded_queries(client, dashboard_site, django_assert_max_num_queries):
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    with django_assert_max_num_queries(9):
        client.get("/sites/stats.example/")
    with django_assert_max_num_queries(14):
        data(client, "aggregate", metrics="visitors,bounce_rate", compare="previous_period")
    with django_assert_max_num_queries(10):
        data(client, "breakdown", property="visit:source")
    # Imported days: where the site's own data begins (two queries), then one per count.
    with django_assert_max_num_queries(18):
        data(client, "aggregate", metrics="visitors,bounce_rate", compare="previous_period", with_imported="true")
    with django_assert_max_num_queries(13):
        data(client, "breakdown", property="visit:source", with_imported="true")


def test_pages_carry_a_content_security_policy_without_inline_scripts(client, dashboard_site):
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    policy = client.get("/sites/stats.example/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_article_page_and_its_data(client, dashboard_site):
    client.force_login(dashboard_site.memberships.get(role="viewer").user)
    page = client.get("/sites/stats.example/pages/", {"path": "/blog/x"})
    assert page.status_code == 200
    assert b'data-path="/blog/x"' in page.content
    assert client.get("/sites/stats.example/pages/").status_code == 404  # no path
    assert client.get("/sites/stats.example/pages/", {"path": "blog"}).status_code == 404
    nexts = data(client, "next", path="/blog/x").json()
    assert nexts == {"results": [{"page": "/about", "visitors": 1, "pageviews": 1}], "more": False}
    scroll = data(client, "scroll", filters="event:page==/blog/x").json()
    assert [band["reads"] for band in scroll["results"]] == [1, 0, 0, 0, 0]
    error = data(client, "next", path="x").json()["error"]
    assert (error["code"], error["field"]) == ("invalid_query", "path")


def test_hostile_article_paths_are_escaped(client, dashboard_site):
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    page = client.get("/sites/stats.example/pages/", {"path": '/"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_password_change_and_reset_pages(client):
    from django.core import mail

    user = UserFactory(username="forgetful", email="forgetful@example.com")
    page = client.get("/accounts/password_reset/")
    assert page.status_code == 200
    assert b"Reset your password" in page.content
    client.post("/accounts/password_reset/", {"email": "forgetful@example.com"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    confirm = client.get(link.strip().split("testserver", 1)[1], follow=True)
    assert b"Choose a new password" in confirm.content
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase")
    client.force_login(user)
    assert b"Change your password" in client.get("/accounts/password_change/").content


def test_props_data_lists_custom_property_keys(client, dashboard_site):
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    assert data(client, "props").json() == {"results": ["plan"]}


def test_data_requests_are_rate_limited_per_user(client, dashboard_site, settings):
    settings.DASHBOARD_RATE_LIMIT_PER_MINUTE = 2
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    assert [data(client, "aggregate").status_code for _ in range(3)] == [200, 200, 429]
    refused = data(client, "realtime")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 60
    other = Client()
    other.force_login(dashboard_site.memberships.get(role="viewer").user)
    assert data(other, "aggregate").status_code == 200


def test_share_link_data_is_rate_limited_per_client(client, dashboard_site, settings):
    from sites.services import share_link_create

    settings.DASHBOARD_RATE_LIMIT_PER_MINUTE = 1
    token = share_link_create(dashboard_site).token
    url = f"/share/{token}/data/aggregate"
    assert client.get(url, REMOTE_ADDR="198.51.100.1").status_code == 200
    assert client.get(url, REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.get(url, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_the_bucket_in_progress_is_named_for_the_chart(client, dashboard_site):
    from django.utils import timezone

    client.force_login(dashboard_site.memberships.get(role="owner").user)
    today = timezone.now().date().isoformat()
    hours = client.get("/sites/stats.example/data/timeseries", {"period": "day"}).json()
    assert hours["current"] == timezone.now().replace(minute=0, second=0, microsecond=0, tzinfo=None).isoformat()
    assert client.get("/sites/stats.example/data/timeseries", {"period": "7d"}).json()["current"] == today


def test_the_site_list_shows_each_sites_visitors_and_a_line_of_its_days(client, dashboard_site):
    from datetime import timedelta

    from django.utils import timezone

    from tests.known_site import hit
    from tracker import pipeline

    now = timezone.now()
    recent = hit(dashboard_site, 42, 0, "/")
    recent.timestamp = now - timedelta(hours=2)
    pipeline.process_batch([recent])
    client.force_login(dashboard_site.memberships.get(role="owner").user)
    page = client.get("/").content.decode()
    row = page.split('class="site-row"')[1]
    assert "<b>1</b> visitors in 24 hours" in row
    assert "<polyline points=" in row


@pytest.fixture
def goals(dashboard_site):
    """Goals of stats.example: the newsletter reader's Signup (at /), reads of /blog/* (visitors 1 and 2),
    views of / (the newsletter reader that day; visitor 1 the day before), one nobody reached."""
    from sites.goals import goal_create

    goal_create(site=dashboard_site, goal_type="event", event_name="Signup")
    goal_create(site=dashboard_site, goal_type="page", page_path="/blog/*")
    goal_create(site=dashboard_site, goal_type="page", page_path="/", display_name="Home; or | not")
    goal_create(site=dashboard_site, goal_type="event", event_name="Nothing")
    return dashboard_site


def test_the_goals_panel_data(client, goals):
    client.force_login(goals.memberships.get(role="viewer").user)
    panel = data(client, "breakdown", property="event:goal", metrics="visitors,events,conversion_rate", limit=10)
    assert panel.json() == {
        "results": [
            {"goal": "Visit /blog/*", "visitors": 2, "events": 2, "conversion_rate": 66.7},
            {"goal": "Home; or | not", "visitors": 1, "events": 1, "conversion_rate": 33.3},
            {"goal": "Signup", "visitors": 1, "events": 1, "conversion_rate": 33.3},
        ],
        "more": False,
    }
    # Within the page's other filters: Google sent one visitor, who read /blog/x.
    google = data(
        client,
        "breakdown",
        property="event:goal",
        metrics="visitors,events,conversion_rate",
        filters="visit:source==Google",
    )
    assert google.json()["results"] == [{"goal": "Visit /blog/*", "visitors": 1, "events": 1, "conversion_rate": 100.0}]


def test_the_conversion_rate_card_data(client, goals):
    from stats.query import escape_filter_value

    client.force_login(goals.memberships.get(role="owner").user)
    home = escape_filter_value("Home; or | not")  # a goal's name is one value, whatever it holds
    cards = data(
        client,
        "aggregate",
        metrics="visitors,conversion_rate",
        filters=f"event:goal=={home}",
        compare="previous_period",
    )
    assert cards.json() == {
        "results": {
            "visitors": {"value": 1, "comparison_value": 1, "change": 0},
            # 1 of 3 visitors against 1 of 1 the day before: a change in percentage points.
            "conversion_rate": {"value": 33.3, "comparison_value": 100.0, "change": -66.7},
        }
    }
    series = data(client, "timeseries", metrics="conversion_rate", filters="event:goal==Signup", interval="day")
    assert series.json()["results"] == [{"date": "2026-11-20", "conversion_rate": 33.3}]
    unknown = data(client, "aggregate", metrics="visitors,conversion_rate", filters="event:goal==Gone")
    assert unknown.json() == {"results": {"visitors": {"value": 0}, "conversion_rate": {"value": 0.0}}}


def test_an_articles_goals_count_conversions_on_the_article(client, goals):
    """The article page filters events by its page: goals reached on it count, others of the same visit not."""
    client.force_login(goals.memberships.get(role="owner").user)
    metrics = "visitors,events,conversion_rate"
    home = data(client, "breakdown", property="event:goal", metrics=metrics, filters="event:page==/").json()
    assert home["results"] == [
        {"goal": "Home; or | not", "visitors": 1, "events": 1, "conversion_rate": 100.0},
        {"goal": "Signup", "visitors": 1, "events": 1, "conversion_rate": 100.0},
    ]
    blog = data(client, "breakdown", property="event:goal", metrics=metrics, filters="event:page==/blog/x").json()
    assert blog["results"] == [{"goal": "Visit /blog/*", "visitors": 2, "events": 2, "conversion_rate": 100.0}]


def test_the_pages_carry_a_goals_panel_and_a_hidden_conversion_rate_card(client, dashboard_site):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="owner"))
    page = client.get("/sites/stats.example/").content.decode()
    assert (
        '<button type="button" data-property="event:goal" data-label="Goals" data-metrics="events,conversion_rate"'
        in page
    )
    assert '<button type="button" class="metric" data-metric="conversion_rate" hidden>' in page
    # No goal yet: the panel says so, and sends owners to the settings' goals.
    assert 'No goals yet: <a href="/sites/stats.example/settings/#goals">add one in the settings</a>.' in page
    article = client.get("/sites/stats.example/pages/", {"path": "/blog/x"}).content.decode()
    assert 'data-property="event:goal"' in article
    assert 'data-metric="conversion_rate" hidden' in article
    assert "/settings/#goals" in article
    client.force_login(User.objects.get(username="viewer"))
    page = client.get("/sites/stats.example/").content.decode()
    assert "No goals yet; the site's owners add them." in page
    assert "/settings/" not in page


def test_with_goals_the_panel_waits_for_conversions(client, goals):
    client.force_login(goals.memberships.get(role="owner").user)
    page = client.get("/sites/stats.example/").content.decode()
    assert "No conversions in this period." in page
    assert "No goals yet" not in page


def test_the_site_lists_queries_do_not_grow_with_its_sites(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory()
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    MembershipFactory(user=user, site=SiteFactory(timezone="Europe/Berlin"))
    one = queries()
    for zone in ("UTC", "Asia/Kolkata", "UTC"):
        MembershipFactory(user=user, site=SiteFactory(timezone=zone))
    assert queries() == one


@pytest.fixture
def funnel(dashboard_site):
    """Reading on stats.example: /blog/x, then /about in the same visit (visitors 1 and 2 read /blog/x on the
    day, visitor 1 went on to /about); and a funnel of another site."""
    from sites.goals import funnel_create, goal_create

    goal_create(site=dashboard_site, goal_type="page", page_path="/blog/x")
    goal_create(site=dashboard_site, goal_type="page", page_path="/about")
    theirs = SiteFactory(domain="theirs.example")
    goal_create(site=theirs, goal_type="page", page_path="/a")
    goal_create(site=theirs, goal_type="page", page_path="/b")
    funnel_create(site=theirs, name="Theirs", steps=["Visit /a", "Visit /b"])
    return funnel_create(site=dashboard_site, name="Reading", steps=["Visit /blog/x", "Visit /about"])


def funnel_steps(body) -> list[tuple[str, int, float, float, int, float]]:
    return [
        (s["goal"], s["visitors"], s["conversion_rate"], s["conversion_rate_step"], s["dropoff"], s["dropoff_rate"])
        for s in body["steps"]
    ]


def test_the_funnel_panel_data_is_run_funnels_answer(client, funnel):
    from django.utils import timezone

    import stats
    from dashboard.results import funnel_json

    client.force_login(funnel.site.memberships.get(role="viewer").user)
    body = data(client, "funnel", funnel=funnel.id).json()
    assert body["funnel"] == {"id": funnel.id, "name": "Reading"}
    assert (body["all_visitors"], body["entering_visitors"]) == (3, 2)
    assert funnel_steps(body) == [("Visit /blog/x", 2, 100.0, 100.0, 0, 0.0), ("Visit /about", 1, 50.0, 50.0, 1, 50.0)]
    params = {"period": "custom", "date": "2026-11-20,2026-11-20"}
    query = stats.build_query(site_id=funnel.site.id, timezone="UTC", params=params, now=timezone.now())
    assert body == funnel_json(stats.run_funnel(query, funnel))
    assert "comparison" not in body


def test_the_funnel_panel_data_follows_the_pages_filters_and_comparison(client, funnel):
    client.force_login(funnel.site.memberships.get(role="owner").user)
    google = data(client, "funnel", funnel=funnel.id, filters="visit:source==Google").json()
    assert (google["all_visitors"], [step[1] for step in funnel_steps(google)]) == (1, [1, 1])
    compared = data(client, "funnel", funnel=funnel.id, compare="previous_period").json()
    assert [step[1] for step in funnel_steps(compared)] == [2, 1]
    # The day before, visitor 1 read / only: one visitor, none in the funnel.
    assert compared["comparison"]["all_visitors"] == 1
    assert [step["visitors"] for step in compared["comparison"]["steps"]] == [0, 0]


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"funnel": "999999"}, 404, "funnel_not_found", "funnel"),
        ({"funnel": "Theirs"}, 404, "funnel_not_found", "funnel"),  # another site's, by name
        ({"funnel": "THEIRS_ID"}, 404, "funnel_not_found", "funnel"),  # and by id
        ({}, 400, "invalid_query", "funnel"),
        ({"funnel": " "}, 400, "invalid_query", "funnel"),
        ({"funnel": "x" * 121}, 400, "invalid_query", "funnel"),
        ({"funnel": "ID", "filters": "visit:mood==happy"}, 400, "invalid_query", "filters"),
        ({"funnel": "ID", "period": "fortnight"}, 400, "invalid_query", "period"),
        ({"funnel": "ID", "compare": "last_century"}, 400, "invalid_query", "compare"),
    ],
)
def test_bad_funnel_requests_get_json_errors(client, funnel, params, status, code, field):
    from sites.models import Funnel

    ids = {"ID": str(funnel.id), "THEIRS_ID": str(Funnel.objects.get(name="Theirs").id)}
    client.force_login(funnel.site.memberships.get(role="owner").user)
    response = data(client, "funnel", **{key: ids.get(value, value) for key, value in params.items()})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field


def test_strangers_and_anonymous_readers_get_no_funnel(client, funnel):
    assert data(client, "funnel", funnel=funnel.id)["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert data(client, "funnel", funnel=funnel.id).status_code == 404


def test_a_share_link_reads_its_sites_funnels_only(client, funnel):
    from sites.models import Funnel
    from sites.services import share_link_create

    token = share_link_create(funnel.site).token
    params = {"period": "custom", "date": "2026-11-20,2026-11-20"}
    shared = client.get(f"/share/{token}/data/funnel", {**params, "funnel": funnel.id})
    assert [step["visitors"] for step in shared.json()["steps"]] == [2, 1]
    theirs = Funnel.objects.get(name="Theirs").id
    refused = client.get(f"/share/{token}/data/funnel", {**params, "funnel": theirs})
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "funnel_not_found")
    page = client.get(f"/share/{token}/").content.decode()
    assert f'<option value="{funnel.id}">Reading</option>' in page
    assert f'data-data-url="/share/{token}/data/KIND"' in page


def test_the_site_page_has_a_funnels_panel_when_the_site_has_funnels(client, funnel):
    from sites.goals import funnel_create

    client.force_login(funnel.site.memberships.get(role="viewer").user)
    funnel_create(site=funnel.site, name="<img src=x onerror=alert(1)>", steps=["Visit /about", "Visit /blog/x"])
    page = client.get("/sites/stats.example/").content.decode()
    panel = page.split('id="funnels"')[1].split("</section>")[0]
    assert 'data-funnel-panel data-state="waiting"' in page
    assert f'<option value="{funnel.id}">Reading</option>' in panel
    assert "&lt;img src=x onerror=alert(1)&gt;</option>" in panel
    assert "<img" not in panel
    assert "Computing the funnel" in panel
    # An article's page has no funnels; a site without funnels no panel.
    assert "data-funnel-panel" not in client.get("/sites/stats.example/pages/", {"path": "/blog/x"}).content.decode()
    funnel.site.funnels.all().delete()
    assert "data-funnel-panel" not in client.get("/sites/stats.example/").content.decode()


def test_funnel_requests_have_bounded_queries(client, funnel, django_assert_max_num_queries):
    client.force_login(funnel.site.memberships.get(role="owner").user)
    with django_assert_max_num_queries(9):
        client.get("/sites/stats.example/")
    # Session, user, device, site, funnel, steps; then the stats layer's per period: steps, rollup state, totals.
    with django_assert_max_num_queries(14):
        data(client, "funnel", funnel=funnel.id, compare="previous_period")
