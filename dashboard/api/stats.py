"""The Stats API's views: parse the query parameters, run the query through the stats layer, render.

A site outside the key's reach is answered 404, exactly as a missing one, so names do not leak.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

import stats
from dashboard.api import openapi
from dashboard.api.auth import KeyedApi, request_key
from dashboard.api.params import stats_params, stats_query
from dashboard.results import aggregate_json, breakdown_json, timeseries_json
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
