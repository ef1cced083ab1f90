"""The GraphQL tests' shared pieces: a reading key for stats.example and a way to post a query."""

from __future__ import annotations

from typing import Any

import pytest

from sites.keys import api_key_create
from sites.models import Membership
from tests.factories import MembershipFactory, UserFactory

ENDPOINT = "/api/graphql"


def post(client, query: str, key: str | None, variables: dict[str, Any] | None = None, **extra):
    """POST a GraphQL query with the key as a bearer token; return the response."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"query": query, "variables": variables or {}}
    return client.post(ENDPOINT, body, content_type="application/json", headers=headers, **extra)


def data(client, query: str, key: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the data of a query that must succeed without errors."""
    response = post(client, query, key, variables)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def errors(client, query: str, key: str, variables: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Return the errors of a query answered 200 with errors."""
    response = post(client, query, key, variables)
    assert response.status_code == 200, response.content[:500]
    return response.json()["errors"]


@pytest.fixture
def reader(site) -> str:
    """A stats:read key of a viewer of stats.example."""
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    return api_key_create(user=user, name="reader", scopes=["stats:read"])[1]
