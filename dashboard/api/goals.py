"""A site's goals and funnels over the API: list, add, remove (sites:manage; changes need an owner's key).

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
from sites.goals import FUNNEL_STEPS, GoalError, as_id, funnel_create, funnel_delete, goal_create, goal_delete
from sites.models import ApiKey, Funnel, Goal, Site
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


def _refused(exc: GoalError) -> ApiError:
    exists = exc.code in ("goal_exists", "funnel_exists")
    return ApiError(exc.code, exc.message, field=exc.field, status=409 if exists else 400)


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
            raise _refused(exc) from exc
        return Response(GoalSerializer(goal).data, status=201)


class GoalApi(KeyedApi):
    """Remove one of a site's goals."""

    @extend_schema(**openapi.GOALS_DELETE)
    def delete(self, request: Request, domain: str, goal_id: str) -> Response:
        site = site_for_key_owner(request_key(request), domain)
        found = as_id(goal_id)
        if found is None or not goal_delete(site=site, goal_id=found):
            raise ApiError("goal_not_found", f"No goal {goal_id!r} of {site.domain}.", status=404)
        return Response(status=204)


class FunnelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField(), help_text="The goals' display names, in order.")


def _funnel_data(funnel: Funnel) -> dict[str, object]:
    return {"id": funnel.id, "name": funnel.name, "steps": [goal.display_name for goal in funnel.goals()]}


class FunnelListSerializer(serializers.Serializer):
    funnels = FunnelSerializer(many=True)


class FunnelCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    steps = serializers.ListField(
        child=serializers.CharField(max_length=120),
        min_length=FUNNEL_STEPS[0],
        max_length=FUNNEL_STEPS[1],
        help_text="The display names of the site's goals, in the order a visit completes them.",
    )


def _funnels(site: Site) -> list[dict[str, object]]:
    return [_funnel_data(funnel) for funnel in site.funnels.order_by("id").prefetch_related("steps__goal")]


class FunnelsApi(KeyedApi):
    """List a site's funnels; add one."""

    @extend_schema(
        **openapi.FUNNELS_LIST, responses=openapi.with_errors({200: FunnelListSerializer}, 401, 403, 404, 429)
    )
    def get(self, request: Request, domain: str) -> Response:
        site = site_for_key(request_key(request), domain, scope=ApiKey.Scope.SITES_MANAGE, field=None)
        return Response({"funnels": _funnels(site)})

    @extend_schema(
        **openapi.FUNNELS_CREATE,
        request=FunnelCreateSerializer,
        responses=openapi.with_errors({201: FunnelSerializer}, 400, 401, 403, 404, 409, 429),
    )
    def post(self, request: Request, domain: str) -> Response:
        site = site_for_key_owner(request_key(request), domain)
        params = FunnelCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            funnel = funnel_create(site=site, **params.validated_data)
        except GoalError as exc:
            raise _refused(exc) from exc
        return Response(_funnel_data(funnel), status=201)


class FunnelApi(KeyedApi):
    """Remove one of a site's funnels (its goals stay)."""

    @extend_schema(**openapi.FUNNELS_DELETE)
    def delete(self, request: Request, domain: str, funnel_id: str) -> Response:
        site = site_for_key_owner(request_key(request), domain)
        found = as_id(funnel_id)
        if found is None or not funnel_delete(site=site, funnel_id=found):
            raise ApiError("funnel_not_found", f"No funnel {funnel_id!r} of {site.domain}.", status=404)
        return Response(status=204)
