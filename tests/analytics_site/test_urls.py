"""The URL conf as a whole: every route, on the main host and on the µAnalytics host, is in an access matrix.

Each matrix also checks its own URL conf; this test catches a route outside all of them, such as
one a new `include` brings in.
"""

from __future__ import annotations

from tests.analytics_site.test_access_matrix import ROUTES as ACCOUNT_ROUTES
from tests.analytics_site.test_access_matrix import admin_rule
from tests.compat.test_access_matrix import MOUNT
from tests.compat.test_access_matrix import ROUTES as COMPAT_ROUTES
from tests.dashboard.api.test_access_matrix import ROUTES as API_ROUTES
from tests.dashboard.test_access_matrix import ROUTES as DASHBOARD_ROUTES
from tests.routes import routes
from tests.tracker.test_access_matrix import ROUTES as INGEST_ROUTES


def test_every_route_is_in_exactly_one_access_matrix():
    every = routes()
    matrices = {
        "accounts": ACCOUNT_ROUTES,
        "admin": {route for route in every if admin_rule(route) is not None},
        "µAnalytics": {MOUNT + route for route in COMPAT_ROUTES},
        "dashboard": set(DASHBOARD_ROUTES),
        "API": API_ROUTES,
        "ingest": INGEST_ROUTES,
    }
    covered = set().union(*matrices.values())
    assert every - covered == set(), "routes no access matrix covers"
    assert covered - every == set(), "matrix rows for routes the URL conf does not have"
    assert sum(len(routes) for routes in matrices.values()) == len(covered), "routes in two matrices"


def test_the_microanalytics_host_has_no_route_beyond_its_matrix():
    assert routes(urlconf="compat.host_urls") == COMPAT_ROUTES
