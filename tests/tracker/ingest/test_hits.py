from dataclasses import fields
from datetime import UTC, datetime

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
