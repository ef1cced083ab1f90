"""Acceptance: every route and error of the µAnalytics API specification, against the live URL conf."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import orjson
import pytest

from compat.visitors import token_text
from sites.keys import api_key_create
from sites.models import ApiKey, Membership, Site
from stats.query import DateRange, StatsQuery
from tests.compat.conftest import ROOT, basic
from tests.factories import SiteFactory, UserFactory
from tests.stats import answers as report
from tracker import buffer, pipeline
from tracker.buffer import BufferUnavailable
from tracker.ingest.hits import Hit
from tracker.models import Event, Session

pytestmark = pytest.mark.django_db


def post(client, path: str, body, **extra):
    data = body if isinstance(body, bytes | str) else orjson.dumps(body)
    return client.generic("POST", ROOT + path, data, content_type="text/plain", **extra)


def get(client, path: str, **extra):
    return client.get(ROOT + path, **extra)


def body(response):
    assert response["Content-Type"] == "application/json"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return orjson.loads(content)


def error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    data = body(response)
    assert set(data) == {"code", "message"}
    assert data["code"] == code


def stored(response) -> None:
    assert response.status_code == 200, response.content
    assert response.content == b""


# --- GET / and writes -------------------------------------------------------------------------------


def test_root_answers_message_and_version_without_auth(client, settings):
    settings.MICROANALYTICS_AUTH = True
    response = get(client, "")
    assert response.status_code == 200
    assert set(body(response)) == {"message", "version"}


def test_post_derives_platform_referer_domain_and_time_and_ignores_body_fields(client):
    stored(
        post(
            client,
            "blog",
            {
                "time": "2015-11-24T13:00:00.000Z",
                "event": "download",
                "path": "/README.md",
                "ip": "10.1.1.1",
                "platform": "ignored",
                "refererDomain": "ignored.example",
                "countryCode": "fr",
                "website": "other",
                "headers": {
                    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64)",
                    "Referer": "https://www.gitbook.com/book/x",
                },
            },
        )
    )
    (row,) = body(get(client, "blog"))["list"]
    assert row == {
        "time": "2015-11-24T13:00:00Z",
        "event": "download",
        "path": "/README.md",
        "ip": row["ip"],
        "platform": "Microsoft Windows",
        "refererDomain": "www.gitbook.com",
        "countryCode": "",
    }
    assert re.fullmatch(r"[0-9a-f]{16}", row["ip"])
    assert not Site.objects.filter(domain="other").exists()


def test_post_without_time_or_with_a_bad_one_is_now_and_keys_match_any_case(client):
    before = datetime.now(UTC).replace(microsecond=0)
    stored(post(client, "blog", {"EVENT": "a", "Path": "", "TIME": "yesterday", "ip": None}))
    stored(
        post(client, "blog", b'{"event": "b", "event": "c", "headers": {"x-referrer": "https://U@WWW.Ex.com:8443/p"}}')
    )
    rows = body(get(client, "blog"))["list"]
    assert [r["event"] for r in rows] == ["a", "c"]
    assert (rows[0]["path"], rows[0]["ip"]) == ("", "")
    assert rows[1]["refererDomain"] == "WWW.Ex.com:8443"
    assert datetime.strptime(rows[0]["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) >= before


def test_bulk_keeps_sent_platform_and_domain_else_derives_them(client):
    stored(
        post(
            client,
            "blog/bulk",
            {
                "list": [
                    {
                        "time": "Fri, 20 Nov 2015 12:00:00 GMT",
                        "event": "view",
                        "ip": "10.0.0.1",
                        "headers": {"user-agent": "curl/7.68.0"},
                    },
                    {
                        "time": "2015-11-20T14:00:00+01:00",
                        "event": "download",
                        "platform": "Custom",
                        "refererDomain": "body.example",
                        "headers": {"Referer": "https://other.example/"},
                    },
                    {"time": "1448020800", "event": "unix", "countryCode": "fr", "website": "ignored"},
                ]
            },
        )
    )
    rows = body(get(client, "blog"))["list"]
    assert [(r["time"], r["event"], r["platform"], r["refererDomain"], r["countryCode"]) for r in rows] == [
        ("2015-11-20T12:00:00Z", "view", "Curl", "", ""),
        ("2015-11-20T12:00:00Z", "unix", "", "", ""),
        ("2015-11-20T13:00:00Z", "download", "Custom", "body.example", ""),
    ]


def test_bulk_across_websites_skips_items_without_one(client):
    items = [{"website": "a", "event": "x"}, {"website": "b", "event": "y"}, {"event": "orphan"}, {"website": ""}]
    stored(post(client, "bulk", {"list": items}))
    assert [r["event"] for r in body(get(client, "a"))["list"]] == ["x"]
    assert [r["event"] for r in body(get(client, "b"))["list"]] == ["y"]
    stored(post(client, "bulk", {"list": [{"event": "orphan"}]}))
    assert Site.objects.count() == 2
    # Their monthly visitor tokens outlive a day: the stats layer counts these sites from raw events.
    assert all(Site.objects.values_list("long_lived_visitor_ids", flat=True))


@pytest.mark.parametrize("payload", [{}, {"list": []}, {"list": None}, {"LIST": []}])
def test_empty_bulk_creates_no_website(client, payload):
    stored(post(client, "blog/bulk", payload))
    error(get(client, "blog"), 400, "InvalidDatabaseName")


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("blog", b""),
        ("blog", b"not json"),
        ("blog", b"[]"),
        ("blog", b'"text"'),
        ("blog", b'{"event": 1}'),
        ("blog", b'{"ip": true}'),
        ("blog", b'{"headers": "ua"}'),
        ("blog", b'{"headers": {"ua": 1}}'),
        ("blog/bulk", b'{"list": {}}'),
        ("blog/bulk", b'{"list": ["x"]}'),
        ("blog/bulk", b'{"list": [{"event": "ok"}, {"event": 2}]}'),
        ("bulk", b'{"list": [{"website": "a", "event": "ok"}, {"website": 3}]}'),
    ],
)
def test_malformed_bodies_are_invalid_json_and_store_nothing(client, path, payload):
    error(post(client, path, payload), 400, "InvalidJSON")
    assert (Event.objects.count(), Site.objects.count()) == (0, 0)


def test_body_over_the_cap_is_413(client, settings):
    settings.MICROANALYTICS_MAX_BYTES = 100
    error(post(client, "blog", {"event": "x" * 200}), 413, "PayloadTooLarge")


def test_delete_removes_the_website_and_a_later_write_starts_anew(client):
    stored(post(client, "blog", {"event": "old", "time": "2015-11-20T12:00:00Z"}))
    stored(client.delete(ROOT + "blog"))
    error(get(client, "blog"), 400, "InvalidDatabaseName")
    error(client.delete(ROOT + "blog"), 400, "InvalidDatabaseName")
    stored(post(client, "blog", {"event": "new", "time": "2015-11-20T12:00:00Z"}))
    assert [r["event"] for r in body(get(client, "blog"))["list"]] == ["new"]


# --- errors and their order ---------------------------------------------------------------------------


def test_unknown_websites_and_the_order_of_checks(client):
    error(get(client, "unknown"), 400, "InvalidDatabaseName")
    error(get(client, "unknown/count"), 400, "InvalidDatabaseName")
    error(get(client, "unknown/foo"), 405, "InvalidProperty")
    error(get(client, "unknown/bulk"), 405, "InvalidProperty")
    error(get(client, "unknown/Count"), 405, "InvalidProperty")
    error(get(client, "unknown/count?start=x"), 405, "InvalidTimeFormat")
    error(get(client, "unknown/time?start=x&interval=y"), 405, "InvalidTimeFormat")
    error(get(client, "unknown/time?interval=y"), 405, "InvalidInterval")


@pytest.mark.parametrize("interval", ["x", "1.5", "0", "-5", "2147483648", " 5"])
def test_bad_intervals(client, interval):
    stored(post(client, "blog", {"event": "x"}))
    error(get(client, "blog/time", data={"interval": interval}), 405, "InvalidInterval")


@pytest.mark.parametrize(
    "query",
    [
        "start=2015-11-20",
        "start=2015-11-20T12:00:00",
        "start=2015-11-20T13:00:00+01:00",  # a raw + is a space
        "end=Fri, 20 Nov 2015 12:00:00 +0000",
        "start=2015-13-20T12:00:00Z",
        "start=0000-12-31T23:00:00Z",
        "start=0001-01-01T00:30:00%2B01:00",  # year 0 in UTC
        "start=99999999999999",
        "start=-5",
        "start=2015-11-21T00:00:00Z&end=2015-11-20T00:00:00Z",
    ],
)
def test_bad_times(client, query):
    stored(post(client, "blog", {"event": "x"}))
    error(get(client, f"blog/count?{query}"), 405, "InvalidTimeFormat")


def test_method_and_path_mismatches_answer_json(client):
    error(client.put(ROOT + "blog"), 405, "MethodNotAllowed")
    error(post(client, "blog/count", {}), 405, "MethodNotAllowed")
    error(get(client, "blog/count/x"), 404, "NotFound")


# --- reads ------------------------------------------------------------------------------------------


def seed(client, website="blog"):
    """Analytics at 10:15, 10:45, 12:00 and 13:00 on 2015-11-20, one on 11-30 and two in December."""
    items = [
        {"time": "2015-11-20T10:15:00Z", "event": "download", "ip": "81.2.69.1"},
        {"time": "2015-11-20T10:45:00Z", "event": "view", "ip": "81.2.69.1", "platform": "Linux"},
        {"time": "2015-11-20T12:00:00Z", "event": "download", "ip": "81.2.69.2", "refererDomain": "a.example"},
        {"time": "2015-11-20T13:00:00Z", "event": "view", "ip": ""},
        {"time": "2015-11-30T23:59:59Z", "event": "download", "ip": "81.2.69.1:80"},
        {"time": "2015-12-01T00:00:00Z", "event": "download", "ip": "81.2.69.1"},
        {"time": "2015-12-02T00:00:00Z", "event": "download", "ip": "8.8.8.8"},
    ]
    stored(post(client, f"{website}/bulk", {"list": items}))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2015-11-20T10:15:00Z", "2015-11-20T12:00:00Z"),
        ("2015-11-20T10:15:00.999Z", "2015-11-20T12:00:00.000Z"),
        ("2015-11-20T11:15:00%2B01:00", "2015-11-20T07:00:00-05:00"),
        ("Fri, 20 Nov 2015 10:15:00 GMT", "fri, 20 nov 2015 12:00:00 UTC"),
        ("1448014500", "1448020800"),
    ],
)
def test_ranges_are_inclusive_in_every_time_format(client, public_geoip, start, end):
    seed(client)
    assert body(get(client, f"blog/count?start={start}&end={end}")) == {"total": 3, "unique": 2}


def test_list_is_sorted_by_time_then_insertion_and_null_when_empty(client, public_geoip):
    seed(client)
    stored(post(client, "blog", {"time": "2015-11-20T10:15:00Z", "event": "later-insert"}))
    rows = body(get(client, "blog", data={"end": "2015-11-20T10:15:00Z"}))["list"]
    assert [r["event"] for r in rows] == ["download", "later-insert"]
    assert body(get(client, "blog", data={"start": "2016-01-01T00:00:00Z"})) == {"list": None}


def test_ip_is_an_opaque_monthly_token(client, public_geoip):
    seed(client)
    rows = body(get(client, "blog"))["list"]
    tokens = [r["ip"] for r in rows]
    assert tokens[0] == tokens[1] != tokens[2]  # same ip, same month; another ip
    assert tokens[3] == ""
    assert tokens[4] != tokens[0]  # "81.2.69.1:80" is another string
    assert tokens[5] != tokens[0]  # same ip, another month
    assert [r["countryCode"] for r in rows] == ["fr", "fr", "fr", "", "fr", "fr", "us"]
    assert all("81.2.69" not in r["ip"] for r in rows)


def test_count_sums_distinct_ips_per_calendar_month(client, public_geoip):
    seed(client)
    # November: 81.2.69.1, 81.2.69.2, "" and "81.2.69.1:80"; December: 81.2.69.1, 8.8.8.8.
    assert body(get(client, "blog/count")) == {"total": 7, "unique": 6}
    assert body(get(client, "blog/count", data={"start": "2016-01-01T00:00:00Z"})) == {"total": 0, "unique": 0}


def test_aggregates_sort_by_total_then_id_and_count_unique_only_on_true(client, public_geoip):
    seed(client)
    events = body(get(client, "blog/events", data={"unique": "true"}))["list"]
    assert events == [
        {"id": "download", "label": "download", "total": 5, "unique": 5},
        {"id": "view", "label": "view", "total": 2, "unique": 2},
    ]
    for off in ("1", "True", ""):
        assert {r["unique"] for r in body(get(client, "blog/events", data={"unique": off}))["list"]} == {0}
    countries = body(get(client, "blog/countries", data={"unique": "true"}))["list"]
    assert countries == [
        {"id": "fr", "label": "France", "total": 5, "unique": 4},
        {"id": "", "label": "", "total": 1, "unique": 1},
        {"id": "us", "label": "United States", "total": 1, "unique": 1},
    ]
    platforms = body(get(client, "blog/platforms"))["list"]
    assert platforms == [
        {"id": "", "label": "", "total": 6, "unique": 0},
        {"id": "Linux", "label": "Linux", "total": 1, "unique": 0},
    ]
    domains = body(get(client, "blog/domains", data={"end": "2015-11-20T12:00:00Z"}))["list"]
    assert [(d["id"], d["total"]) for d in domains] == [("", 2), ("a.example", 1)]
    assert body(get(client, "blog/events", data={"start": "2016-01-01T00:00:00Z"})) == {"list": []}


def test_time_buckets_align_to_the_epoch(client, public_geoip):
    seed(client)
    day = "start=2015-11-20T00:00:00Z&end=2015-11-20T23:59:59Z"
    assert body(get(client, f"blog/time?interval=5000&{day}")) == {
        "list": [
            {"start": "2015-11-20T09:00:00Z", "end": "2015-11-20T10:23:20Z", "total": 1, "unique": 0},
            {"start": "2015-11-20T10:23:20Z", "end": "2015-11-20T11:46:40Z", "total": 1, "unique": 0},
            {"start": "2015-11-20T11:46:40Z", "end": "2015-11-20T13:10:00Z", "total": 2, "unique": 0},
        ]
    }
    days = body(get(client, "blog/time", data={"interval": ""}))["list"]
    assert [d["start"] for d in days] == [
        "2015-11-20T00:00:00Z",
        "2015-11-30T00:00:00Z",
        "2015-12-01T00:00:00Z",
        "2015-12-02T00:00:00Z",
    ]
    weeks = body(get(client, "blog/time?interval=604800&unique=true"))["list"]
    assert [(w["start"], w["end"], w["total"], w["unique"]) for w in weeks] == [
        ("2015-11-19T00:00:00Z", "2015-11-26T00:00:00Z", 4, 3),  # a Thursday
        ("2015-11-26T00:00:00Z", "2015-12-03T00:00:00Z", 3, 3),  # spans two months: 1 + 2
    ]
    assert body(get(client, "blog/time", data={"start": "2016-01-01T00:00:00Z"})) == {"list": []}
    huge = body(get(client, "blog/time", data={"interval": "2147483647"}))["list"]
    assert huge == [{"start": "1970-01-01T00:00:00Z", "end": "2038-01-19T03:14:07Z", "total": 7, "unique": 0}]


def test_cache_parameter_is_ignored(client):
    stored(post(client, "blog", {"event": "x"}))
    assert body(get(client, "blog/count", data={"cache": "true"}))["total"] == 1


# --- Footfall around it -------------------------------------------------------------------------------


def test_writes_appear_in_the_stats_layer_and_the_ip_is_never_stored(client, public_geoip):
    stored(
        post(
            client,
            "blog.example",
            {
                "time": "2015-11-20T12:00:00Z",
                "event": "pageview",
                "path": "/a?utm_source=news",
                "ip": "81.2.69.77",
                "headers": {"Referer": "https://www.google.com/search"},
            },
        )
    )
    site = Site.objects.get(domain="blog.example")
    dates = DateRange(date(2015, 11, 20), date(2015, 11, 20), "UTC")
    query = StatsQuery(site_id=site.id, dates=dates, metrics=("visitors", "pageviews"))
    assert {m: v.value for m, v in report.aggregate(query).items()} == {"visitors": 1, "pageviews": 1}
    source = StatsQuery(site_id=site.id, dates=dates, metrics=("visitors",), breakdown="visit:source")
    assert report.breakdown(source)[0]["source"] == "news"  # utm_source wins over the referer, as for the snippet
    event = Event.objects.get()
    assert (event.path, event.country, event.utm_source) == ("/a?utm_source=news", "FR", "news")
    dumped = repr(list(Event.objects.values())) + repr(list(Session.objects.values()))
    assert "81.2.69.77" not in dumped


def test_snippet_events_can_be_read_through_the_api(client):
    site = SiteFactory(domain="snippet.example")
    hit = Hit(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        name="pageview",
        timestamp=datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC),
        raw_url="https://snippet.example/post",
        visitor_hash=42,
        country="DE",
    )
    pipeline.process_batch([hit])
    (row,) = body(get(client, "snippet.example"))["list"]
    assert row == {
        "time": "2026-11-20T10:00:00Z",
        "event": "pageview",
        "path": "/post",
        "ip": token_text(42),
        "platform": "",
        "refererDomain": "",
        "countryCode": "de",
    }


def test_website_names_are_read_as_site_domains(client):
    stored(post(client, "Blog", {"event": "x"}))
    assert Site.objects.get().domain == "blog"
    assert body(get(client, "www.blog/count"))["total"] == 1
    stored(post(client, "blog", {"event": "y"}))
    assert body(get(client, "BLOG/count"))["total"] == 2


@pytest.mark.parametrize("name", ["slash/evil.test", 'quote".test', "a b", "-dash.example", "x" * 254, "dot..example"])
def test_names_that_are_no_domain_are_refused_and_store_nothing(client, admin_client, name):
    error(
        post(client, "bulk", {"list": [{"website": name, "event": "x"}, {"website": "fine", "event": "x"}]}),
        400,
        "InvalidDatabaseName",
    )
    if "/" not in name:
        error(post(client, name, {"event": "x"}), 400, "InvalidDatabaseName")
        error(get(client, name), 400, "InvalidDatabaseName")
    assert not Site.objects.exists()
    # The site list links every site by its domain; none may break it.
    assert admin_client.get("/").status_code == 200


def test_a_bulk_over_the_cap_is_refused_whole(client, settings):
    settings.MICROANALYTICS_MAX_BULK = 3
    items = [{"event": "x"}] * 4
    error(post(client, "blog/bulk", {"list": items}), 413, "PayloadTooLarge")
    error(post(client, "bulk", {"list": [{**item, "website": "blog"} for item in items]}), 413, "PayloadTooLarge")
    assert not Site.objects.exists()
    stored(post(client, "blog/bulk", {"list": items[:3]}))
    assert body(get(client, "blog/count"))["total"] == 3


def test_the_list_of_analytics_is_streamed(client, settings):
    settings.MICROANALYTICS_MAX_BULK = 5000
    stored(
        post(client, "blog/bulk", {"list": [{"event": f"e{n}", "time": str(1_700_000_000 + n)} for n in range(4500)]})
    )
    response = get(client, "blog")
    assert response.streaming
    rows = body(response)["list"]
    assert [row["event"] for row in rows] == [f"e{n}" for n in range(4500)]
    assert not get(client, "blog?end=1").streaming  # none in range: {"list": null}, answered whole


def test_requests_count_against_the_keys_limit_shared_with_the_stats_api(client, auth_on, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    user = UserFactory()
    _, secret = api_key_create(user=user, name="rw", scopes=["events:write", "stats:read"])
    stored(post(client, "blog", {"event": "x"}, HTTP_AUTHORIZATION=basic("", secret)))
    assert client.get("/api/v1/sites", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    refused = post(client, "blog", {"event": "y"}, HTTP_AUTHORIZATION=basic("", secret))
    error(refused, 429, "RateLimited")
    assert 0 < int(refused["Retry-After"]) <= 60
    error(get(client, "blog/count", HTTP_AUTHORIZATION=basic("", secret)), 429, "RateLimited")
    assert Event.objects.count() == 1


def test_without_a_key_requests_count_per_client(client, settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 1
    assert get(client, "blog/count").status_code == 400  # no such website yet, but counted
    error(get(client, "blog/count"), 429, "RateLimited")


def test_unavailable_buffer_is_insert_failed_and_creates_no_website(client, monkeypatch):
    def refuse(hits, **options):
        raise BufferUnavailable("down")

    monkeypatch.setattr(buffer, "push", refuse)
    error(post(client, "blog", {"event": "x"}), 500, "InsertFailed")
    assert not Site.objects.exists()


def test_own_host_serves_the_api_at_its_root(client, settings):
    settings.MICROANALYTICS_HOST = "ma.example"
    settings.ALLOWED_HOSTS = ["testserver", "ma.example"]
    assert set(body(client.get("/", HTTP_HOST="ma.example"))) == {"message", "version"}
    stored(client.generic("POST", "/blog", b'{"event": "x"}', HTTP_HOST="ma.example:8000"))
    assert body(client.get("/blog/count", HTTP_HOST="ma.example"))["total"] == 1
    assert client.get("/").status_code == 302  # the dashboard, on the main host


@pytest.mark.django_db(transaction=True)
def test_stream_mode_writes_are_inline_unless_queued(client, stream_mode, settings):
    stored(post(client, "blog", {"event": "inline"}))
    assert buffer.backlog()["stream"] == 0
    assert body(get(client, "blog/count"))["total"] == 1  # the very next read sees it
    settings.MICROANALYTICS_INLINE_WRITES = False
    stored(post(client, "blog", {"event": "queued"}))
    assert buffer.backlog()["stream"] == 1
    buffer.drain_stream()
    assert body(get(client, "blog/count"))["total"] == 2


# --- authentication -------------------------------------------------------------------------------------


@pytest.fixture
def auth_on(settings):
    settings.MICROANALYTICS_AUTH = True
    settings.MICROANALYTICS_USER = "ma"
    settings.MICROANALYTICS_PASSWORD = "secret"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer abc", "Basic", "Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic  bWE6c2VjcmV0"],
)
def test_malformed_auth_is_invalid_authentication_before_anything_else(client, auth_on, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    error(get(client, "unknown/foo", **extra), 400, "InvalidAuthentication")
    error(post(client, "blog", b"not json", **extra), 400, "InvalidAuthentication")


def test_wrong_credentials_are_401_and_store_nothing(client, auth_on):
    error(post(client, "blog", {"event": "x"}, HTTP_AUTHORIZATION=basic("ma", "wrong")), 401, "InvalidCredentials")
    error(get(client, "unknown/foo", HTTP_AUTHORIZATION=basic("ff_x", "ff_nope_x")), 401, "InvalidCredentials")
    assert not Site.objects.exists()


def test_configured_credentials_reach_everything_and_the_scheme_is_case_insensitive(client, auth_on):
    good = basic("ma", "secret").replace("Basic", "bAsIc")
    stored(post(client, "blog", {"event": "x"}, HTTP_AUTHORIZATION=good))
    assert body(get(client, "blog/count", HTTP_AUTHORIZATION=good))["total"] == 1
    stored(client.delete(ROOT + "blog", HTTP_AUTHORIZATION=good))


def test_api_keys_work_as_passwords_within_their_scopes_and_sites(client, auth_on):
    user = UserFactory()
    _, writer = api_key_create(user=user, name="w", scopes=["events:write"])
    _, reader = api_key_create(user=user, name="r", scopes=["stats:read"])
    stored(post(client, "blog", {"event": "x"}, HTTP_AUTHORIZATION=basic("any", writer)))
    site = Site.objects.get(domain="blog")
    assert Membership.objects.filter(user_id=user.pk, site=site, role=Membership.Role.OWNER).exists()
    assert body(get(client, "blog/count", HTTP_AUTHORIZATION=basic("", reader)))["total"] == 1
    error(get(client, "blog/count", HTTP_AUTHORIZATION=basic("", writer)), 400, "InvalidDatabaseName")
    error(post(client, "blog", {"event": "x"}, HTTP_AUTHORIZATION=basic("", reader)), 401, "InvalidCredentials")
    error(client.delete(ROOT + "blog", HTTP_AUTHORIZATION=basic("", writer)), 401, "InvalidCredentials")
    # Another user's site is out of reach: unreadable as if missing, not writable.
    SiteFactory(domain="theirs")
    error(get(client, "theirs", HTTP_AUTHORIZATION=basic("", reader)), 400, "InvalidDatabaseName")
    error(post(client, "theirs", {"event": "x"}, HTTP_AUTHORIZATION=basic("", writer)), 401, "InvalidCredentials")


def test_deleting_a_website_leaves_no_key_narrowed_to_it_alone(client, auth_on):
    """Such a key would reach every site of its user once its one site is gone; it goes with the site."""
    user = UserFactory()
    _, manager = api_key_create(user=user, name="m", scopes=["events:write", "sites:manage"])
    stored(post(client, "blog", {"event": "x"}, HTTP_AUTHORIZATION=basic("", manager)))
    stored(post(client, "other", {"event": "x"}, HTTP_AUTHORIZATION=basic("", manager)))
    _, narrowed = api_key_create(user=user, name="n", scopes=["stats:read"], sites=[Site.objects.get(domain="blog")])
    stored(client.delete(ROOT + "blog", HTTP_AUTHORIZATION=basic("", manager)))
    error(get(client, "other/count", HTTP_AUTHORIZATION=basic("", narrowed)), 401, "InvalidCredentials")
    assert not ApiKey.objects.filter(name="n").exists()
