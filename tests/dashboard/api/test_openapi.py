"""The OpenAPI schema and docs page: complete, self-hosted, and true to the serializers and the stats layer."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders

from dashboard.api.openapi import STATS_PARAMETERS
from dashboard.api.params import StatsQuerySerializer
from stats.query import INTERVALS, METRICS, PERIODS

OPERATIONS = {
    ("/api/v1/stats/aggregate", "get"),
    ("/api/v1/stats/timeseries", "get"),
    ("/api/v1/stats/breakdown", "get"),
    ("/api/v1/stats/realtime/visitors", "get"),
    ("/api/v1/sites", "get"),
    ("/api/v1/sites", "post"),
    ("/api/v1/keys", "get"),
    ("/api/v1/keys", "post"),
    ("/api/v1/keys/{prefix}", "delete"),
    ("/api/v1/sites/{domain}", "delete"),
    ("/api/v1/sites/{domain}/goals", "get"),
    ("/api/v1/sites/{domain}/goals", "post"),
    ("/api/v1/sites/{domain}/goals/{goal_id}", "delete"),
    ("/api/v1/sites/{domain}/funnels", "get"),
    ("/api/v1/sites/{domain}/funnels", "post"),
    ("/api/v1/sites/{domain}/funnels/{funnel_id}", "delete"),
    ("/api/v1/stats/funnel", "get"),
    ("/api/v1/export", "get"),
}


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def parameters(openapi: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in openapi["paths"][path]["get"]["parameters"]}


def test_schema_lists_every_operation_behind_the_bearer_key(openapi):
    assert openapi["openapi"].startswith("3.")
    found = {(path, method) for path, item in openapi["paths"].items() for method in item}
    assert found == OPERATIONS
    assert openapi["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    for path, method in OPERATIONS:
        assert openapi["paths"][path][method]["security"] == [{"apiKey": []}]


def test_every_operation_documents_its_errors_in_the_project_shape(openapi):
    error = openapi["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"code", "message", "field"}
    for path, method in OPERATIONS:
        responses = openapi["paths"][path][method]["responses"]
        for status in ("401", "403", "429"):
            assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        assert "Retry-After" in responses["429"]["headers"]
        if path.startswith(("/api/v1/stats/", "/api/v1/sites/{domain}")) or path == "/api/v1/keys/{prefix}":
            assert "404" in responses
        if method != "delete" and (path.startswith("/api/v1/stats/") or method == "post"):
            assert "400" in responses


def test_stats_parameters_match_the_serializer_and_the_stats_layer(openapi):
    assert {p.name for p in STATS_PARAMETERS} == set(StatsQuerySerializer().fields)
    breakdown = parameters(openapi, "/api/v1/stats/breakdown")
    timeseries = parameters(openapi, "/api/v1/stats/timeseries")
    aggregate = parameters(openapi, "/api/v1/stats/aggregate")
    common = {"site_id", "period", "date", "metrics", "filters", "with_imported"}
    assert set(aggregate) == {*common, "compare"}
    assert set(timeseries) == {*common, "interval", "compare"}
    assert set(breakdown) == {*common, "property", "limit", "page"}
    assert aggregate["with_imported"]["schema"]["enum"] == ["true", "false"]
    assert aggregate["site_id"]["required"] is True
    assert breakdown["property"]["required"] is True
    assert aggregate["period"]["schema"]["enum"] == list(PERIODS)
    assert timeseries["interval"]["schema"]["enum"] == [*INTERVALS, "date"]  # Plausible v1 names the day `date`
    assert aggregate["compare"]["schema"]["enum"] == ["previous_period", "year_over_year"]
    assert all(metric in aggregate["metrics"]["schema"]["pattern"] for metric in METRICS)
    assert breakdown["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    for params in (aggregate, timeseries, breakdown):
        assert all(param["description"] for param in params.values())


def test_docs_page_uses_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
