"""Who may use the routes analytics_site/urls.py declares itself: the API schema and docs, the
probes and metrics, the GraphQL API, the account pages (login, logout, password change and reset, two-factor login) and
Django admin.

Table-driven over every principal of tests/principals.py. The account routes have a row each;
admin, with a dozen routes per model, has a rule per route family, and the test fails on an
admin route that no rule matches. Everything here knows users by session: a key or a share
token in the Authorization header counts as anonymous.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.models import Alert, SentMail, Subscription
from sites.goals import funnel_create, goal_create
from sites.invitations import invitation_create
from tests.factories import TIME_ZERO, SessionFactory
from tests.principals import (
    FORBIDDEN,
    LOGIN,
    NOT_FOUND,
    OK,
    PRINCIPALS,
    Outcome,
    Principals,
    Row,
    by_key,
    by_session,
    error_code,
    everyone,
    parametrize_rows,
)
from tests.routes import routes
from tracker.models import DropCount, Salt, SpooledHit

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
SIGNED_IN = by_session(anonymous=LOGIN, stranger=OK, viewer=OK, owner=OK)
TWO_FACTOR_PAGE = Outcome(302, location="/accounts/two-factor/")
TWO_FACTOR_ACTION = by_session(anonymous=LOGIN, stranger=TWO_FACTOR_PAGE, viewer=TWO_FACTOR_PAGE, owner=TWO_FACTOR_PAGE)
NOT_POST = by_session(anonymous=LOGIN, stranger=Outcome(405), viewer=Outcome(405), owner=Outcome(405))

# GraphQL: the key is checked for the request (401 in GraphQL's error list); scopes and sites per
# field, which then is null with its error's code in a 200 answer.
GRAPHQL_SITE = json.dumps({"query": '{ site(domain: "stats.example") { aggregate { visitors { value } } } }'})
GRAPHQL_SITES = json.dumps({"query": "{ sites { domain } }"})
GRAPHQL_KEYED = {"no_key": Outcome(401, code="missing_api_key"), "bad_key": Outcome(401, code="invalid_api_key")}
SCOPE = Outcome(200, code="insufficient_scope")

# (route pattern, the request made and its outcome per principal); {reset} is the owner's reset link.
ROWS: list[tuple[str, Row]] = [
    # The schema describes the API, not anyone's data; the API itself takes a key.
    ("api/schema/", Row("get", "api/schema/?format=json", everyone(OK))),
    ("api/docs/", Row("get", "api/docs/", everyone(OK))),
    ("favicon.ico", Row("get", "favicon.ico", everyone(Outcome(302, location="/static/favicon.svg")))),
    # Probes for load balancers: nobody's data, so nobody's credentials.
    ("healthz", Row("get", "healthz", everyone(OK))),
    ("readyz", Row("get", "readyz", everyone(OK))),
    # Metrics go to this machine, or to the holder of METRICS_TOKEN (tests/ops/test_views.py): the test
    # client's requests come from 127.0.0.1, and sessions, keys and share tokens change nothing.
    ("metrics", Row("get", "metrics", everyone(OK))),
    (
        "api/graphql",
        Row(
            "post",
            "api/graphql",
            by_key(
                **GRAPHQL_KEYED,
                stats_read=OK,
                events_write=SCOPE,
                sites_manage=SCOPE,
                elsewhere=Outcome(200, code="site_not_found"),
                viewer_key=OK,
            ),
            GRAPHQL_SITE,
            "application/json",
        ),
    ),
    (
        "api/graphql",
        Row(
            "post",
            "api/graphql",
            by_key(**GRAPHQL_KEYED, stats_read=OK, events_write=SCOPE, sites_manage=OK, elsewhere=OK, viewer_key=OK),
            GRAPHQL_SITES,
            "application/json",
        ),
    ),
    ("accounts/login/", Row("get", "accounts/login/", everyone(OK))),
    (
        "accounts/login/",
        Row(
            "post", "accounts/login/", everyone(Outcome(302, location="/")), {"username": "owner", "password": PASSWORD}
        ),
    ),
    ("accounts/logout/", Row("post", "accounts/logout/", everyone(Outcome(302, location="/accounts/login/")))),
    ("accounts/logout/", Row("get", "accounts/logout/", everyone(Outcome(405)))),
    # Single sign-on exists only with OIDC_ISSUER set (tests/browser/test_sso.py signs in at a real provider).
    ("accounts/sso/", Row("get", "accounts/sso/", everyone(NOT_FOUND))),
    ("accounts/sso/callback", Row("get", "accounts/sso/callback?code=x&state=y", everyone(NOT_FOUND))),
    # Open sign-up exists only with REGISTRATION=open (tests/dashboard/test_invitations.py opens it).
    ("accounts/signup/", Row("get", "accounts/signup/", everyone(NOT_FOUND))),
    ("accounts/password_change/", Row("get", "accounts/password_change/", SIGNED_IN)),
    ("accounts/password_change/done/", Row("get", "accounts/password_change/done/", SIGNED_IN)),
    ("accounts/password_reset/", Row("get", "accounts/password_reset/", everyone(OK))),
    # The same answer for any address, known or not, signed in or not: nothing to learn from it.
    (
        "accounts/password_reset/",
        Row(
            "post",
            "accounts/password_reset/",
            everyone(Outcome(302, location="/accounts/password_reset/done/")),
            {"email": "owner@example.com"},
        ),
    ),
    ("accounts/password_reset/done/", Row("get", "accounts/password_reset/done/", everyone(OK))),
    # A made-up link shows the page saying the link is invalid; the mailed link is the credential,
    # whoever holds it, and leads to the form for a new password.
    ("accounts/reset/<uidb64>/<token>/", Row("get", "accounts/reset/MQ/made-up-token/", everyone(OK))),
    # The owner's own login since the link was mailed voids it (the token covers the last login).
    (
        "accounts/reset/<uidb64>/<token>/",
        Row(
            "get",
            "accounts/reset/{reset}/",
            everyone(Outcome(302, location="/accounts/reset/{uid}/set-password/")) | {"owner": OK},
        ),
    ),
    ("accounts/reset/done/", Row("get", "accounts/reset/done/", everyone(OK))),
    ("accounts/two-factor/", Row("get", "accounts/two-factor/", SIGNED_IN)),
    ("accounts/two-factor/start", Row("post", "accounts/two-factor/start", TWO_FACTOR_ACTION)),
    ("accounts/two-factor/start", Row("get", "accounts/two-factor/start", NOT_POST)),
    ("accounts/two-factor/confirm", Row("post", "accounts/two-factor/confirm", TWO_FACTOR_ACTION, {"token": "123456"})),
    ("accounts/two-factor/disable", Row("post", "accounts/two-factor/disable", TWO_FACTOR_ACTION, {"token": "1"})),
]
ROUTES = {route for route, _ in ROWS}


@pytest.fixture
def reset_link(principals) -> dict[str, object]:
    owner = principals.users["owner"]
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    return {"uid": uid, "reset": f"{uid}/{default_token_generator.make_token(owner)}"}


def test_every_account_route_has_a_row():
    own = routes(conf="analytics_site.urls") | routes(conf="django.contrib.auth.urls")
    assert own - routes("admin/") == ROUTES


@parametrize_rows(ROWS)
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access(principals, reset_link, row, principal):
    response = row.expect(principals, principal, fields=reset_link)
    # An answer carrying an error code (GraphQL's failed fields answer 200) must have been expected.
    if row.expected[principal].code is None:
        assert error_code(response) is None, response.content


# --- Django admin ---------------------------------------------------------------------------------

ADMIN_LOGIN = Outcome(302, location="admin login")
STAFF = ("staff", "superuser")


def staff_only(*, staff: Outcome, superuser: Outcome = OK) -> dict[str, Outcome]:
    """Anyone but staff goes to the admin's login page, which tells a signed-in user they may not enter.

    Staff without permissions reach the admin's own pages but no model's; a superuser reaches all.
    """
    return everyone(ADMIN_LOGIN) | {"staff": staff, "superuser": superuser}


@dataclass(frozen=True)
class AdminRule:
    """A family of admin routes: a regular expression over the route pattern, and one request for each.

    Named groups `app` and `model` must name a model registered with the admin; the request's path
    may use them, other named groups, {pk} (an object of that model) and {site_type} and {site} (the
    site's content type and id).
    """

    pattern: str
    row: Row


MODEL = r"admin/(?P<app>\w+)/(?P<model>\w+)/"
OBJECT = MODEL + "<path:object_id>/"
ADMIN_RULES = [
    AdminRule(r"admin/", Row("get", "admin/", staff_only(staff=OK))),
    # The admin's login would skip the second factor: everyone is sent to the project's login.
    AdminRule(
        r"admin/login/",
        Row("get", "admin/login/", everyone(Outcome(302, location="/accounts/login/?next=%2Fadmin%2F"))),
    ),
    # Logging out of the admin is for those logged in to it; anyone else is sent to its index.
    AdminRule(
        r"admin/logout/",
        Row(
            "post",
            "admin/logout/",
            everyone(Outcome(302, location="/admin/"))
            | dict.fromkeys(STAFF, Outcome(302, location="/accounts/login/")),
        ),
    ),
    AdminRule(r"admin/password_change/", Row("get", "admin/password_change/", staff_only(staff=OK))),
    AdminRule(r"admin/password_change/done/", Row("get", "admin/password_change/done/", staff_only(staff=OK))),
    AdminRule(r"admin/jsi18n/", Row("get", "admin/jsi18n/", staff_only(staff=OK))),
    AdminRule(
        r"admin/autocomplete/",
        Row(
            "get",
            "admin/autocomplete/?app_label=sites&model_name=membership&field_name=user",
            staff_only(staff=FORBIDDEN),
        ),
    ),
    # No model has a page on a site of its own, so the admin's "view on site" finds none.
    AdminRule(
        re.escape("admin/r/<path:content_type_id>/<path:object_id>/"),
        Row("get", "admin/r/{site_type}/{site}/", staff_only(staff=NOT_FOUND, superuser=NOT_FOUND)),
    ),
    AdminRule(
        re.escape("admin/^(?P<app_label>") + r"[\w|]+" + re.escape(")/$"),
        Row("get", "admin/tracker/", staff_only(staff=NOT_FOUND)),
    ),
    AdminRule(
        re.escape("admin/(?P<url>.*)$"),
        Row("get", "admin/no-such-page/", staff_only(staff=NOT_FOUND, superuser=NOT_FOUND)),
    ),
    # Login attempts are recorded by django-axes alone, none by hand.
    AdminRule(
        r"admin/(?P<app>axes)/(?P<model>\w+)/add/",
        Row("get", "admin/axes/{model}/add/", staff_only(staff=FORBIDDEN, superuser=FORBIDDEN)),
    ),
    # Keys are created with `manage.py create_api_key`, which shows the secret once; goals and funnels
    # over the API (or the site's settings), which check them. Dropped events are counted by the pipeline alone,
    # and the mail sent-log is written by the delivery runs alone.
    AdminRule(
        r"admin/(?P<label>tracker/dropcount|sites/apikey|sites/goal|sites/funnel|sites/invitation|reports/sentmail)/add/",
        Row("get", "admin/{label}/add/", staff_only(staff=FORBIDDEN, superuser=FORBIDDEN)),
    ),
    AdminRule(MODEL, Row("get", "admin/{app}/{model}/", staff_only(staff=FORBIDDEN))),
    AdminRule(MODEL + "add/", Row("get", "admin/{app}/{model}/add/", staff_only(staff=FORBIDDEN))),
    AdminRule(
        OBJECT,
        Row(
            "get",
            "admin/{app}/{model}/{pk}/",
            staff_only(
                staff=Outcome(302, location="/admin/{app}/{model}/{pk}/change/"),
                superuser=Outcome(302, location="/admin/{app}/{model}/{pk}/change/"),
            ),
        ),
    ),
    AdminRule(OBJECT + "change/", Row("get", "admin/{app}/{model}/{pk}/change/", staff_only(staff=FORBIDDEN))),
    AdminRule(OBJECT + "delete/", Row("get", "admin/{app}/{model}/{pk}/delete/", staff_only(staff=FORBIDDEN))),
    AdminRule(OBJECT + "history/", Row("get", "admin/{app}/{model}/{pk}/history/", staff_only(staff=FORBIDDEN))),
    AdminRule(
        r"admin/(?P<app>auth)/(?P<model>user)/<id>/password/",
        Row("get", "admin/auth/user/{pk}/password/", staff_only(staff=FORBIDDEN)),
    ),
    AdminRule(
        r"admin/(?P<app>otp_totp)/(?P<model>totpdevice)/<int:pk>/(?P<page>config|qrcode)/",
        Row("get", "admin/otp_totp/totpdevice/{pk}/{page}/", staff_only(staff=FORBIDDEN)),
    ),
]
REGISTERED = {model._meta.label_lower: model for model in admin.site._registry}


def admin_rule(route: str) -> tuple[AdminRule, dict[str, str]] | None:
    """Return the first rule that covers the route, with the named parts of its pattern."""
    for rule in ADMIN_RULES:
        match = re.fullmatch(rule.pattern, route)
        if match is None:
            continue
        parts = match.groupdict()
        if "app" in parts and f"{parts['app']}.{parts['model']}" not in REGISTERED:
            continue
        return rule, parts
    return None


@pytest.fixture
def admin_fields(principals: Principals) -> dict[str, object]:
    """The path fields of the admin rules: the site's, and the pk of one object of every model the
    admin shows, by model label (the principals made most of them)."""
    owner = principals.users["owner"]
    Group.objects.create(name="editors")
    attempt = {"username": "owner", "ip_address": "fd00::1", "user_agent": "test", "http_accept": "*/*"}
    AccessAttempt.objects.create(
        **attempt, path_info="/accounts/login/", get_data="", post_data="", failures_since_start=1
    )
    AccessLog.objects.create(**attempt, path_info="/accounts/login/")
    AccessFailureLog.objects.create(**attempt, path_info="/accounts/login/", locked_out=False)
    TOTPDevice.objects.create(user=owner, name="Authenticator app")
    Salt.objects.create(day=date(2026, 11, 20), secret=b"\x00" * 32)
    SessionFactory(site=principals.site)
    SpooledHit.objects.create(payload=b"{}")
    DropCount.objects.create(site=principals.site, hour=datetime(2026, 11, 20, tzinfo=UTC), reason="bot", events=1)
    goal_create(site=principals.site, goal_type="event", event_name="Signup")
    goal_create(site=principals.site, goal_type="page", page_path="/pricing")
    funnel_create(site=principals.site, name="Sign-ups", steps=["Visit /pricing", "Signup"])
    Subscription.objects.create(site=principals.site, user=owner, period="week")
    Alert.objects.create(site=principals.site, email="ops@example.com", kind="silence", threshold=6)
    SentMail.objects.create(
        site=principals.site, recipient="ops@example.com", kind="report:week", period="2026-11-23", claimed_at=TIME_ZERO
    )
    invitation_create(site=principals.site, invited_by=owner, email="new@example.com", role="viewer")
    fields: dict[str, object] = {
        "site_type": ContentType.objects.get_for_model(principals.site).id,
        "site": principals.site.pk,
    }
    for label, model in REGISTERED.items():
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"the admin matrix needs one {label} to open its pages"
        fields[label] = first.pk
    return fields


def test_every_admin_route_has_a_rule():
    assert not {route for route in routes(conf="admin") if admin_rule(route) is None}


@pytest.mark.parametrize("route", sorted(routes(conf="admin")))
def test_admin_access(principals, admin_fields, route):
    rule, parts = admin_rule(route) or pytest.fail(f"no rule covers {route}")
    fields = {**admin_fields, **parts}
    if "app" in parts:
        fields["pk"] = admin_fields[f"{parts['app']}.{parts['model']}"]
    for principal in PRINCIPALS:
        rule.row.expect(principals, principal, fields=fields)
