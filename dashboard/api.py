"""Stats API v1, shaped like Plausible's: thin views that parse a query, call the stats layer, render.

Authentication is a bearer API key with the `stats:read` scope; a site outside the key's
reach is answered 404, exactly as a site that does not exist, so names do not leak.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.stats import report
from dashboard.stats.query import QueryError, StatsQuery, build_query
from tracker.errors import ApiError
from tracker.keys import api_key_from_request, require_scope, site_ids_for_key
from tracker.models import ApiKey, Site
from tracker.sites import normalise_domain, site_create


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey]:
        key = api_key_from_request(request._request)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error in the project's shape: {"error": {"code", "message", "field"}}."""
    if isinstance(exc, QueryError):
        exc = ApiError("invalid_query", exc.message, field=exc.field)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"": exc.detail}
        field, messages = next(iter(detail.items()))
        message = messages[0] if isinstance(messages, list) else str(messages)
        request = context.get("request")
        code = "invalid_query" if request is None or request.method == "GET" else "invalid_field"
        exc = ApiError(code, str(message), field=field or None)
    elif isinstance(exc, exceptions.APIException) and not isinstance(exc, ApiError):
        exc = ApiError(str(exc.default_code), str(exc.detail), status=exc.status_code)
    if not isinstance(exc, ApiError):
        return None
    response = Response({"error": exc.as_dict()}, status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def request_key(request: Request) -> ApiKey:
    """Return the key ApiKeyAuthentication attached (it sets one or raises)."""
    key = request.auth
    assert isinstance(key, ApiKey)
    return key


def site_for_key(key: ApiKey, domain: str) -> Site:
    """Return the site the key may read, or raise 404 whether it is missing or out of reach."""
    require_scope(key, ApiKey.Scope.STATS_READ)
    site = Site.objects.filter(domain=normalise_domain(domain)).first()
    if site is None or site.id not in site_ids_for_key(key, owner_only=False):
        raise ApiError("site_not_found", f"No site {domain!r} for this key.", field="site_id", status=404)
    return site


class StatsApi(APIView):
    authentication_classes = [ApiKeyAuthentication]

    class InputSerializer(serializers.Serializer):
        site_id = serializers.CharField()
        period = serializers.CharField(required=False)
        date = serializers.CharField(required=False)
        metrics = serializers.CharField(required=False)
        filters = serializers.CharField(required=False)
        interval = serializers.CharField(required=False)
        property = serializers.CharField(required=False)
        compare = serializers.CharField(required=False)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)
        page = serializers.IntegerField(required=False, min_value=1, default=1)

    def parse(self, request: Request) -> tuple[StatsQuery, dict[str, Any]]:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        site = site_for_key(request_key(request), data["site_id"])
        text = {k: v for k, v in data.items() if isinstance(v, str) and k != "site_id"}
        return build_query(site_id=site.id, timezone=site.timezone, params=text, now=timezone.now()), data


class AggregateApi(StatsApi):
    def get(self, request: Request) -> Response:
        query, _ = self.parse(request)
        results = report.aggregate(query)
        if query.comparison is None:
            return Response({"results": {m: {"value": v.value} for m, v in results.items()}})
        return Response(
            {
                "results": {
                    m: {"value": v.value, "comparison_value": v.comparison, "change": v.change}
                    for m, v in results.items()
                }
            }
        )


class TimeseriesApi(StatsApi):
    def get(self, request: Request) -> Response:
        query, _ = self.parse(request)
        return Response({"results": report.timeseries(query)})


class BreakdownApi(StatsApi):
    def get(self, request: Request) -> Response:
        query, data = self.parse(request)
        if query.breakdown is None:
            raise ApiError("invalid_query", "A breakdown needs a property, e.g. property=event:page.", field="property")
        return Response({"results": report.breakdown(query, limit=data["limit"], page=data["page"])})


class RealtimeVisitorsApi(APIView):
    """The number of visitors in the last 5 minutes, as a bare integer (as Plausible answers)."""

    authentication_classes = [ApiKeyAuthentication]

    def get(self, request: Request) -> Response:
        key = request_key(request)
        domain = request.query_params.get("site_id")
        if not domain:
            raise ApiError("invalid_query", "site_id is required.", field="site_id")
        site = site_for_key(key, domain)
        return Response(report.realtime_visitors(site.id, timezone.now()))


class SitesApi(APIView):
    """List the key's sites (stats:read or sites:manage); create one (sites:manage)."""

    authentication_classes = [ApiKeyAuthentication]

    class InputSerializer(serializers.Serializer):
        domain = serializers.CharField(max_length=253)
        name = serializers.CharField(max_length=200, required=False, default="")
        timezone = serializers.CharField(max_length=64, required=False, default="UTC")

    @staticmethod
    def _render(site: Site) -> dict[str, str]:
        return {"domain": site.domain, "name": site.name, "timezone": site.timezone}

    def get(self, request: Request) -> Response:
        key = request_key(request)
        if not {ApiKey.Scope.STATS_READ, ApiKey.Scope.SITES_MANAGE} & set(key.scopes):
            require_scope(key, ApiKey.Scope.STATS_READ)
        sites = Site.objects.filter(id__in=site_ids_for_key(key, owner_only=False)).order_by("domain")
        return Response({"sites": [self._render(site) for site in sites]})

    def post(self, request: Request) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if Site.objects.filter(domain=normalise_domain(data["domain"])).exists():
            raise ApiError("domain_taken", "A site with this domain exists already.", field="domain")
        try:
            site = site_create(owner=key.user, domain=data["domain"], name=data["name"], timezone=data["timezone"])
        except DjangoValidationError as exc:
            field_name, messages = next(iter(exc.message_dict.items()))
            raise ApiError("invalid_field", messages[0], field=field_name) from exc
        return Response(self._render(site), status=201)
