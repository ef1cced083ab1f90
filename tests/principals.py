"""Who calls a route in the access matrices, and how an answer is compared with what a row expects.

The principals stand around one site, stats.example: anonymous, a stranger (a viewer of another
site only), a viewer, an owner, a staff user and a superuser (neither a member), the owner's API
keys with one scope each, an owner's key with every scope narrowed to another site, a viewer's
key with every scope, and the holder of a share link of stats.example.

A row of a matrix says, for each principal, the exact outcome: a status, and where it matters
the redirect target or the error code. Users log in by session; keys and the share token travel
in the Authorization header (Bearer, or Basic for the µAnalytics API), so every session route
also shows that a key or a token opens nothing there.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

from sites.keys import KEY_PREFIX, api_key_create
from sites.models import ApiKey, Membership, ShareLink, Site
from tests.factories import EventFactory, MembershipFactory, SiteFactory, UserFactory

SITE = "stats.example"
ELSEWHERE = "elsewhere.example"
EVERY_SCOPE = tuple(ApiKey.Scope.values)

USERS = ("stranger", "viewer", "owner", "staff", "superuser")
# principal -> (whose key, scopes, narrowed to the other site)
KEYS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "key stats:read": ("owner", ("stats:read",), False),
    "key events:write": ("owner", ("events:write",), False),
    "key sites:manage": ("owner", ("sites:manage",), False),
    "key elsewhere": ("owner", EVERY_SCOPE, True),
    "viewer's key": ("viewer", EVERY_SCOPE, False),
}
SHARE_LINK = "share link"
PRINCIPALS = ("anonymous", *USERS, *KEYS, SHARE_LINK)
# A token no link has: what anyone without the share link puts in a share URL.
UNKNOWN_TOKEN = "no-such-link"


@dataclass(frozen=True)
class Outcome:
    """An expected answer: the status, and optionally where it redirects or which error code it carries.

    `location` "login" and "admin login" mean the login page with ?next= the requested path.
    """

    status: int
    location: str | None = None
    code: str | None = None


LOGIN = Outcome(302, location="login")
NOT_FOUND = Outcome(404)
FORBIDDEN = Outcome(403)
OK = Outcome(200)
LOGIN_PAGES = {"login": "/accounts/login/", "admin login": "/admin/login/"}

Expected = Mapping[str, Outcome]


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(PRINCIPALS, outcome)


def by_session(
    *,
    anonymous: Outcome,
    stranger: Outcome,
    viewer: Outcome,
    owner: Outcome,
    staff: Outcome | None = None,
    superuser: Outcome | None = None,
) -> dict[str, Outcome]:
    """Outcomes of a route that knows users by session: keys and share tokens count as anonymous.

    Staff who are no member are strangers; a superuser is treated as an owner of every site.
    """
    outcomes = dict.fromkeys((*KEYS, SHARE_LINK), anonymous)
    return outcomes | {
        "anonymous": anonymous,
        "stranger": stranger,
        "viewer": viewer,
        "owner": owner,
        "staff": staff or stranger,
        "superuser": superuser or owner,
    }


def by_key(
    *,
    no_key: Outcome,
    bad_key: Outcome,
    stats_read: Outcome,
    events_write: Outcome,
    sites_manage: Outcome,
    elsewhere: Outcome,
    viewer_key: Outcome,
) -> dict[str, Outcome]:
    """Outcomes of a route that knows callers by API key: a session is no key, a share token a bad one."""
    return dict.fromkeys(("anonymous", *USERS), no_key) | {
        SHARE_LINK: bad_key,
        "key stats:read": stats_read,
        "key events:write": events_write,
        "key sites:manage": sites_manage,
        "key elsewhere": elsewhere,
        "viewer's key": viewer_key,
    }


@dataclass
class Principals:
    site: Site
    elsewhere: Site
    users: dict[str, User]
    secrets: dict[str, str]
    share_link: ShareLink
    viewer_membership: Membership

    def path(self, template: str, principal: str, **fields: object) -> str:
        """Fill in a row's path: {token} is the share token the principal holds (none but the link's
        holder has the real one), {membership} the viewer's membership, {link} the share link's id,
        {prefix} the prefix of the owner's sites:manage key; `fields` are a matrix's own."""
        token = self.share_link.token if principal == SHARE_LINK else UNKNOWN_TOKEN
        return template.format(
            token=token, membership=self.viewer_membership.id, link=self.share_link.id, prefix=self.prefix, **fields
        )

    @property
    def prefix(self) -> str:
        """The prefix of the owner's sites:manage key."""
        return self.secrets["key sites:manage"].removeprefix(KEY_PREFIX).split("_", 1)[0]

    def authorization(self, principal: str, scheme: str) -> dict[str, str]:
        """Return the principal's Authorization header in this scheme ("Bearer" or "Basic"), if it has a secret."""
        secret = self.secrets.get(principal)
        if secret is None:
            return {}
        if scheme == "Basic":
            secret = base64.b64encode(f"client:{secret}".encode()).decode()
        return {"HTTP_AUTHORIZATION": f"{scheme} {secret}"}

    def client(self, principal: str, scheme: str = "Bearer") -> Client:
        """Return a client logged in as the principal's user, sending its secret, if any, on every request."""
        client = Client(**self.authorization(principal, scheme))
        if principal in self.users:
            client.force_login(self.users[principal])
        return client


def principals_create() -> Principals:
    """Create stats.example (with one page view), the other site, the users, keys and a share link."""
    site = cast(Site, SiteFactory(domain=SITE))
    elsewhere = cast(Site, SiteFactory(domain=ELSEWHERE))
    EventFactory(site=site, path="/blog/x")
    viewing = cast(Membership, MembershipFactory(site=site, role="viewer", user__username="viewer"))
    users = {
        "stranger": MembershipFactory(site=elsewhere, role="viewer", user__username="stranger").user,
        "viewer": viewing.user,
        "owner": MembershipFactory(site=site, role="owner", user__username="owner").user,
        "staff": UserFactory(username="staff", is_staff=True),
        "superuser": UserFactory(username="superuser", is_staff=True, is_superuser=True),
    }
    MembershipFactory(site=elsewhere, role="owner", user=users["owner"])
    secrets = {
        principal: api_key_create(
            user=users[whose], name=principal, scopes=scopes, sites=[elsewhere] if narrowed else []
        )[1]
        for principal, (whose, scopes, narrowed) in KEYS.items()
    }
    link = ShareLink.objects.create(site=site, token="s" * 32)
    secrets[SHARE_LINK] = link.token
    return Principals(
        site=site, elsewhere=elsewhere, users=users, secrets=secrets, share_link=link, viewer_membership=viewing
    )


@dataclass(frozen=True)
class Row:
    """One request of a matrix and its outcome for each principal; the path may hold the fields
    Principals.path fills in, and a query string."""

    method: str
    path: str
    expected: Expected
    data: Any = None
    content_type: str | None = None

    def send(
        self,
        principals: Principals,
        principal: str,
        *,
        prefix: str = "/",
        scheme: str = "Bearer",
        client: Client | None = None,
        fields: Mapping[str, object] | None = None,
        **extra: str,
    ) -> tuple[HttpResponse, str]:
        """Send the request as the principal (or with the client given); return the answer and the path asked for.

        `fields` fill in the path's placeholders beyond those of Principals.path.
        """
        path = prefix + principals.path(self.path, principal, **(fields or {}))
        client = client or principals.client(principal, scheme)
        if self.content_type is not None:
            extra["content_type"] = self.content_type
        return getattr(client, self.method)(path, self.data, **extra), path

    def expect(self, principals: Principals, principal: str, **options: Any) -> HttpResponse:
        """Send the request as the principal, assert the row's outcome for it, and return the answer.

        The `fields` option fills in the placeholders of an expected redirect target too.
        """
        response, path = self.send(principals, principal, **options)
        outcome = self.expected[principal]
        if outcome.location and options.get("fields"):
            outcome = replace(outcome, location=outcome.location.format(**options["fields"]))
        problem = mismatch(response, outcome, path)
        if response.streaming:
            # Ends the stream, and the database cursor behind it, within this test's transaction.
            response.close()
        assert problem is None, (principal, self.method, path, problem)
        return response


def parametrize_rows(rows: Iterable[tuple[str, Row]]) -> pytest.MarkDecorator:
    """Parametrize a test's `row` over a matrix's (route, row) pairs, named by method and path."""
    listed = [row for _, row in rows]
    return pytest.mark.parametrize("row", listed, ids=[f"{row.method} {row.path}" for row in listed])


def assert_project_error(response: HttpResponse) -> None:
    """A refusal in the project's shape: {"error": {"code", "message", "field"}}."""
    assert set(response.json()["error"]) == {"code", "message", "field"}, response.content


def mismatch(response: HttpResponse, expected: Outcome, path: str) -> str | None:
    """Return how the response differs from the expected outcome, or None when it matches."""
    if response.status_code != expected.status:
        return f"expected {expected.status}, got {response.status_code}: {_start(response)!r}"
    if expected.location is not None:
        location = response.get("Location", "")
        target = LOGIN_PAGES.get(expected.location)
        if target is None:
            if location != expected.location:
                return f"expected a redirect to {expected.location}, got {location!r}"
        else:
            parts = urlsplit(location)
            if parts.path != target or parse_qs(parts.query).get("next") != [path]:
                return f"expected a redirect to {target}?next={path}, got {location!r}"
    if expected.code is not None and error_code(response) != expected.code:
        return f"expected error code {expected.code}, got {_start(response)!r}"
    return None


def _start(response: HttpResponse) -> bytes:
    return b"(streamed)" if response.streaming else response.content[:200]


def error_code(response: HttpResponse) -> str | None:
    """Return the error code of a JSON error: the project's {"error": {"code"}}, µAnalytics' {"code"},
    or the first of GraphQL's {"errors": [{"extensions": {"code"}}]}."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    body = response.json()
    if not isinstance(body, dict):
        return None
    if body.get("errors"):
        return body["errors"][0].get("extensions", {}).get("code")
    error = body.get("error", body)
    return error.get("code") if isinstance(error, dict) else None
