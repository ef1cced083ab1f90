"""The Stats API's views: parse the query parameters, run the query through the stats layer, render.

A site outside the key's reach is answered 404, exactly as a missing one, so names do not leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

import stats
from analytics_site.errors import ApiError
from dashboard.api import openapi
from dashboard.api.auth import KeyedApi, request_key
from dashboard.api.errors import first_error
from dashboard.api.params import stats_params, stats_query
from dashboard.results import aggregate_json, breakdown_json, funnel_json, timeseries_json
from sites.goals import funnel_of_site
from sites.models import Funnel, Site
from sites.selectors import site_for_key
from stats import Kind, Result


class StatsApi(KeyedApi):
    kind = Kind.AGGREGATE

    def run(self, request: Request) -> Result:
        params = stats_params(request.query_params)
        site = site_for_key(request_key(request), params["site_id"])
        return stats.run(stats_query(site, params, kind=self.kind, now=timezone.now()))


class AggregateApi(StatsApi):
    @extend_schema(**openapi.AGGREGATE)
    def get(self, request: Request) -> Response:
        return Response(aggregate_json(self.run(request)))


class TimeseriesApi(StatsApi):
    kind = Kind.TIMESERIES

    @extend_schema(**openapi.TIMESERIES)
    def get(self, request: Request) -> Response:
        return Response(timeseries_json(self.run(request)))


class BreakdownApi(StatsApi):
    kind = Kind.BREAKDOWN

    @extend_schema(**openapi.BREAKDOWN)
    def get(self, request: Request) -> Response:
        return Response(breakdown_json(self.run(request)))


class FunnelQuerySerializer(serializers.Serializer):
    funnel = serializers.CharField(max_length=120)


def _funnel(site: Site, params: Mapping[str, Any]) -> Funnel:
    """The site's funnel named (by id or name) in the `funnel` parameter; 404 funnel_not_found."""
    named = FunnelQuerySerializer(data=params)
    if not named.is_valid():
        field, message = first_error(named.errors)
        raise ApiError("invalid_query", message, field=field)
    text = named.validated_data["funnel"]
    funnel = funnel_of_site(site, text)
    if funnel is None:
        raise ApiError("funnel_not_found", f"No funnel {text!r} of {site.domain}.", field="funnel", status=404)
    return funnel


class FunnelApi(KeyedApi):
    """A funnel's steps over the period: visitors reaching each, conversion and drop-off."""

    @extend_schema(**openapi.FUNNEL)
    def get(self, request: Request) -> Response:
        params = stats_params(request.query_params)
        site = site_for_key(request_key(request), params["site_id"])
        funnel = _funnel(site, request.query_params)
        query = stats_query(site, params, kind=Kind.AGGREGATE, now=timezone.now())
        return Response(funnel_json(stats.run_funnel(query, funnel)))


class RealtimeQuerySerializer(serializers.Serializer):
    site_id = serializers.CharField(max_length=253)


class RealtimeVisitorsApi(KeyedApi):
    """The number of visitors in the last 5 minutes, as a bare integer (as Plausible answers)."""

    @extend_schema(**openapi.REALTIME)
    def get(self, request: Request) -> Response:
        params = RealtimeQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        site = site_for_key(request_key(request), params.validated_data["site_id"])
        return Response(stats.realtime_visitors(site.id, timezone.now()))
