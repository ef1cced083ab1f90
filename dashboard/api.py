"""Stats API v1, shaped like Plausible's: thin views that parse a query, call the stats layer, render.

Authentication is a bearer API key with the `stats:read` scope; a site outside the key's
reach is answered 404, exactly as a site that does not exist, so names do not leak. Every
request counts against its key's per-minute limit (API_RATE_LIMIT_PER_MINUTE).

Keys manage keys with the `sites:manage` scope, and never beyond themselves: a key can create
only keys with scopes it holds and sites it reaches, and can see and revoke only such keys
(see tracker/keys.py). The OpenAPI description lives beside this module, in dashboard/schema.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from analytics_site.errors import ApiError
from dashboard import schema
from sites.keys import api_key_create_by_key, api_key_from_request, api_key_revoke
from sites.models import ApiKey, Site, normalise_domain
from sites.selectors import api_key_get_for_key, api_key_list_for_key, require_scope, site_ids_for_key
from sites.services import site_create
from stats import report
from stats.query import QueryError, StatsQuery, build_query
from tracker.lifecycle import export
from tracker.lifecycle.deletion import site_delete
from tracker.ratelimit import check_api_key_rate


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey]:
        key = api_key_from_request(request._request)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class ApiKeyRateThrottle(BaseThrottle):
    """Count each request against its key's fixed one-minute window."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        # Raising instead of returning False gives the 429 the code, message and Retry-After
        # that the ingest limiter answers with; DRF's own Throttled carries none of them.
        check_api_key_rate(request_key(request).prefix)
        return True


def _first_error(detail: Any) -> tuple[str | None, str]:
    """Return the first (top-level field, message) of DRF's nested error detail."""
    field: str | None = None
    while isinstance(detail, dict | list) and detail:
        if isinstance(detail, dict):
            key, detail = next(iter(detail.items()))
            field = str(key) if field is None else field
        else:
            detail = detail[0]
    if field in ("", api_settings.NON_FIELD_ERRORS_KEY):
        field = None
    return field, str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error in the project's shape: {"error": {"code", "message", "field"}}."""
    if isinstance(exc, QueryError):
        exc = ApiError("invalid_query", exc.message, field=exc.field)
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_error(exc.detail)
        request = context.get("request")
        code = "invalid_query" if request is None or request.method == "GET" else "invalid_field"
        exc = ApiError(code, message, field=field)
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


def site_for_key(key: ApiKey, domain: str, *, field: str = "site_id") -> Site:
    """Return the site the key may read, or raise 404 whether it is missing or out of reach.

    `field` names the parameter that carried the domain, for the error.
    """
    require_scope(key, ApiKey.Scope.STATS_READ)
    site = Site.objects.filter(domain=normalise_domain(domain)).first()
    if site is None or site.id not in site_ids_for_key(key, owner_only=False):
        raise ApiError("site_not_found", f"No site {domain!r} for this key.", field=field, status=404)
    return site


def sites_for_key(key: ApiKey) -> QuerySet[Site]:
    """Return the sites the key reaches, by domain; listing them takes stats:read or sites:manage."""
    if not {ApiKey.Scope.STATS_READ, ApiKey.Scope.SITES_MANAGE} & set(key.scopes):
        require_scope(key, ApiKey.Scope.STATS_READ)
    return Site.objects.filter(id__in=site_ids_for_key(key, owner_only=False)).order_by("domain")


class KeyedApi(APIView):
    """The base of every /api/v1/ view: a bearer key, its rate limit, JSON in and out."""

    authentication_classes = [ApiKeyAuthentication]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


class StatsQuerySerializer(serializers.Serializer):
    """The query parameters of the stats endpoints; their meaning is checked by the stats layer."""

    site_id = serializers.CharField(max_length=253)
    period = serializers.CharField(required=False)
    date = serializers.CharField(required=False)
    metrics = serializers.CharField(required=False)
    filters = serializers.CharField(required=False)
    interval = serializers.CharField(required=False)
    property = serializers.CharField(required=False)
    compare = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)


def stats_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the validated stats parameters, or raise a 400 invalid_query naming the first bad one.

    The REST and GraphQL APIs both come through here and `stats_query`, so the same text means
    the same query and a bad value gets the same code, field and message in either.
    """
    serializer = StatsQuerySerializer(data=params)
    if not serializer.is_valid():
        field, message = _first_error(serializer.errors)
        raise ApiError("invalid_query", message, field=field)
    return dict(serializer.validated_data)


def stats_query(site: Site, data: Mapping[str, Any], *, now: datetime) -> StatsQuery:
    """Return the stats layer's query for validated parameters, or raise a 400 invalid_query."""
    text = {k: v for k, v in data.items() if isinstance(v, str) and k != "site_id"}
    try:
        return build_query(site_id=site.id, timezone=site.timezone, params=text, now=now)
    except QueryError as exc:
        raise ApiError("invalid_query", exc.message, field=exc.field) from exc


def require_breakdown(query: StatsQuery) -> None:
    """Raise a 400 invalid_query unless the query names a property to break down by."""
    if query.breakdown is None:
        raise ApiError("invalid_query", "A breakdown needs a property, e.g. property=event:page.", field="property")


class StatsApi(KeyedApi):
    def parse(self, request: Request) -> tuple[StatsQuery, dict[str, Any]]:
        data = stats_params(request.query_params)
        site = site_for_key(request_key(request), data["site_id"])
        return stats_query(site, data, now=timezone.now()), data


class AggregateApi(StatsApi):
    @extend_schema(**schema.AGGREGATE)
    def get(self, request: Request) -> Response:
        query, _ = self.parse(request)
        results = report.aggregate(query)
        return Response({"results": report.aggregate_results(results, compared=query.comparison is not None)})


class TimeseriesApi(StatsApi):
    @extend_schema(**schema.TIMESERIES)
    def get(self, request: Request) -> Response:
        query, _ = self.parse(request)
        return Response({"results": report.timeseries(query)})


class BreakdownApi(StatsApi):
    @extend_schema(**schema.BREAKDOWN)
    def get(self, request: Request) -> Response:
        query, data = self.parse(request)
        require_breakdown(query)
        return Response({"results": report.breakdown(query, limit=data["limit"], page=data["page"])})


class RealtimeQuerySerializer(serializers.Serializer):
    site_id = serializers.CharField(max_length=253)


class RealtimeVisitorsApi(KeyedApi):
    """The number of visitors in the last 5 minutes, as a bare integer (as Plausible answers)."""

    @extend_schema(**schema.REALTIME)
    def get(self, request: Request) -> Response:
        key = request_key(request)
        params = RealtimeQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        site = site_for_key(key, params.validated_data["site_id"])
        return Response(report.realtime_visitors(site.id, timezone.now()))


class SiteSerializer(serializers.Serializer):
    domain = serializers.CharField(help_text="The domain the snippet reports, e.g. blog.example.")
    name = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA time zone the site's days are counted in.")


class SiteListSerializer(serializers.Serializer):
    sites = SiteSerializer(many=True)


class SiteCreateSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=253, help_text="Stored lower case, without a leading www.")
    name = serializers.CharField(max_length=200, required=False, default="")
    timezone = serializers.CharField(max_length=64, required=False, default="UTC", help_text="An IANA time zone.")


class SitesApi(KeyedApi):
    """List the key's sites (stats:read or sites:manage); create one (sites:manage)."""

    @extend_schema(**schema.SITES_LIST, responses=schema.with_errors({200: SiteListSerializer}, 401, 403, 429))
    def get(self, request: Request) -> Response:
        return Response(SiteListSerializer({"sites": sites_for_key(request_key(request))}).data)

    @extend_schema(
        **schema.SITES_CREATE,
        request=SiteCreateSerializer,
        responses=schema.with_errors({201: SiteSerializer}, 400, 401, 403, 429),
    )
    def post(self, request: Request) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        if key.sites.exists():
            # A narrowed key acts for its sites only; adding one acts for the whole account.
            raise ApiError("restricted_key", "This API key is narrowed to some sites and cannot add sites.", status=403)
        params = SiteCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if Site.objects.filter(domain=normalise_domain(data["domain"])).exists():
            raise ApiError("domain_taken", "A site with this domain exists already.", field="domain")
        try:
            site = site_create(owner=key.user, domain=data["domain"], name=data["name"], timezone=data["timezone"])
        except DjangoValidationError as exc:
            field_name, messages = next(iter(exc.message_dict.items()))
            raise ApiError("invalid_field", messages[0], field=field_name) from exc
        return Response(SiteSerializer(site).data, status=201)


class ApiKeySerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKey.Scope.choices))
    sites: serializers.SlugRelatedField[Site] = serializers.SlugRelatedField(
        slug_field="domain", many=True, read_only=True, help_text="Domains the key is narrowed to; empty: every site."
    )

    class Meta:
        model = ApiKey
        fields = ["name", "prefix", "scopes", "sites", "created", "last_used", "revoked"]
        read_only_fields = fields


class ApiKeyListSerializer(serializers.Serializer):
    keys = ApiKeySerializer(many=True)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    secret = serializers.CharField(help_text="The whole key. It is shown this once and cannot be recovered.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "secret"]


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKey.Scope.choices),
        allow_empty=False,
        max_length=10,
        help_text="Only scopes the calling key holds itself.",
    )
    sites = serializers.ListField(
        child=serializers.CharField(max_length=253),
        required=False,
        max_length=1000,
        help_text="Domains to narrow the key to, within the calling key's reach. Omitted or empty: the calling "
        "key's own restriction (every site of the user for an unrestricted key).",
    )


class KeysApi(KeyedApi):
    """List the keys the calling key may manage; create one (both need sites:manage)."""

    @extend_schema(**schema.KEYS_LIST, responses=schema.with_errors({200: ApiKeyListSerializer}, 401, 403, 429))
    def get(self, request: Request) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        return Response(ApiKeyListSerializer({"keys": api_key_list_for_key(key)}).data)

    @extend_schema(
        **schema.KEYS_CREATE,
        request=ApiKeyCreateSerializer,
        responses=schema.with_errors({201: ApiKeyCreatedSerializer}, 400, 401, 403, 429),
    )
    def post(self, request: Request) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        params = ApiKeyCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        created, secret = api_key_create_by_key(
            creator=key, name=data["name"], scopes=data["scopes"], domains=data.get("sites", ())
        )
        return Response({**ApiKeySerializer(created).data, "secret": secret}, status=201)


class KeyApi(KeyedApi):
    """Revoke one of the keys the calling key may manage (sites:manage)."""

    @extend_schema(**schema.KEYS_REVOKE, responses=schema.with_errors({204: None}, 401, 403, 404, 429))
    def delete(self, request: Request, prefix: str) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        api_key_revoke(key=api_key_get_for_key(key, prefix=prefix))
        return Response(status=204)


# --- Data ownership: export and site deletion ---------------------------------------------------


class ExportQuerySerializer(serializers.Serializer):
    site = serializers.CharField(max_length=253)
    format = serializers.ChoiceField(choices=export.FORMATS, default="csv")
    date = serializers.CharField(required=False, max_length=21)


class ExportApi(KeyedApi):
    """Every raw event of a site, streamed as CSV or NDJSON (stats:read)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # `format` names the export's format here, not a DRF renderer; errors are always JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(**schema.EXPORT)
    def get(self, request: Request) -> StreamingHttpResponse:
        params = ExportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        site = site_for_key(request_key(request), data["site"], field="site")
        try:
            bounds = export.parse_date_param(data.get("date"), site.timezone)
        except export.ExportRangeError as exc:
            raise ApiError("invalid_query", str(exc), field="date") from exc
        return export_response(site, data["format"], bounds)


def export_response(site: Site, fmt: str, bounds: export.ExportRange) -> StreamingHttpResponse:
    """Return the streamed download of the site's events (shared by the API and the dashboard's view)."""
    response = StreamingHttpResponse(export.stream(site, fmt, bounds), content_type=export.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = str(content_disposition_header(True, export.filename(site, fmt, bounds)))
    response["Cache-Control"] = "no-store"
    return response


class SiteDeleteQuerySerializer(serializers.Serializer):
    confirm = serializers.CharField(max_length=253, required=False, default="")


class SiteApi(KeyedApi):
    """Delete a site and everything it collected (sites:manage, owners only)."""

    @extend_schema(**schema.SITES_DELETE)
    def delete(self, request: Request, domain: str) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        site = Site.objects.filter(domain=normalise_domain(domain)).first()
        if site is None or site.id not in site_ids_for_key(key, owner_only=False):
            raise ApiError("site_not_found", f"No site {domain!r} for this key.", status=404)
        if site.id not in site_ids_for_key(key, owner_only=True):
            raise ApiError("not_owner", "Only an owner of the site can delete it.", status=403)
        params = SiteDeleteQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if normalise_domain(params.validated_data["confirm"]) != site.domain:
            raise ApiError(
                "confirmation_required",
                f"Deleting {site.domain} removes all its data for good; confirm with ?confirm={site.domain}.",
                field="confirm",
            )
        site_delete(site)
        return Response(status=204)
