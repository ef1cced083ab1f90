"""The Stats API v1: Plausible's shapes, bearer keys, scopes, key management, rate limits, no leaks."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from sites.keys import api_key_create
from sites.models import ApiKey, Membership
from tests.factories import ImportedStatFactory, ImportFactory, MembershipFactory, SiteFactory, UserFactory
from tracker import ratelimit

pytestmark = pytest.mark.django_db

DAY = {"period": "day", "date": "2026-11-20"}


@pytest.fixture
def key(site):
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    return api_key_create(user=user, name="reader", scopes=["stats:read"])[1]


def get(client, path, key, **params):
    return client.get(f"/api/v1/stats/{path}", params, headers={"Authorization": f"Bearer {key}"} if key else {})


def test_aggregate(client, key):
    response = get(client, "aggregate", key, site_id="stats.example", metrics="visitors,pageviews,bounce_rate", **DAY)
    assert response.status_code == 200
    assert response.json() == {
        "results": {"visitors": {"value": 3}, "pageviews": {"value": 4}, "bounce_rate": {"value": 67}}
    }


def test_aggregate_with_comparison(client, key):
    response = get(client, "aggregate", key, site_id="stats.example", compare="previous_period", **DAY)
    assert response.json() == {"results": {"visitors": {"value": 3, "comparison_value": 1, "change": 200}}}


def test_timeseries(client, key):
    response = get(client, "timeseries", key, site_id="stats.example", period="7d", date="2026-11-20")
    rows = response.json()["results"]
    assert len(rows) == 7
    assert rows[-1] == {"date": "2026-11-20", "visitors": 3}


def test_breakdown(client, key):
    response = get(
        client,
        "breakdown",
        key,
        site_id="stats.example",
        property="event:page",
        limit=2,
        metrics="visitors,pageviews",
        **DAY,
    )
    assert response.json() == {
        "results": [{"page": "/blog/x", "visitors": 2, "pageviews": 2}, {"page": "/", "visitors": 1, "pageviews": 1}]
    }


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("aggregate", {"period": "fortnight"}, "period"),
        ("aggregate", {"metrics": "revenue"}, "metrics"),
        ("aggregate", {"filters": "visit:planet==Mars"}, "filters"),
        ("aggregate", {"period": "custom", "date": "2026-01-01"}, "date"),
        ("timeseries", {"interval": "minute"}, "interval"),
        ("breakdown", {}, "property"),
        ("breakdown", {"property": "event:page", "limit": "0"}, "limit"),
    ],
)
def test_bad_queries_are_400_with_the_field(client, key, path, params, field):
    response = get(client, path, key, site_id="stats.example", **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    assert response.json()["error"]["field"] == field


def test_missing_site_id_is_400(client, key):
    response = get(client, "aggregate", key)
    assert (response.status_code, response.json()["error"]["field"]) == (400, "site_id")


def test_no_key_is_401_and_bad_key_is_401(client, site):
    response = get(client, "aggregate", None, site_id="stats.example")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "missing_api_key")
    assert response["WWW-Authenticate"] == "Bearer"
    assert get(client, "aggregate", "ff_nope_nope", site_id="stats.example").status_code == 401


def test_key_without_stats_scope_is_403(client, site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    _, writer = api_key_create(user=user, name="writer", scopes=["events:write"])
    response = get(client, "aggregate", writer, site_id="stats.example")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "insufficient_scope")


def test_other_sites_and_missing_sites_look_the_same(client, key):
    SiteFactory(domain="someone-else.example")
    hidden = get(client, "aggregate", key, site_id="someone-else.example")
    missing = get(client, "aggregate", key, site_id="nowhere.example")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "site_not_found"


def test_key_restricted_to_another_site_gets_404(client, site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    other = MembershipFactory(user=user).site
    _, narrowed = api_key_create(user=user, name="narrow", scopes=["stats:read"], sites=[other])
    assert get(client, "aggregate", narrowed, site_id="stats.example").status_code == 404


def test_realtime_visitors(client, key, recent_visitors):
    response = client.get(
        "/api/v1/stats/realtime/visitors", {"site_id": "stats.example"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert (response.status_code, response.json()) == (200, recent_visitors)
    assert get(client, "realtime/visitors", key).status_code == 400


def sites_call(client, key, method="get", **data):
    headers = {"Authorization": f"Bearer {key}"}
    if method == "get":
        return client.get("/api/v1/sites", headers=headers)
    return client.post("/api/v1/sites", data, content_type="application/json", headers=headers)


def test_sites_lists_only_the_keys_sites(client, key):
    SiteFactory(domain="someone-else.example")
    assert sites_call(client, key).json() == {
        "sites": [{"domain": "stats.example", "name": "stats.example", "timezone": "UTC"}]
    }


def test_create_site_with_sites_manage(client):
    user = UserFactory()
    _, manager = api_key_create(user=user, name="m", scopes=["sites:manage"])
    response = sites_call(client, manager, "post", domain="WWW.New.Example", timezone="Europe/Paris")
    assert (response.status_code, response.json()) == (
        201,
        {"domain": "new.example", "name": "new.example", "timezone": "Europe/Paris"},
    )
    assert Membership.objects.get(site__domain="new.example").user == user
    assert sites_call(client, manager).json()["sites"][0]["domain"] == "new.example"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"domain": "stats.example"}, "domain_taken", "domain"),
        ({"domain": "x.example", "timezone": "Mars/Olympus"}, "invalid_field", "timezone"),
        ({}, "invalid_field", "domain"),
    ],
)
def test_create_site_errors(client, site, data, code, field):
    _, manager = api_key_create(user=UserFactory(), name="m", scopes=["sites:manage"])
    response = sites_call(client, manager, "post", **data)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)


def test_reading_keys_cannot_create_sites(client, key):
    response = sites_call(client, key, "post", domain="x.example")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "insufficient_scope")


def test_realtime_visitors_needs_a_site_id(client, key):
    response = client.get("/api/v1/stats/realtime/visitors", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_query",
        "message": "This field is required.",
        "field": "site_id",
    }


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "2026-01-01,9999-12-31"])
def test_dates_beyond_the_stats_layers_arithmetic_are_400(client, key, date):
    for period in ("7d", "month", "12mo", "custom"):
        response = get(
            client, "aggregate", key, site_id="stats.example", period=period, date=date, compare="year_over_year"
        )
        assert response.status_code == 400
        assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("invalid_query", "date")


# --- keys ---------------------------------------------------------------------------------

ALL_SCOPES = ["events:write", "sites:manage", "stats:read"]


@pytest.fixture
def owner(site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    return user


@pytest.fixture
def manager(owner):
    """An unrestricted key with every scope: it manages all of its user's keys."""
    return api_key_create(user=owner, name="manager", scopes=ALL_SCOPES)[1]


def keys_call(client, key, method="get", path="", data=None, **kwargs):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    url = f"/api/v1/keys{path}"
    if method == "get":
        return client.get(url, headers=headers)
    if method == "delete":
        return client.delete(url, headers=headers)
    return client.post(url, data, content_type=kwargs.get("content_type", "application/json"), headers=headers)


def test_list_keys_shows_no_secret(client, owner, manager, site):
    reader, _ = api_key_create(user=owner, name="reader", scopes=["stats:read"], sites=[site])
    api_key_create(user=UserFactory(), name="stranger", scopes=["stats:read"])
    response = keys_call(client, manager)
    assert response.status_code == 200
    listed = {row["name"]: row for row in response.json()["keys"]}
    assert set(listed) == {"manager", "reader"}
    assert listed["reader"] == {
        "name": "reader",
        "prefix": reader.prefix,
        "scopes": ["stats:read"],
        "sites": ["stats.example"],
        "created": reader.created.isoformat().replace("+00:00", "Z"),
        "last_used": None,
        "revoked": None,
    }
    assert listed["manager"]["last_used"] is not None
    assert "secret" not in response.content.decode()
    assert reader.secret_hash not in response.content.decode()


def test_create_key_returns_the_secret_once(client, owner, manager):
    response = keys_call(client, manager, "post", data={"name": "bi tool", "scopes": ["stats:read"]})
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["scopes"], body["sites"], body["revoked"]) == ("bi tool", ["stats:read"], [], None)
    assert body["secret"].startswith(f"ff_{body['prefix']}_")
    assert get(client, "aggregate", body["secret"], site_id="stats.example", **DAY).status_code == 200
    assert ApiKey.objects.get(prefix=body["prefix"]).user == owner
    listed = keys_call(client, manager).json()["keys"]
    assert body["prefix"] in {row["prefix"] for row in listed}
    assert all("secret" not in row for row in listed)


def test_create_key_narrowed_to_sites(client, owner, manager, site):
    other = MembershipFactory(user=owner).site
    response = keys_call(
        client, manager, "post", data={"name": "one", "scopes": ["stats:read"], "sites": [site.domain]}
    )
    assert response.json()["sites"] == ["stats.example"]
    secret = response.json()["secret"]
    assert get(client, "aggregate", secret, site_id=other.domain).status_code == 404


def test_keys_cannot_grant_scopes_they_lack(client, owner):
    _, narrow = api_key_create(user=owner, name="n", scopes=["sites:manage", "stats:read"])
    response = keys_call(client, narrow, "post", data={"name": "w", "scopes": ["events:write"]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert response.json()["error"]["field"] == "scopes"
    assert not ApiKey.objects.filter(name="w").exists()


def test_keys_cannot_reach_sites_beyond_their_own(client, owner, site):
    other = MembershipFactory(user=owner).site
    SiteFactory(domain="stranger.example")
    _, narrow = api_key_create(user=owner, name="n", scopes=ALL_SCOPES, sites=[site])
    for domain in (other.domain, "stranger.example", "missing.example"):
        response = keys_call(client, narrow, "post", data={"name": "x", "scopes": ["stats:read"], "sites": [domain]})
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "site_not_found",
            "message": f"No site {domain!r} for this key.",
            "field": "sites",
        }
    # Without sites, the new key keeps the creator's restriction rather than reaching every site.
    response = keys_call(client, narrow, "post", data={"name": "x", "scopes": ["stats:read"]})
    assert response.json()["sites"] == ["stats.example"]
    assert get(client, "aggregate", response.json()["secret"], site_id=other.domain).status_code == 404


def test_restricted_keys_do_not_see_wider_keys(client, owner, manager, site):
    _, narrow = api_key_create(user=owner, name="narrow", scopes=["sites:manage", "stats:read"], sites=[site])
    wide = ApiKey.objects.get(name="manager")
    assert [row["name"] for row in keys_call(client, narrow).json()["keys"]] == ["narrow"]
    response = keys_call(client, narrow, "delete", f"/{wide.prefix}")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "key_not_found")
    assert get(client, "aggregate", manager, site_id="stats.example", **DAY).status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"scopes": ["stats:read"]}, "name", "This field is required."),
        ({"name": "", "scopes": ["stats:read"]}, "name", "This field may not be blank."),
        ({"name": "x" * 101, "scopes": ["stats:read"]}, "name", "Ensure this field has no more than 100 characters."),
        ({"name": "k"}, "scopes", "This field is required."),
        ({"name": "k", "scopes": []}, "scopes", "This list may not be empty."),
        ({"name": "k", "scopes": ["root"]}, "scopes", '"root" is not a valid choice.'),
        ({"name": "k", "scopes": "stats:read"}, "scopes", 'Expected a list of items but got type "str".'),
        ({"name": "k", "scopes": ["stats:read"], "sites": "stats.example"}, "sites", None),
        ({"name": "k", "scopes": ["stats:read"], "sites": [None]}, "sites", "This field may not be null."),
        (["name", "k"], None, None),
    ],
)
def test_create_key_validation_errors(client, manager, data, field, message):
    response = keys_call(client, manager, "post", data=data)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_field", field)
    if message:
        assert error["message"] == message


def test_create_key_with_a_body_that_is_not_json(client, manager):
    response = keys_call(client, manager, "post", data="{name", content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")
    response = keys_call(client, manager, "post", data="name=k", content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")


def test_revoke_key(client, owner, manager):
    victim, secret = api_key_create(user=owner, name="old", scopes=["stats:read"])
    response = keys_call(client, manager, "delete", f"/{victim.prefix}")
    assert (response.status_code, response.content) == (204, b"")
    victim.refresh_from_db()
    assert victim.revoked is not None
    listed = {row["name"]: row for row in keys_call(client, manager).json()["keys"]}
    assert listed["old"]["revoked"] is not None
    response = get(client, "aggregate", secret, site_id="stats.example")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "invalid_api_key")
    assert keys_call(client, manager, "delete", f"/{victim.prefix}").status_code == 204  # again: no change


def test_a_key_can_revoke_itself(client, manager):
    prefix = ApiKey.objects.get(name="manager").prefix
    assert keys_call(client, manager, "delete", f"/{prefix}").status_code == 204
    assert keys_call(client, manager).status_code == 401


@pytest.mark.parametrize("prefix", ["nope", "deadbeef", "a/b", "%00", "a%0Ab", "%0A", "x" * 300])
def test_revoke_unknown_key_is_404(client, manager, prefix):
    response = keys_call(client, manager, "delete", f"/{prefix}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "key_not_found"


def test_revoke_another_users_key_is_404(client, manager):
    theirs, _ = api_key_create(user=UserFactory(), name="theirs", scopes=["stats:read"])
    response = keys_call(client, manager, "delete", f"/{theirs.prefix}")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "key_not_found")
    theirs.refresh_from_db()
    assert theirs.revoked is None


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", ""), ("delete", "/deadbeef")])
def test_managing_keys_needs_sites_manage(client, key, method, path):
    response = keys_call(client, key, method, path, data={"name": "k", "scopes": ["stats:read"]})
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "insufficient_scope",
        "message": "This API key lacks the 'sites:manage' scope.",
        "field": None,
    }


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", ""), ("delete", "/deadbeef")])
def test_managing_keys_needs_a_key(client, method, path):
    response = keys_call(client, None, method, path, data={})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "missing_api_key")
    assert response["WWW-Authenticate"] == "Bearer"


# --- rate limit ---------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, 20 s into a window; tests move it by hand."""
    now = [60.0 * 29_000_000 + 20]
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    return now


ENDPOINTS = [
    ("/api/v1/stats/aggregate", {"site_id": "stats.example"}),
    ("/api/v1/stats/timeseries", {"site_id": "stats.example"}),
    ("/api/v1/stats/breakdown", {"site_id": "stats.example", "property": "event:page"}),
    ("/api/v1/stats/realtime/visitors", {"site_id": "stats.example"}),
    ("/api/v1/sites", {}),
    ("/api/v1/keys", {}),
]


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_every_endpoint_is_rate_limited_per_key(client, settings, clock, owner, manager, path, params):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    _, other = api_key_create(user=owner, name="other", scopes=ALL_SCOPES)
    headers = {"Authorization": f"Bearer {manager}"}
    assert [client.get(path, params, headers=headers).status_code for _ in range(2)] == [200, 200]
    limited = client.get(path, params, headers=headers)
    assert limited.status_code == 429
    assert limited.json()["error"] == {
        "code": "rate_limited",
        "message": "More than 2 requests a minute with this API key.",
        "field": None,
    }
    assert limited["Retry-After"] == "40"
    assert client.get(path, params, headers={"Authorization": f"Bearer {other}"}).status_code == 200
    clock[0] += 40  # the next window
    assert client.get(path, params, headers=headers).status_code == 200


def test_rate_limit_counts_writes_and_errors_too(client, settings, clock, manager):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    assert keys_call(client, manager, "delete", "/deadbeef").status_code == 404
    assert keys_call(client, manager, "post", data={}).status_code == 400
    assert keys_call(client, manager, "post", data={}).status_code == 429


def test_rate_limit_zero_disables_it(client, settings, clock, manager):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    assert all(keys_call(client, manager).status_code == 200 for _ in range(5))


def test_unauthenticated_requests_are_401_not_counted(client, settings, clock, manager):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    for _ in range(3):
        assert keys_call(client, "ff_nope_nope").status_code == 401
    assert keys_call(client, manager).status_code == 200


@pytest.mark.parametrize("lookup", ["__regex~p", "__isnull==false", "__in==pro", "__contains~p"])
def test_property_keys_are_keys_not_lookups(client, key, lookup):
    response = get(client, "aggregate", key, site_id="stats.example", filters=f"event:props:plan{lookup}", **DAY)
    assert response.status_code == 200, response.content
    assert response.json()["results"]["visitors"]["value"] == 0  # no event has a key named like that
    plain = get(client, "aggregate", key, site_id="stats.example", filters="event:props:plan==pro", **DAY)
    assert plain.json()["results"]["visitors"]["value"] == 1


@pytest.mark.parametrize(
    "filters",
    [
        'event:props:a"b==x',
        "event:page==" + "|".join(f"/{n}" for n in range(500)),
        "event:page~" + "|".join(f"/{n}" for n in range(500)),
        "event:page==/" + "x" * 60_000,
    ],
)
def test_oversized_or_odd_filters_are_invalid_queries(client, key, filters):
    response = get(client, "breakdown", key, site_id="stats.example", property="visit:source", filters=filters, **DAY)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    assert response.json()["error"]["field"] == "filters"


def test_values_with_separators_are_filtered_by_when_escaped(client, key):
    response = get(
        client, "aggregate", key, site_id="stats.example", filters=r"event:page==/blog/x|/no\;such\|page", **DAY
    )
    assert response.json()["results"]["visitors"]["value"] == 2


def test_timeseries_with_a_comparison_lists_the_buckets_before(client, key):
    response = get(client, "timeseries", key, site_id="stats.example", compare="previous_period", interval="day", **DAY)
    assert response.json() == {
        "results": [{"date": "2026-11-20", "visitors": 3}],
        "comparison": [{"date": "2026-11-19", "visitors": 1}],
    }


def test_an_empty_comparison_period_has_no_change(client, key):
    response = get(
        client, "aggregate", key, site_id="stats.example", period="day", date="2026-11-19", compare="previous_period"
    )
    assert response.json() == {"results": {"visitors": {"value": 1, "comparison_value": 0, "change": None}}}


def test_plausibles_date_interval_is_taken(client, key):
    response = get(client, "timeseries", key, site_id="stats.example", interval="date", period="7d", date="2026-11-20")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 7


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("aggregate", {"metrics": "visitors,pageviews,bounce_rate,visit_duration", "filters": "visit:source!=Google"}),
        ("breakdown", {"property": "visit:entry_page", "filters": "event:page~blog", "metrics": "visitors,visits"}),
        ("timeseries", {"metrics": "visitors,pageviews", "period": "7d", "date": "2026-11-20"}),
        ("realtime/visitors", {}),
    ],
)
def test_the_event_store_answers_the_api_as_the_database(
    event_store, site, recent_visitors, client, key, settings, path, params
):
    assert event_store.rows("SELECT count() FROM events", {})[0][0] == 11  # the site's 8 events, and 3 recent
    query = {"site_id": site.domain, **DAY, **params}
    from_store = get(client, path, key, **query)
    settings.EVENT_STORE = "db"
    assert from_store.status_code == 200
    assert from_store.json() == get(client, path, key, **query).json()


@pytest.fixture
def imported_day(site):
    """A day of Plausible history imported into stats.example, a week before its own first day."""
    job = ImportFactory(site=site)
    ImportedStatFactory(job=job, site=site, day=date(2026, 11, 12), visitors=40, visits=50, pageviews=90, bounces=25)
    for value, visitors in (("Google", 30), ("", 10)):
        ImportedStatFactory(
            job=job, site=site, day=date(2026, 11, 12), dimension="visit:source", value=value, visitors=visitors
        )


WEEK = {"period": "custom", "date": "2026-11-12,2026-11-20"}


def test_with_imported_adds_imported_days_and_says_so(client, key, imported_day):
    plain = get(client, "aggregate", key, site_id="stats.example", metrics="visitors,bounce_rate", **WEEK).json()
    assert "imported_included" not in plain
    response = get(
        client, "aggregate", key, site_id="stats.example", metrics="visitors,bounce_rate", with_imported="true", **WEEK
    )
    assert response.status_code == 200
    data = response.json()
    assert data["imported_included"] is True
    assert "warning" not in data
    assert data["results"]["visitors"]["value"] == plain["results"]["visitors"]["value"] + 40


def test_with_imported_in_breakdowns_and_timeseries(client, key, imported_day):
    rows = get(
        client, "breakdown", key, site_id="stats.example", property="visit:source", with_imported="true", **WEEK
    ).json()
    assert {row["source"]: row["visitors"] for row in rows["results"]}["Google"] == 31  # 30 imported, 1 of its own
    series = get(client, "timeseries", key, site_id="stats.example", with_imported="true", **WEEK).json()
    assert series["results"][0] == {"date": "2026-11-12", "visitors": 40}
    assert series["imported_included"] is True


def test_with_imported_on_a_question_imports_cannot_answer_warns(client, key, imported_day):
    response = get(
        client,
        "breakdown",
        key,
        site_id="stats.example",
        property="visit:source",
        filters="visit:country==DE",
        with_imported="true",
        **WEEK,
    )
    data = response.json()
    assert response.status_code == 200
    assert data["imported_included"] is False
    assert data["warning"].startswith("Imported data is not included")


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", "x" * 300])
def test_with_imported_takes_true_or_false(client, key, value):
    response = get(client, "aggregate", key, site_id="stats.example", with_imported=value, **DAY)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    assert response.json()["error"]["field"] == "with_imported"
