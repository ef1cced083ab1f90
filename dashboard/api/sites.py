"""The sites of a key: list them, add one, delete one with everything it collected."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from analytics_site.errors import ApiError
from dashboard.api import openapi
from dashboard.api.auth import KeyedApi, request_key
from sites.models import ApiKey, Site, normalise_domain
from sites.selectors import require_scope, site_for_key_owner, sites_for_key
from sites.services import site_create
from tracker.lifecycle.deletion import site_delete


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

    @extend_schema(**openapi.SITES_LIST, responses=openapi.with_errors({200: SiteListSerializer}, 401, 403, 429))
    def get(self, request: Request) -> Response:
        return Response(SiteListSerializer({"sites": sites_for_key(request_key(request))}).data)

    @extend_schema(
        **openapi.SITES_CREATE,
        request=SiteCreateSerializer,
        responses=openapi.with_errors({201: SiteSerializer}, 400, 401, 403, 429),
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


class SiteDeleteQuerySerializer(serializers.Serializer):
    confirm = serializers.CharField(max_length=253, required=False, default="")


class SiteApi(KeyedApi):
    """Delete a site and everything it collected (sites:manage, owners only)."""

    @extend_schema(**openapi.SITES_DELETE)
    def delete(self, request: Request, domain: str) -> Response:
        site = site_for_key_owner(request_key(request), domain)
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
