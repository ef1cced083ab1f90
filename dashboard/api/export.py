"""Every raw event of a site, streamed as CSV, NDJSON or Parquet (`stats:read`)."""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from analytics_site.errors import ApiError
from dashboard.api import openapi
from dashboard.api.auth import KeyedApi, request_key
from sites.selectors import site_for_key
from tracker.lifecycle import export


class ExportQuerySerializer(serializers.Serializer):
    site = serializers.CharField(max_length=253)
    format = serializers.ChoiceField(choices=export.FORMATS, default="csv")
    date = serializers.CharField(required=False, max_length=21)


class ExportApi(KeyedApi):
    """Every raw event of a site, streamed as CSV, NDJSON or Parquet (stats:read)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # `format` names the export's format here, not a DRF renderer; errors are always JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(**openapi.EXPORT)
    def get(self, request: Request) -> StreamingHttpResponse:
        params = ExportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        site = site_for_key(request_key(request), data["site"], field="site")
        try:
            bounds = export.parse_date_param(data.get("date"), site.timezone)
        except export.ExportRangeError as exc:
            raise ApiError("invalid_query", str(exc), field="date") from exc
        return export.download(site, data["format"], bounds)
