"""Any Accept header gets the API's JSON answer, never a 406."""

from __future__ import annotations

import pytest

from sites.keys import api_key_create
from sites.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCEPT_HEADERS = ["", ";", "text/html", "application/xml", "image/png;q=1, */*;q=0", "application/json"]


@pytest.fixture
def key(site):
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    return api_key_create(user=user, name="reader", scopes=["stats:read"])[1]


@pytest.mark.parametrize("accept", ACCEPT_HEADERS)
def test_answers_and_errors_are_json_whatever_the_accept_header(client, key, accept):
    bearer = {"Authorization": f"Bearer {key}", "Accept": accept}
    answer = client.get("/api/v1/stats/aggregate", {"site_id": "stats.example", "period": "7d"}, headers=bearer)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    assert "visitors" in answer.json()["results"]

    refused = client.get("/api/v1/sites", headers={"Accept": accept})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "missing_api_key"
