"""Each pipeline step alone, the runner, and the batch write."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import TIME_ZERO, SiteFactory
from tracker import pipeline
from tracker.ingest.hits import DropReason, Hit
from tracker.models import Event
from tracker.pipeline import steps

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def hit(**fields) -> Hit:
    values = {
        "uuid": str(uuid.uuid4()),
        "site_id": 1,
        "name": "pageview",
        "timestamp": TIME_ZERO,
        "raw_url": "https://www.blog.example/a/b?utm_source=Newsletter&utm_medium=email&utm_campaign=launch"
        "&utm_term=t&utm_content=c&x=1#top",
        "user_agent": CHROME,
    } | fields
    return Hit(**values)


def test_parse_url_splits_host_path_and_utm():
    result = steps.parse_url(hit())
    assert (result.hostname, result.path, result.url) == ("blog.example", "/a/b", "https://www.blog.example/a/b")
    assert (result.utm_source, result.utm_medium, result.utm_campaign, result.utm_term, result.utm_content) == (
        "Newsletter",
        "email",
        "launch",
        "t",
        "c",
    )


def test_parse_url_keeps_the_fragment_in_hash_mode():
    assert steps.parse_url(hit(raw_url="https://a.example/#/settings?x", hash_mode=True)).path == "/#/settings?x"
    assert steps.parse_url(hit(raw_url="https://a.example/#/settings")).path == "/"


@pytest.mark.parametrize("param", ["ref", "source"])
def test_parse_url_reads_ref_and_source_when_utm_source_is_absent(param):
    assert steps.parse_url(hit(raw_url=f"https://a.example/?{param}=producthunt")).utm_source == "producthunt"


@given(
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){1,2}", fullmatch=True),
    path=st.text(alphabet=st.characters(codec="ascii", exclude_characters="?#"), max_size=80),
    query=st.dictionaries(st.sampled_from(["utm_source", "utm_medium", "q", "ref"]), st.text(max_size=300)),
)
def test_parse_url_never_fails_and_bounds_its_fields(host, path, query):
    from urllib.parse import urlencode

    url = f"https://{host}/{path}?{urlencode(query)}"
    result = steps.parse_url(hit(raw_url=url))
    assert result.hostname == host.removeprefix("www.")
    assert result.path.startswith("/")
    assert "?" not in result.url
    assert all(len(getattr(result, f)) <= 255 for f in steps.UTM_FIELDS)


def test_drop_bots_drops_crawlers_with_a_reason():
    assert steps.drop_bots(hit(user_agent=GOOGLEBOT)).drop == DropReason.BOT
    assert steps.drop_bots(hit(user_agent="curl/8.5.0")).drop == DropReason.BOT
    assert steps.drop_bots(hit()).drop is None


def test_parse_ua_sets_browser_os_and_device():
    result = steps.parse_ua(hit())
    assert (result.browser, result.browser_version, result.os, result.os_version, result.device_type) == (
        "Chrome",
        "130.0",
        "Windows",
        "10",
        "desktop",
    )


def test_classify_source_prefers_utm_source():
    result = steps.classify_source(steps.parse_url(hit(raw_referrer="https://news.ycombinator.com/item?id=1")))
    assert (result.referrer, result.referrer_source) == ("news.ycombinator.com", "Newsletter")


def test_classify_source_groups_known_referrers_and_drops_self_referrals():
    plain = "https://blog.example/post"
    assert steps.classify_source(
        steps.parse_url(hit(raw_url=plain, raw_referrer="https://www.google.co.uk/"))
    ).referrer_source == ("Google")
    internal = steps.classify_source(steps.parse_url(hit(raw_url=plain, raw_referrer="https://blog.example/")))
    assert (internal.referrer, internal.referrer_source) == ("", "")


def test_run_steps_stops_at_the_first_drop():
    seen = []

    def record(h: Hit) -> Hit:
        seen.append(h.uuid)
        return h

    steps.run_steps(hit(user_agent=GOOGLEBOT), (steps.drop_bots, record))
    assert seen == []


def test_edge_steps_hash_geolocate_and_forget_the_address(db, geoip_db):
    result = steps.pseudonymise(hit(ip="203.0.113.50"))
    assert result.ip is None
    assert result.country == "DE"
    assert result.visitor_hash != 0


@pytest.mark.django_db
def test_process_batch_counts_drops_and_stores_the_rest():
    site = SiteFactory()
    hits = [
        hit(site_id=site.id),
        hit(site_id=site.id, user_agent=GOOGLEBOT),
        hit(site_id=999_999),
        hit(site_id=site.id),
    ]
    result = pipeline.process_batch(hits)
    assert (result.received, result.stored) == (4, 2)
    assert result.dropped == {DropReason.BOT: 1, DropReason.UNKNOWN_SITE: 1}
    assert Event.objects.count() == 2
    assert set(result.step_seconds) >= {"parse_url", "drop_bots", "parse_ua", "classify_source", "assign_session"}


@pytest.mark.django_db
def test_process_batch_drops_uuids_repeated_in_the_batch_and_already_stored():
    site = SiteFactory()
    first = hit(site_id=site.id)
    pipeline.process_batch([first])
    again = hit(site_id=site.id, uuid=first.uuid, timestamp=TIME_ZERO + timedelta(seconds=5))
    twin = hit(site_id=site.id)
    result = pipeline.process_batch([again, twin, hit(site_id=site.id, uuid=twin.uuid)])
    assert result.dropped == {DropReason.DUPLICATE: 2}
    assert Event.objects.count() == 2


@pytest.mark.django_db  # drop_excluded reads the site's rules
def test_keep_fixed_replaces_derived_dimensions_and_cuts_them_to_their_columns():
    fixed = {"path": "README.md?x#y", "os": "Apple Mac", "referrer": "WWW.Ex.com:8443" + "x" * 300, "name": "no"}
    derived = steps.run_steps(
        hit(raw_url="https://blog.example/a", raw_referrer="https://www.google.com/", fixed=fixed), steps.STEPS
    )
    assert (derived.path, derived.os, derived.referrer_source) == ("README.md?x#y", "Apple Mac", "Google")
    assert derived.referrer == fixed["referrer"][:253]
    assert derived.name == "pageview"  # only FIXABLE dimensions can be fixed


def test_fixed_dimensions_travel_through_the_buffer():
    sent = hit(fixed={"path": ""})
    assert Hit.from_buffer(sent.to_buffer()).fixed == {"path": ""}


@pytest.mark.django_db
def test_process_batch_stores_fixed_dimensions_on_the_event_and_its_visit():
    site = SiteFactory()
    pipeline.process_batch([hit(site_id=site.id, fixed={"path": "", "os": "Curl", "referrer": "a.example"})])
    event = Event.objects.get()
    assert (event.path, event.os, event.referrer) == ("", "Curl", "a.example")


@pytest.mark.django_db
def test_dropped_events_are_counted_per_site_hour_and_reason():
    from datetime import UTC, datetime

    from tracker.models import DropCount

    site = SiteFactory()
    repeated = hit(site_id=site.id)
    pipeline.process_batch([repeated, hit(site_id=site.id, user_agent=GOOGLEBOT), hit(site_id=999_999)])
    pipeline.process_batch([hit(site_id=site.id, uuid=repeated.uuid), hit(site_id=site.id, user_agent=GOOGLEBOT)])
    hour = TIME_ZERO.astimezone(UTC).replace(minute=0)
    assert {(d.site_id, d.hour, d.reason, d.events) for d in DropCount.objects.all()} == {
        (site.id, hour, "bot", 2),
        (site.id, hour, "duplicate", 1),
    }
    assert datetime(2026, 11, 20, 12, tzinfo=UTC) == hour  # the hour the events were received in


@pytest.mark.django_db
def test_exclude_address_drops_hits_from_the_sites_excluded_ranges():
    from sites.exclusions import exclusions_set

    site = SiteFactory()
    exclusions_set(site=site, excluded_paths=[], allowed_hostnames=[], excluded_ip_ranges=["203.0.113.0/24"])
    assert steps.exclude_address(hit(site_id=site.id, ip="203.0.113.5")).drop == DropReason.EXCLUDED_ADDRESS
    assert steps.exclude_address(hit(site_id=site.id, ip="198.51.100.5")).drop is None
    assert steps.exclude_address(hit(site_id=site.id + 1, ip="203.0.113.5")).drop is None


@pytest.mark.django_db
def test_a_hit_dropped_at_the_edge_loses_its_address_and_is_counted_by_the_batch():
    from sites.exclusions import exclusions_set
    from tracker.models import DropCount

    site = SiteFactory()
    exclusions_set(site=site, excluded_paths=[], allowed_hostnames=[], excluded_ip_ranges=["203.0.113.0/24"])
    edge = pipeline.pseudonymise(hit(site_id=site.id, ip="203.0.113.5"))
    assert (edge.ip, edge.visitor_hash, edge.drop) == (None, 0, DropReason.EXCLUDED_ADDRESS)
    buffered = Hit.from_buffer(edge.to_buffer())
    assert b"203.0.113" not in edge.to_buffer()
    assert buffered.drop == DropReason.EXCLUDED_ADDRESS
    result = pipeline.process_batch([buffered])
    assert (result.stored, result.dropped) == (0, {DropReason.EXCLUDED_ADDRESS: 1})
    assert DropCount.objects.get().reason == "excluded_address"


@pytest.mark.django_db
def test_drop_excluded_drops_paths_and_hostnames_outside_the_allowlist():
    from sites.exclusions import exclusions_set

    site = SiteFactory()
    exclusions_set(site=site, excluded_paths=["/a/**"], allowed_hostnames=["*.blog.example"], excluded_ip_ranges=[])

    def dropped(url: str) -> DropReason | None:
        return steps.run_steps(hit(site_id=site.id, raw_url=url), steps.STEPS).drop

    assert dropped("https://www.blog.example/a/b") == DropReason.EXCLUDED_PATH
    assert dropped("https://blog.example/b") is None
    assert dropped("https://docs.blog.example/b") is None
    assert dropped("https://blog-example.github.io/b") == DropReason.EXCLUDED_HOSTNAME
    assert steps.run_steps(hit(site_id=site.id, user_agent=GOOGLEBOT), steps.STEPS).drop == DropReason.BOT
