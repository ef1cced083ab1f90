"""A site's goals over the API: list, add, remove (sites:manage; changes need an owner's key).

Shaped as Plausible's Sites API shapes goals, so its clients carry over.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from analytics_site.errors import ApiError
from dashboard.api import openapi
from dashboard.api.auth import KeyedApi, request_key
from sites.goals import GoalError, goal_create, goal_delete
from sites.models import ApiKey, Goal
from sites.selectors import site_for_key, site_for_key_owner


class GoalSerializer(serializers.ModelSerializer):
    custom_props = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="The property an event goal matches, if any."
    )

    class Meta:
        model = Goal
        fields = ["id", "goal_type", "display_name", "event_name", "page_path", "custom_props"]
        read_only_fields = fields


class GoalListSerializer(serializers.Serializer):
    goals = GoalSerializer(many=True)


class GoalCreateSerializer(serializers.Serializer):
    goal_type = serializers.ChoiceField(choices=Goal.Type.choices)
    event_name = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)
    page_path = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    custom_props = serializers.DictField(
        child=serializers.CharField(max_length=2000),
        required=False,
        default=dict,
        help_text="With an event goal: at most one property and the value it must equal.",
    )
    display_name = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)


class GoalsApi(KeyedApi):
    """List a site's goals; add one."""

    @extend_schema(**openapi.GOALS_LIST, responses=openapi.with_errors({200: GoalListSerializer}, 401, 403, 404, 429))
    def get(self, request: Request, domain: str) -> Response:
        site = site_for_key(request_key(request), domain, scope=ApiKey.Scope.SITES_MANAGE, field=None)
        return Response(GoalListSerializer({"goals": site.goals.order_by("id")}).data)

    @extend_schema(
        **openapi.GOALS_CREATE,
        request=GoalCreateSerializer,
        responses=openapi.with_errors({201: GoalSerializer}, 400, 401, 403, 404, 409, 429),
    )
    def post(self, request: Request, domain: str) -> Response:
        site = site_for_key_owner(request_key(request), domain)
        params = GoalCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            goal = goal_create(site=site, **params.validated_data)
        except GoalError as exc:
            status = 409 if exc.code == "goal_exists" else 400
            raise ApiError(exc.code, exc.message, field=exc.field, status=status) from exc
        return Response(GoalSerializer(goal).data, status=201)


class GoalApi(KeyedApi):
    """Remove one of a site's goals."""

    @extend_schema(**openapi.GOALS_DELETE)
    def delete(self, request: Request, domain: str, goal_id: str) -> Response:
        site = site_for_key_owner(request_key(request), domain)
        an_id = goal_id.isascii() and goal_id.isdigit() and len(goal_id) < 19
        if not (an_id and goal_delete(site=site, goal_id=int(goal_id))):
            raise ApiError("goal_not_found", f"No goal {goal_id!r} of {site.domain}.", status=404)
        return Response(status=204)
