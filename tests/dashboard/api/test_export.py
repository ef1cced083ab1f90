"""Export over the API (bearer key, stats:read) and the members' download; site deletion over the API."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from sites.keys import api_key_create
from sites.models import ApiKey, Membership, Site
from tests.factories import MembershipFactory, UserFactory
from tracker.lifecycle import export, parquet
from tracker.models import Event

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def reader(site):
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    return api_key_create(user=user, name="reader", scopes=["stats:read"])[1]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_api_streams_csv_by_default(client, site, reader):
    response = client.get("/api/v1/export", {"site": "stats.example"}, headers=bearer(reader))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="footfall-stats.example.csv"'
    rows = list(csv.reader(io.StringIO(body(response).decode(), newline="")))
    assert rows[0] == list(export.COLUMNS)
    assert len(rows) == 1 + Event.objects.filter(site=site).count()


def test_api_streams_ndjson_for_a_day(client, site, reader):
    response = client.get(
        "/api/v1/export", {"site": "stats.example", "format": "ndjson", "date": "2026-11-20"}, headers=bearer(reader)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    rows = [orjson.loads(line) for line in body(response).splitlines()]
    assert len(rows) == 7  # the day before is left out
    assert all(row["timestamp"].startswith("2026-11-20") for row in rows)


def test_api_streams_parquet(client, site, reader):
    response = client.get("/api/v1/export", {"site": "stats.example", "format": "parquet"}, headers=bearer(reader))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    assert response["Content-Disposition"] == 'attachment; filename="footfall-stats.example.parquet"'
    rows = parquet.read_rows(io.BytesIO(body(response)))
    assert len(rows) == Event.objects.filter(site=site).count()
    assert list(rows[0]) == list(export.COLUMNS)


def test_api_parquet_of_a_day_without_events_is_an_empty_file(client, site, reader):
    params = {"site": "stats.example", "format": "parquet", "date": "2020-01-01"}
    response = client.get("/api/v1/export", params, headers=bearer(reader))
    assert response.status_code == 200
    assert parquet.read_rows(io.BytesIO(body(response))) == []


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"site": "stats.example", "format": "xlsx"}, 400, "invalid_query", "format"),
        ({"site": "stats.example", "format": "PARQUET"}, 400, "invalid_query", "format"),
        ({"site": "stats.example", "date": "2026-02-30"}, 400, "invalid_query", "date"),
        ({"site": "stats.example", "date": "2026-11-20,2026-11-01"}, 400, "invalid_query", "date"),
        ({}, 400, "invalid_query", "site"),
        ({"site": "elsewhere.example"}, 404, "site_not_found", "site"),
    ],
)
def test_api_errors_are_json(client, site, reader, params, status, code, field):
    response = client.get("/api/v1/export", params, headers=bearer(reader))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field


def test_api_export_needs_stats_read(client, site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    writer = api_key_create(user=user, name="writer", scopes=["events:write"])[1]
    response = client.get("/api/v1/export", {"site": "stats.example"}, headers=bearer(writer))
    assert response.status_code == 403
    assert client.get("/api/v1/export", {"site": "stats.example"}).status_code == 401


def test_members_download_the_export(client, site):
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    client.force_login(user)
    response = client.get("/sites/stats.example/export", {"format": "ndjson"})
    assert response.status_code == 200
    assert len(body(response).splitlines()) == Event.objects.filter(site=site).count()
    assert client.get("/sites/stats.example/export", {"format": "pdf"}).json()["error"]["field"] == "format"
    response = client.get("/sites/stats.example/export", {"format": "parquet"})
    assert len(parquet.read_rows(io.BytesIO(body(response)))) == Event.objects.filter(site=site).count()
    assert client.get("/sites/stats.example/export", {"date": "x"}).status_code == 400


@pytest.mark.parametrize(
    ("date", "name"),
    [
        ("2026-11-20%0a", "footfall-stats.example-2026-11-20.csv"),
        ("%202026-11-01,2026-11-20%0d%0a", "footfall-stats.example-2026-11-01_2026-11-20.csv"),
    ],
)
def test_the_file_name_comes_from_the_parsed_days_not_the_text_sent(client, site, date, name):
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    client.force_login(user)
    response = client.get(f"/sites/stats.example/export?date={date}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_strangers_and_anonymous_users_get_no_export(client, site):
    assert client.get("/sites/stats.example/export")["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get("/sites/stats.example/export").status_code == 404


# --- DELETE /api/v1/sites/<domain> -------------------------------------------------------------


@pytest.fixture
def owner_key(site):
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.OWNER)
    return api_key_create(user=user, name="admin", scopes=["sites:manage", "stats:read"])[1]


def test_deleting_a_site_needs_the_domain_confirmed(client, site, owner_key):
    response = client.delete("/api/v1/sites/stats.example", headers=bearer(owner_key))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "confirmation_required"
    assert response.json()["error"]["field"] == "confirm"
    response = client.delete("/api/v1/sites/stats.example?confirm=other.example", headers=bearer(owner_key))
    assert response.status_code == 400
    assert Site.objects.filter(domain="stats.example").exists()
    response = client.delete("/api/v1/sites/stats.example?confirm=stats.example", headers=bearer(owner_key))
    assert response.status_code == 204
    assert not Site.objects.filter(domain="stats.example").exists()
    assert not Event.objects.exists()


def test_only_owners_delete_sites(client, site):
    viewer = UserFactory()
    MembershipFactory(user=viewer, site=site, role=Membership.Role.VIEWER)
    key = api_key_create(user=viewer, name="v", scopes=["sites:manage"])[1]
    response = client.delete("/api/v1/sites/stats.example?confirm=stats.example", headers=bearer(key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_owner"
    stranger = api_key_create(user=UserFactory(), name="s", scopes=["sites:manage"])[1]
    response = client.delete("/api/v1/sites/stats.example?confirm=stats.example", headers=bearer(stranger))
    assert response.status_code == 404
    assert Site.objects.filter(domain="stats.example").exists()


def test_deleting_a_site_needs_sites_manage(client, site, reader):
    response = client.delete("/api/v1/sites/stats.example?confirm=stats.example", headers=bearer(reader))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert ApiKey.objects.exists()
