"""The ingest endpoints end to end in embedded mode: status codes, error shapes, CORS, storage."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from sites.keys import api_key_create
from sites.models import ApiKey
from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tracker.models import Event, Session

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"


def post(client: Client, body, *, path: str = "/api/event", content_type: str = "text/plain", **extra):
    """POST a body; upper-case keyword arguments are WSGI environ keys, the others headers."""
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    environ = {k: v for k, v in extra.items() if k.isupper()}
    headers = {"User-Agent": UA, **{k: v for k, v in extra.items() if not k.isupper()}}
    return client.post(path, data=data, content_type=content_type, headers=headers, **environ)


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def site():
    return SiteFactory(domain="blog.example")


def pageview(**fields):
    return {"domain": "blog.example", "name": "pageview", "url": "https://blog.example/post?utm_source=news", **fields}


def test_pageview_is_accepted_and_stored_enriched(client, site, geoip_db):
    """A text/plain pageview answers 202 and lands as an enriched Event in its Session."""
    response = post(client, pageview(referrer="https://www.google.de/search?q=x"), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "rejected": []}
    event = Event.objects.get()
    assert (event.site, event.name, event.path, event.url) == (site, "pageview", "/post", "https://blog.example/post")
    assert event.hostname == "blog.example"
    assert event.utm_source == "news"
    assert event.referrer == "google.de"
    assert event.referrer_source == "news"  # utm_source wins over the referrer
    assert event.country == "DE"
    assert (event.browser, event.os, event.device_type) == ("Chrome", "Windows", "desktop")
    session = Session.objects.get()
    assert event.session == session
    assert (session.pageviews, session.entry_path, session.is_bounce) == (1, "/post", True)


def test_application_json_is_accepted(client, site):
    assert post(client, pageview(), content_type="application/json").status_code == 202


def test_plausible_short_names_are_accepted(client, site):
    """Plausible's tracker fields n, u, d, r, p, h work unchanged."""
    body = {
        "n": "Signup",
        "u": "https://blog.example/#/pricing",
        "d": "blog.example",
        "r": None,
        "p": json.dumps({"plan": "pro"}),
        "h": 1,
    }
    assert post(client, body).status_code == 202
    event = Event.objects.get()
    assert (event.name, event.path, event.props) == ("Signup", "/#/pricing", {"plan": "pro"})


def test_array_of_events_from_one_page(client, site):
    body = [pageview(), pageview(name="Download", props={"file": "a.pdf", "size": 3, "ok": True})]
    response = post(client, body)
    assert response.status_code == 202
    assert response.json()["accepted"] == 2
    assert Event.objects.count() == 2
    assert Session.objects.get().events == 2


def test_array_reports_rejected_events_and_keeps_the_rest(client, site):
    response = post(client, [pageview(), pageview(url="ftp://x")])
    assert response.status_code == 202
    assert response.json()["rejected"] == [
        {
            "index": 1,
            "code": "invalid_field",
            "message": "'url' must be an absolute URL with a host (and a path, for an app's own scheme).",
            "field": "url",
        }
    ]
    assert Event.objects.count() == 1


def test_retry_with_same_id_is_stored_once(client, site):
    event_id = str(uuid.uuid4())
    for _ in range(3):
        assert post(client, pageview(id=event_id)).status_code == 202
    assert Event.objects.get().uuid == uuid.UUID(event_id)
    assert Session.objects.get().pageviews == 1


def test_event_for_several_domains_lands_on_each(client, site):
    other = SiteFactory(domain="docs.example")
    event_id = str(uuid.uuid4())
    assert post(client, pageview(domain="blog.example,docs.example,unknown.example", id=event_id)).status_code == 202
    assert {e.site for e in Event.objects.all()} == {site, other}
    assert Event.objects.filter(uuid=event_id).count() == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (b"{not json", "invalid_json", None),
        (b"\xff\xfe", "invalid_json", None),
        (b"[" * 5000 + b"]" * 5000, "invalid_json", None),
        (b'"a string"', "invalid_field", None),
        (b"[]", "invalid_field", None),
        ({"name": "pageview", "url": "https://blog.example/"}, "invalid_field", "domain"),
        ({"domain": "blog.example", "url": "https://blog.example/"}, "invalid_field", "name"),
        ({"domain": "blog.example", "name": "pageview"}, "invalid_field", "url"),
        (pageview(name="x" * 121), "invalid_field", "name"),
        (pageview(name=5), "invalid_field", "name"),
        (pageview(url="/relative"), "invalid_field", "url"),
        (pageview(url="javascript:alert(1)"), "invalid_field", "url"),
        (pageview(url="javascript://blog.example/%0Aalert(1)"), "invalid_field", "url"),
        (pageview(url="data://blog.example/x"), "invalid_field", "url"),
        (pageview(url="app:/settings"), "invalid_field", "url"),
        (pageview(url="https://[::1/"), "invalid_field", "url"),
        (pageview(url="https://blog.example/" + "a" * 2000), "invalid_field", "url"),
        (pageview(url="https://blog.example/\x00"), "invalid_field", "url"),
        (pageview(props=[1]), "invalid_field", "props"),
        (pageview(props={f"k{i}": i for i in range(31)}), "invalid_field", "props"),
        (pageview(props={"k" * 301: 1}), "invalid_field", "props"),
        (pageview(props={"k": "v" * 2001}), "invalid_field", "props"),
        (pageview(props={"k": {"nested": 1}}), "invalid_field", "props"),
        (pageview(props="{broken"), "invalid_field", "props"),
        (pageview(engaged_ms=-1), "invalid_field", "engaged_ms"),
        (pageview(engaged_ms=86_400_001), "invalid_field", "engaged_ms"),
        (pageview(engaged_ms="10"), "invalid_field", "engaged_ms"),
        (pageview(scroll_depth=101), "invalid_field", "scroll_depth"),
        (pageview(scroll_depth=True), "invalid_field", "scroll_depth"),
        (pageview(id="not-a-uuid"), "invalid_field", "id"),
        (pageview(domain="nobody.example"), "unknown_site", "domain"),
        ([pageview()] * 21, "too_many_events", None),
    ],
)
def test_bad_input_gets_a_json_error(client, site, body, code, field):
    response = post(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert not Event.objects.exists()


def test_body_over_64_kb_is_413(client, site):
    response = post(client, pageview(props={"k": "v" * 1000}) | {"pad": "x" * 70_000})
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_get_is_405_with_json(client):
    response = client.get("/api/event")
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


def test_cors_headers_on_response_and_preflight(client, site):
    origin = {"Origin": "https://blog.example"}
    response = post(client, pageview(), **origin)
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/event",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight["Access-Control-Allow-Methods"]


def test_rate_limit_answers_429_with_retry_after(client, site, settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 2
    statuses = [post(client, pageview(), REMOTE_ADDR="198.51.100.1").status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    response = post(client, pageview(), REMOTE_ADDR="198.51.100.1")
    assert error_code(response) == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 60
    assert post(client, pageview(), REMOTE_ADDR="198.51.100.2").status_code == 202


def test_buffer_failure_is_503_with_retry_after(client, site, monkeypatch):
    from django.db import OperationalError

    from tracker import pipeline

    def broken(hits):
        raise OperationalError("database is down")

    monkeypatch.setattr(pipeline, "process_batch", broken)
    response = post(client, pageview())
    assert response.status_code == 503
    assert error_code(response) == "buffer_unavailable"
    assert int(response["Retry-After"]) > 0


# --- POST /api/events ---------------------------------------------------------------------------


@pytest.fixture
def owner_key(site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    _, raw = api_key_create(user=user, name="server", scopes=[ApiKey.Scope.EVENTS_WRITE])
    return raw


def post_batch(client, events, key, **extra):
    return post(
        client,
        {"events": events},
        path="/api/events",
        content_type="application/json",
        Authorization=f"Bearer {key}",
        **extra,
    )


def test_server_batch_accepts_ip_user_agent_and_timestamp(client, site, owner_key, geoip_db):
    from django.utils import timezone

    moment = timezone.now().replace(microsecond=0) - __import__("datetime").timedelta(hours=2)
    event = pageview(
        ip="2001:db8::5",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        timestamp=moment.isoformat(),
    )
    response = post_batch(client, [event, pageview(timestamp="yesterday")], owner_key)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 1
    assert body["rejected"][0]["field"] == "timestamp"
    stored = Event.objects.get()
    assert (stored.country, stored.browser, stored.device_type) == ("FR", "Safari", "mobile")
    assert stored.timestamp == moment


@pytest.mark.parametrize("timestamp", ["2000-01-01T00:00:00Z", 4_102_444_800, True, [1]])
def test_server_batch_rejects_timestamps_out_of_range(client, site, owner_key, timestamp):
    response = post_batch(client, [pageview(timestamp=timestamp)], owner_key)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "timestamp"


def test_server_batch_without_key_is_401(client, site):
    response = post(client, {"events": [pageview()]}, path="/api/events")
    assert response.status_code == 401
    assert error_code(response) == "missing_api_key"
    response = post_batch(client, [pageview()], "ff_nope_nope")
    assert (response.status_code, error_code(response)) == (401, "invalid_api_key")


def test_server_batch_with_wrong_scope_is_403(client, site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    _, raw = api_key_create(user=user, name="reader", scopes=[ApiKey.Scope.STATS_READ])
    response = post_batch(client, [pageview()], raw)
    assert (response.status_code, error_code(response)) == (403, "insufficient_scope")


def test_server_batch_for_a_site_outside_the_key_is_unknown_site(client, site, owner_key):
    SiteFactory(domain="other.example")
    response = post_batch(client, [pageview(domain="other.example")], owner_key)
    assert response.status_code == 400
    assert error_code(response) == "unknown_site"


def test_server_batch_rejects_more_than_1000_events(client, site, owner_key):
    response = post_batch(client, [pageview()] * 1001, owner_key)
    assert (response.status_code, error_code(response)) == (400, "too_many_events")


@pytest.mark.parametrize("body", [{"events": "x"}, {"events": []}, [], {"nope": 1}])
def test_server_batch_needs_an_events_array(client, site, owner_key, body):
    response = post(client, body, path="/api/events", Authorization=f"Bearer {owner_key}")
    assert (response.status_code, error_code(response)) == (400, "invalid_field")


def test_server_batch_rejects_bad_ip(client, site, owner_key):
    response = post_batch(client, [pageview(ip="999.1.1.1")], owner_key)
    assert response.json()["error"]["field"] == "ip"


def test_database_down_during_site_lookup_is_503(client, monkeypatch):
    from django.db import OperationalError

    from tracker.ingest import validation as ingest_module

    def broken(domains):
        raise OperationalError("database is down")

    monkeypatch.setattr(ingest_module, "site_ids_by_domain", broken)
    response = post(client, pageview())
    assert (response.status_code, error_code(response)) == (503, "buffer_unavailable")


def test_apps_own_url_schemes_are_taken_as_plausible_takes_them(client, site):
    SiteFactory(domain="localhost")
    response = post(client, pageview(domain="localhost", url="app://localhost/settings?utm_source=store"))
    assert response.status_code == 202
    event = Event.objects.get()
    assert (event.hostname, event.path, event.url, event.utm_source) == (
        "localhost",
        "/settings",
        "app://localhost/settings",
        "store",
    )


def exclude(site, **rules):
    from sites.exclusions import exclusions_set

    lists: dict[str, list[str]] = {"excluded_paths": [], "allowed_hostnames": [], "excluded_ip_ranges": []}
    exclusions_set(site=site, **(lists | rules))


def drops(site) -> dict[str, int]:
    from tracker.models import DropCount

    return dict(DropCount.objects.filter(site=site).values_list("reason", "events"))


def test_excluded_events_are_accepted_then_dropped_and_counted_by_reason(client, site):
    exclude(site, excluded_paths=["/admin/**"], allowed_hostnames=["blog.example"], excluded_ip_ranges=["10.1.0.0/16"])
    sent = [
        pageview(url="https://blog.example/admin/users"),
        pageview(url="https://staging.blog.example/post"),
        pageview(),
    ]
    for body, address in [*((event, "203.0.113.9") for event in sent), (pageview(), "10.1.2.3")]:
        assert post(client, body, REMOTE_ADDR=address).status_code == 202
    assert list(Event.objects.values_list("hostname", "path")) == [("blog.example", "/post")]
    assert drops(site) == {"excluded_path": 1, "excluded_hostname": 1, "excluded_address": 1}


def test_an_excluded_address_range_applies_to_server_side_events_ip(client, site, owner_key):
    exclude(site, excluded_ip_ranges=["2001:db8::/32"])
    response = post_batch(client, [pageview(ip="2001:db8::7"), pageview(ip="2001:db9::7")], owner_key)
    assert response.json()["accepted"] == 2
    assert Event.objects.count() == 1
    assert drops(site) == {"excluded_address": 1}
