"""The stats endpoints' query parameters, read the same way by the REST and GraphQL APIs: the same text
means the same query, and a bad value gets the same code, field and message in either."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rest_framework import serializers

from analytics_site.errors import ApiError
from dashboard.api.errors import first_error
from sites.models import Site
from stats import Kind, QueryError, StatsQuery, build_query


class StatsQuerySerializer(serializers.Serializer):
    """The parameters' shapes; their meaning is checked by the stats layer's parser."""

    site_id = serializers.CharField(max_length=253)
    period = serializers.CharField(required=False)
    date = serializers.CharField(required=False)
    metrics = serializers.CharField(required=False)
    filters = serializers.CharField(required=False)
    interval = serializers.CharField(required=False)
    property = serializers.CharField(required=False)
    compare = serializers.CharField(required=False)
    limit = serializers.CharField(required=False)
    page = serializers.CharField(required=False)
    with_imported = serializers.CharField(required=False)


def stats_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Return the parameters as text, or raise a 400 invalid_query naming the first malformed one."""
    serializer = StatsQuerySerializer(data=params)
    if not serializer.is_valid():
        field, message = first_error(serializer.errors)
        raise ApiError("invalid_query", message, field=field)
    return dict(serializer.validated_data)


def stats_query(site: Site, params: Mapping[str, str], *, kind: Kind, now: datetime) -> StatsQuery:
    """Return the stats layer's query of the parameters for this site, or raise a 400 invalid_query."""
    text = {name: value for name, value in params.items() if name != "site_id"}
    try:
        return build_query(site_id=site.id, timezone=site.timezone, params=text, now=now, kind=kind)
    except QueryError as exc:
        raise ApiError("invalid_query", exc.message, field=exc.field) from exc
