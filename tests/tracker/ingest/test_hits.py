from dataclasses import fields
from datetime import UTC, datetime

import orjson

from stats.dimensions import VISIT_COLUMNS
from tracker.ingest.hits import Hit, VisitDimensions
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
