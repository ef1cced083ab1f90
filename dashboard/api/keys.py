"""API keys managed by a key with `sites:manage`, never beyond itself: it creates only keys with scopes
it holds and sites it reaches, and sees and revokes only such keys (sites/selectors.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dashboard.api import openapi
from dashboard.api.auth import KeyedApi, request_key
from sites.keys import api_key_create_by_key, api_key_revoke
from sites.models import ApiKey, Site
from sites.selectors import api_key_get_for_key, api_key_list_for_key, require_scope


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

    @extend_schema(**openapi.KEYS_LIST, responses=openapi.with_errors({200: ApiKeyListSerializer}, 401, 403, 429))
    def get(self, request: Request) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        return Response(ApiKeyListSerializer({"keys": api_key_list_for_key(key)}).data)

    @extend_schema(
        **openapi.KEYS_CREATE,
        request=ApiKeyCreateSerializer,
        responses=openapi.with_errors({201: ApiKeyCreatedSerializer}, 400, 401, 403, 429),
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

    @extend_schema(**openapi.KEYS_REVOKE, responses=openapi.with_errors({204: None}, 401, 403, 404, 429))
    def delete(self, request: Request, prefix: str) -> Response:
        key = request_key(request)
        require_scope(key, ApiKey.Scope.SITES_MANAGE)
        api_key_revoke(key=api_key_get_for_key(key, prefix=prefix))
        return Response(status=204)
