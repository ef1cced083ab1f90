import time
import uuid
from dataclasses import fields
from datetime import UTC, datetime

import orjson

from stats.dimensions import VISIT_COLUMNS
from tracker.ingest.hits import Hit, VisitDimensions, new_event_uuid
from tracker.models import Event, Session
from tracker.pipeline.storage import SessionRecord


def test_the_visit_dimensions_are_the_registrys_and_columns_of_both_tables():
    names = {f.name for f in fields(VisitDimensions)}
    assert names == set(VISIT_COLUMNS)
    for model in (Event, Session):
        assert names <= {f.attname for f in model._meta.concrete_fields}


def test_a_hit_and_a_session_take_the_visit_fields_by_keyword():
    hit = Hit("u", 1, "pageview", datetime(2026, 12, 6, tzinfo=UTC), "https://a.example/", country="DE")
    session = SessionRecord(1, 7, hit.timestamp, hit.timestamp, country=hit.country)
    assert (hit.country, session.country, session.browser) == ("DE", "DE", "")
    # Positions are each class's own fields; the visit's are keywords only.
    assert SessionRecord(1, 7, hit.timestamp, hit.timestamp, "/entry").entry_path == "/entry"


def test_a_hit_round_trips_through_the_buffer():
    hit = Hit("u", 1, "pageview", datetime(2026, 12, 6, 9, tzinfo=UTC), "https://a.example/", country="DE")
    hit.fixed = {"referrer": "news.example"}
    again = Hit.from_buffer(hit.to_buffer())
    assert (again.raw_url, again.country, again.fixed, again.timestamp) == (
        hit.raw_url,
        "DE",
        {"referrer": "news.example"},
        hit.timestamp,
    )


def test_a_payload_buffered_under_the_earlier_names_reads_as_today():
    earlier = orjson.dumps(
        {
            "uuid": "u",
            "site_id": 1,
            "name": "pageview",
            "timestamp": 1796547600.0,
            "url": "https://a.example/post",
            "referrer": "https://news.example/",
            "fixed": {"referrer_domain": "news.example", "os": "Linux"},
        }
    )
    hit = Hit.from_buffer(earlier)
    assert (hit.raw_url, hit.raw_referrer, hit.referrer) == ("https://a.example/post", "https://news.example/", "")
    assert hit.fixed == {"referrer": "news.example", "os": "Linux"}


def test_new_event_uuids_are_version_7_and_sort_by_time():
    earlier = [str(new_event_uuid()) for _ in range(50)]
    time.sleep(0.002)  # the next millisecond at least
    later = str(new_event_uuid())

    parsed = uuid.UUID(later)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert len(set(earlier)) == 50
    assert all(value < later for value in earlier)  # as text too: the index order of the column
    assert abs((parsed.int >> 80) - time.time_ns() // 1_000_000) < 5_000  # milliseconds since the epoch
