"""Who may use each ingest route: the browser endpoint and the snippet are public, the server
endpoint takes an events:write key for sites its user owns.

Table-driven over every principal of tests/principals.py: every route of tracker/urls.py must
have a row here. Refusals are JSON errors in the project's shape.
"""

from __future__ import annotations

import orjson
import pytest

from tests.principals import OK, PRINCIPALS, Outcome, Row, assert_project_error, by_key, everyone, parametrize_rows
from tests.routes import routes

pytestmark = pytest.mark.django_db

ACCEPTED = Outcome(202)
SCOPE = Outcome(403, code="insufficient_scope")
# A site the key's user does not own is refused like an unregistered one.
NOT_OURS = Outcome(400, code="unknown_site")
NOT_POST = Outcome(405, code="method_not_allowed")
EVENT = {"name": "pageview", "url": "https://stats.example/blog/x", "domain": "stats.example"}

# (route pattern, the request made and its outcome per principal)
ROWS: list[tuple[str, Row]] = [
    ("api/event", Row("post", "api/event", everyone(ACCEPTED), orjson.dumps(EVENT), "text/plain")),
    (
        "api/event",
        Row("post", "api/event", everyone(NOT_OURS), orjson.dumps({**EVENT, "domain": "nobody.example"}), "text/plain"),
    ),
    ("api/event", Row("get", "api/event", everyone(NOT_POST))),
    (
        "api/events",
        Row(
            "post",
            "api/events",
            by_key(
                no_key=Outcome(401, code="missing_api_key"),
                bad_key=Outcome(401, code="invalid_api_key"),
                stats_read=SCOPE,
                events_write=ACCEPTED,
                sites_manage=SCOPE,
                elsewhere=NOT_OURS,
                viewer_key=NOT_OURS,
            ),
            {"events": [EVENT]},
            "application/json",
        ),
    ),
    ("api/events", Row("get", "api/events", everyone(NOT_POST))),
    ("js/script.js", Row("get", "js/script.js", everyone(OK))),
    ("js/script.js", Row("post", "js/script.js", everyone(Outcome(405)))),
]
ROUTES = {route for route, _ in ROWS}


def test_every_ingest_route_has_a_row():
    assert routes(conf="tracker.urls") == ROUTES


@parametrize_rows(ROWS)
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access(principals, row, principal):
    response = row.expect(principals, principal, REMOTE_ADDR="198.51.100.7")
    if response.status_code >= 400 and row.path.startswith("api/"):
        assert_project_error(response)
