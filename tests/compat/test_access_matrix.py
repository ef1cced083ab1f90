"""Who may use each µAnalytics route, under its path and at the root of its own host.

Authentication is on, as by default: HTTP Basic with MICROANALYTICS_USER/MICROANALYTICS_PASSWORD
(every website), or any user name with a Footfall API key as the password, within the key's
scopes and sites. A session or a share token is no credential here. Table-driven: every route of
compat/urls.py (which the host's URL conf mounts at its root) must have a row.
"""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from tests.principals import PRINCIPALS, Outcome, Row, by_key, everyone, parametrize_rows
from tests.routes import routes

pytestmark = pytest.mark.django_db

MOUNT = "compat/microanalytics/"
HOST = "ua.example"
# Besides the principals every matrix knows: the configured credentials, and a wrong password for them.
CONFIGURED = "µAnalytics credentials"
WRONG_PASSWORD = "wrong password"
CALLERS = (*PRINCIPALS, CONFIGURED, WRONG_PASSWORD)

NO_AUTH = Outcome(400, code="InvalidAuthentication")
REFUSED = Outcome(401, code="InvalidCredentials")
NO_WEBSITE = Outcome(400, code="InvalidDatabaseName")
OK = Outcome(200)
NOT_ALLOWED = Outcome(405, code="MethodNotAllowed")


def by_credentials(
    *, stats_read: Outcome, events_write: Outcome, sites_manage: Outcome, elsewhere: Outcome, viewer_key: Outcome
) -> dict[str, Outcome]:
    """Outcomes by credentials; the configured ones reach every website."""
    return by_key(
        no_key=NO_AUTH,
        bad_key=REFUSED,
        stats_read=stats_read,
        events_write=events_write,
        sites_manage=sites_manage,
        elsewhere=elsewhere,
        viewer_key=viewer_key,
    ) | {CONFIGURED: OK, WRONG_PASSWORD: REFUSED}


def public(outcome: Outcome) -> dict[str, Outcome]:
    return everyone(outcome) | {CONFIGURED: outcome, WRONG_PASSWORD: outcome}


# Reading takes stats:read on a site the key reaches; a website out of reach is as good as missing.
READ = by_credentials(
    stats_read=OK, events_write=NO_WEBSITE, sites_manage=NO_WEBSITE, elsewhere=NO_WEBSITE, viewer_key=OK
)
# Writing takes events:write on a site the key's user owns.
WRITE = by_credentials(stats_read=REFUSED, events_write=OK, sites_manage=REFUSED, elsewhere=REFUSED, viewer_key=REFUSED)
# Creating a website takes events:write on a key not narrowed to some sites; its user owns the new site.
CREATE = by_credentials(stats_read=REFUSED, events_write=OK, sites_manage=REFUSED, elsewhere=REFUSED, viewer_key=OK)
# Deleting takes sites:manage on an owned site; a key that can see the website but not delete it is refused.
DELETE = by_credentials(
    stats_read=REFUSED, events_write=REFUSED, sites_manage=OK, elsewhere=NO_WEBSITE, viewer_key=REFUSED
)
# Credentials are checked before the method or the property name.
CHECKED_THEN = by_credentials(
    stats_read=NOT_ALLOWED,
    events_write=NOT_ALLOWED,
    sites_manage=NOT_ALLOWED,
    elsewhere=NOT_ALLOWED,
    viewer_key=NOT_ALLOWED,
) | {CONFIGURED: NOT_ALLOWED}
BAD_PROPERTY = {
    caller: Outcome(405, code="InvalidProperty") if outcome == NOT_ALLOWED else outcome
    for caller, outcome in CHECKED_THEN.items()
}
TEXT = "text/plain"

# (route pattern relative to the mount, the request made and its outcome per caller)
ROWS: list[tuple[str, Row]] = [
    ("", Row("get", "", public(OK))),  # the version, without credentials, as µAnalytics answers
    ("", Row("post", "", public(NOT_ALLOWED))),
    ("<str:website>", Row("get", "stats.example", READ)),
    ("<str:website>", Row("post", "stats.example", WRITE, b'{"event": "x"}', TEXT)),
    ("<str:website>", Row("post", "new.example", CREATE, b'{"event": "x"}', TEXT)),
    ("<str:website>", Row("post", "bulk", WRITE, b'{"list": [{"website": "stats.example", "event": "x"}]}', TEXT)),
    ("<str:website>", Row("delete", "stats.example", DELETE)),
    ("<str:website>", Row("put", "stats.example", CHECKED_THEN)),
    ("<str:website>/<str:name>", Row("get", "stats.example/count", READ)),
    ("<str:website>/<str:name>", Row("get", "stats.example/events", READ)),
    ("<str:website>/<str:name>", Row("get", "stats.example/nope", BAD_PROPERTY)),
    ("<str:website>/<str:name>", Row("post", "stats.example/bulk", WRITE, b'{"list": [{"event": "x"}]}', TEXT)),
    ("^(?P<rest>.*)$", Row("get", "a/b/c", public(Outcome(404, code="NotFound")))),
]
ROUTES = {route for route, _ in ROWS}


@pytest.fixture(autouse=True)
def _open_api(settings):
    """Authentication on (the compat tests turn it off by default), with configured credentials."""
    settings.MICROANALYTICS_AUTH = True
    settings.MICROANALYTICS_USER = "ua"
    settings.MICROANALYTICS_PASSWORD = "configured-password"
    settings.MICROANALYTICS_HOST = HOST
    settings.ALLOWED_HOSTS = ["testserver", HOST]


def basic(user: str, password: str) -> Client:
    return Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


def test_every_route_has_a_row_under_the_path_and_on_the_host():
    assert {route.removeprefix(MOUNT) for route in routes(conf="compat.urls")} == ROUTES
    assert routes(urlconf="compat.host_urls") == ROUTES


@pytest.mark.parametrize("mount", ["path", "host"])
@parametrize_rows(ROWS)
@pytest.mark.parametrize("caller", CALLERS)
def test_access(principals, mount, row, caller):
    client = {CONFIGURED: basic("ua", "configured-password"), WRONG_PASSWORD: basic("ua", "wrong")}.get(caller)
    prefix, host = ("/" + MOUNT, "testserver") if mount == "path" else ("/", HOST)
    response = row.expect(principals, caller, prefix=prefix, scheme="Basic", client=client, HTTP_HOST=host)
    assert response["Content-Type"] == "application/json"
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message"}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/", "/sites/stats.example/", "/share/x/"])
def test_the_host_serves_nothing_but_the_api(principals, path):
    response = principals.client("owner").get(path, HTTP_HOST=HOST)
    if path == "/":
        assert set(response.json()) == {"message", "version"}
    else:
        assert response.status_code == 404
        assert response.json()["code"] == "NotFound"
