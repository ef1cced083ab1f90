"""`manage.py doctor`: the checks and readings for a person, and a failing exit when a check fails."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ops import checks
from tests.factories import SiteFactory
from tests.tracker.test_buffer import make_hits
from tracker import buffer

pytestmark = pytest.mark.django_db


def doctor() -> str:
    out = StringIO()
    call_command("doctor", stdout=out)
    return out.getvalue()


def test_a_healthy_embedded_install(settings):
    settings.REDIS_URL = ""
    output = doctor()
    assert "embedded" in output
    for line in ("ok   database", "ok   migrations", "spool      0 events", "rollups", "archive"):
        assert line in output


@pytest.mark.django_db(transaction=True)
def test_counts_are_shown_once_events_flowed(settings):
    settings.REDIS_URL = ""
    buffer.push(make_hits(SiteFactory(), 2))
    assert "2 accepted, 2 stored, dropped: none" in doctor()


def test_a_failing_check_fails_the_command(monkeypatch):
    monkeypatch.setattr(checks, "readiness", lambda: [checks.Check("database", False, "unreachable: refused")])
    out = StringIO()
    with pytest.raises(CommandError, match="not ready: database"):
        call_command("doctor", stdout=out)
    assert "FAIL database   unreachable: refused" in out.getvalue()
