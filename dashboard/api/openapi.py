"""The OpenAPI description of the Stats API (drf-spectacular): bearer keys, parameters, bodies, errors.

The views of dashboard/api/ pass these to `extend_schema`. Parameter enums and patterns come
from the stats layer's own lists, so the schema cannot drift from what the parser accepts.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from stats.dimensions import BY_NAME, GOAL
from stats.dimensions import PROPS_PREFIX as PROP_PREFIX
from stats.query import INTERVALS, METRICS, PERIODS
from tracker.lifecycle.export import COLUMNS, FORMATS

TAG_STATS = "stats"
TAG_SITES = "sites"
TAG_KEYS = "keys"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "dashboard.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ff_<prefix>_<secret>",
            "description": "An API key, sent as `Authorization: Bearer ff_...`. Keys carry scopes "
            "(`stats:read`, `sites:manage`, `events:write`) and may be narrowed to some sites.",
        }


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. invalid_query or rate_limited.")
    message = serializers.CharField(help_text="A human-readable explanation.")
    field = serializers.CharField(allow_null=True, help_text="The parameter or body field at fault, if any.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    400: "Malformed query or body; `field` names the culprit. Codes: `invalid_query` (query parameters), "
    "`invalid_field` (body fields), `parse_error` (not JSON), `domain_taken`, `site_not_found` (a listed "
    "site is missing or out of the key's reach).",
    401: "`missing_api_key` or `invalid_api_key` (unknown, revoked, or its user deactivated).",
    403: "`insufficient_scope`: the key lacks the scope the operation needs, or would grant one it lacks; "
    "`restricted_key`: a key narrowed to some sites cannot add sites; `not_owner`: only an owner deletes a site.",
    404: "`site_not_found`, `key_not_found`, `goal_not_found` or `funnel_not_found`; objects out of the key's "
    "reach look exactly like missing ones.",
    409: "`goal_exists`: the site has this goal, or a goal of this display name, already; `funnel_exists`: "
    "a funnel of this name.",
    429: "`rate_limited`: the key sent more than API_RATE_LIMIT_PER_MINUTE requests this minute; "
    "`Retry-After` says when the window resets.",
}

RESPONSE_HEADERS = [
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[429],
        description="Seconds until the key's rate-limit window resets.",
    ),
    OpenApiParameter(
        "WWW-Authenticate",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[401],
        description="Always `Bearer`.",
    ),
]


def with_errors(responses: dict[int, Any], *statuses: int) -> dict[int, Any]:
    """Return the success responses plus the project's error shape for each status."""
    return responses | {status: OpenApiResponse(ErrorSerializer, description=ERRORS[status]) for status in statuses}


def _choice_pattern(choices: list[str] | tuple[str, ...], *, separated: bool = False) -> str:
    alternatives = "|".join(re.escape(choice) for choice in choices)
    if separated:
        return f"^({alternatives})(,({alternatives}))*$"
    return f"^({alternatives})$"


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=required, description=description)


DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
SITE_ID = _query(
    "site_id",
    {"type": "string", "minLength": 1, "maxLength": 253},
    "The site's domain, as registered (e.g. `blog.example`). A site outside the key's reach answers 404.",
    required=True,
)
PERIOD = _query(
    "period",
    {"type": "string", "enum": list(PERIODS), "default": "30d"},
    "The range to count: `day`, the last `7d`/`30d` days up to `date`, the calendar `month` of `date`, "
    "the last `6mo`/`12mo` calendar months, or `custom` (see `date`).",
)
DATE = _query(
    "date",
    {"type": "string", "pattern": f"^{DAY}(,{DAY})?$"},
    "The last day of the period, `YYYY-MM-DD` in the site's time zone (default: today); for `period=custom` "
    "the first and last day, `YYYY-MM-DD,YYYY-MM-DD` (at most 1098 days). Days between 1900-01-01 and 9000-12-31.",
)
METRICS_PARAM = _query(
    "metrics",
    {"type": "string", "pattern": _choice_pattern(METRICS, separated=True), "default": "visitors"},
    f"Comma-separated metrics, from: {', '.join(METRICS)}. For breakdowns the first one orders the rows. "
    "`conversion_rate` (converting visitors per 100 visitors of the same query without its goal) needs a goal: "
    "an `event:goal` filter or `property=event:goal`.",
)
PROPERTIES = [*BY_NAME, GOAL]
PROPERTY_NAMES = [*PROPERTIES, f"{PROP_PREFIX}<key>"]
FILTERS = _query(
    "filters",
    {"type": "string"},
    "Semicolon-separated conditions `property==a|b`, `property!=a` or `property~part` (contains, any case), "
    f"all of which must hold. Properties: {', '.join(PROPERTY_NAMES)}. "
    "Example: `event:page==/blog/x;visit:country==DE`. `event:goal==Signup|Visit /blog/**` keeps the events "
    "that complete any of these goals (by display name), with `==` or `!=` only.",
)
INTERVAL = _query(
    "interval",
    {"type": "string", "enum": [*INTERVALS, "date"]},
    "The bucket size (default: `hour` for one day, `month` past 190 days, else `day`); `date` is `day`, "
    "as Plausible's API v1 names it.",
)
PROPERTY = _query(
    "property",
    {"type": "string", "pattern": f"^({'|'.join(re.escape(p) for p in PROPERTIES)}|{re.escape(PROP_PREFIX)}.+)$"},
    f"The property to group by: {', '.join(PROPERTY_NAMES)}. Rows name it by its last part (`page`, `source`, "
    "or the custom property's key).",
    required=True,
)
COMPARE = _query(
    "compare",
    {"type": "string", "enum": ["previous_period", "year_over_year"]},
    "Also count the period before, or the same days a year earlier, and report the change. A period still in "
    "progress (today, this month) is compared with the same elapsed span of the earlier one. With no data "
    "then, `comparison_value` is 0 and `change` null.",
)
LIMIT = _query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    "Rows per page.",
)
PAGE = _query(
    "page",
    {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
    "The page of rows, from 1.",
)
WITH_IMPORTED = _query(
    "with_imported",
    {"type": "string", "enum": ["true", "false"], "default": "false"},
    "Add the aggregates imported from other tools (Plausible CE, Umami, Google Analytics 4) for the days before "
    "the site's own data begins. They answer the site's totals and one property at a time (filtered by it, "
    "broken down by it, or both), by day, week or month; for any other query the answer is without them, "
    "with `imported_included: false` and a `warning`. Visitors over several imported days are the days' sums "
    "(approximate).",
)
# Every query parameter of the stats endpoints, for the test that keeps them in step with the serializer.
STATS_PARAMETERS = (
    SITE_ID,
    PERIOD,
    DATE,
    METRICS_PARAM,
    FILTERS,
    INTERVAL,
    PROPERTY,
    COMPARE,
    LIMIT,
    PAGE,
    WITH_IMPORTED,
)
IMPORTED_FIELDS: dict[str, Any] = {
    "imported_included": {
        "type": "boolean",
        "description": "With `with_imported=true`: whether imported aggregates are in the numbers.",
    },
    "warning": {"type": "string", "description": "With `with_imported=true`: why imported data is not included."},
}

NUMBER_OR_NULL: dict[str, Any] = {"type": "number", "nullable": True}


class MetricValueSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="The metric over the period.")
    comparison_value = serializers.FloatField(
        allow_null=True, required=False, help_text="With `compare`: the metric over the comparison period."
    )
    change = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="With `compare`: the change in percent (percentage points for bounce_rate and conversion_rate).",
    )


class AggregateSerializer(serializers.Serializer):
    results = serializers.DictField(child=MetricValueSerializer(), help_text="One entry per requested metric.")
    imported_included = serializers.BooleanField(
        required=False, help_text=IMPORTED_FIELDS["imported_included"]["description"]
    )
    warning = serializers.CharField(required=False, help_text=IMPORTED_FIELDS["warning"]["description"])


TIMESERIES_ROWS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["date"],
        "properties": {
            "date": {
                "type": "string",
                "description": "The bucket's start: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` for hours.",
            }
        },
        "additionalProperties": NUMBER_OR_NULL,
    },
}
TIMESERIES_RESPONSE = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "results": {
            **TIMESERIES_ROWS,
            "description": "One row per bucket of the interval, empty buckets included, in the site's time zone.",
        },
        "comparison": {**TIMESERIES_ROWS, "description": "With `compare`: the comparison period's buckets."},
        **IMPORTED_FIELDS,
    },
}

BREAKDOWN_RESPONSE = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "results": {
            "type": "array",
            "description": "Rows ordered by the first metric, largest first.",
            "items": {
                "type": "object",
                "description": "The property's value under its short name (e.g. `page`) and one entry per metric.",
                "additionalProperties": {
                    "oneOf": [{"type": "string"}, {"type": "number"}],
                    "nullable": True,
                },
            },
        },
        **IMPORTED_FIELDS,
    },
}

STATS_ERRORS = (400, 401, 403, 404, 429)
COMMON_PARAMETERS = [SITE_ID, PERIOD, DATE, METRICS_PARAM, FILTERS]

AGGREGATE: dict[str, Any] = {
    "operation_id": "stats_aggregate",
    "tags": [TAG_STATS],
    "summary": "Totals over a period",
    "description": "Needs `stats:read`. Each metric's value over the period, with the comparison when asked.",
    "parameters": [*COMMON_PARAMETERS, COMPARE, WITH_IMPORTED, *RESPONSE_HEADERS],
    "responses": with_errors({200: AggregateSerializer}, *STATS_ERRORS),
}
TIMESERIES: dict[str, Any] = {
    "operation_id": "stats_timeseries",
    "tags": [TAG_STATS],
    "summary": "Metrics per time bucket",
    "description": "Needs `stats:read`.",
    "parameters": [*COMMON_PARAMETERS, INTERVAL, COMPARE, WITH_IMPORTED, *RESPONSE_HEADERS],
    "responses": with_errors({200: TIMESERIES_RESPONSE}, *STATS_ERRORS),
}
BREAKDOWN: dict[str, Any] = {
    "operation_id": "stats_breakdown",
    "tags": [TAG_STATS],
    "summary": "Metrics per value of a property",
    "description": "Needs `stats:read`.",
    "parameters": [*COMMON_PARAMETERS, PROPERTY, LIMIT, PAGE, WITH_IMPORTED, *RESPONSE_HEADERS],
    "responses": with_errors({200: BREAKDOWN_RESPONSE}, *STATS_ERRORS),
}
FUNNEL_STEP = {
    "type": "object",
    "required": ["goal", "visitors", "conversion_rate", "conversion_rate_step", "dropoff", "dropoff_rate"],
    "properties": {
        "goal": {"type": "string", "description": "The step's goal, by display name."},
        "visitors": {"type": "integer", "description": "Visitors who reached the step."},
        "conversion_rate": {"type": "number", "description": "Percent of the first step's visitors."},
        "conversion_rate_step": {"type": "number", "description": "Percent of the previous step's visitors."},
        "dropoff": {"type": "integer", "description": "The previous step's visitors who did not reach this one."},
        "dropoff_rate": {"type": "number", "description": "The drop-off in percent of the previous step's visitors."},
    },
}
FUNNEL_COUNTS = {
    "all_visitors": {"type": "integer", "description": "The period's visitors after filters, in the funnel or not."},
    "entering_visitors": {"type": "integer", "description": "Visitors who reached the first step."},
    "steps": {"type": "array", "items": FUNNEL_STEP},
}
FUNNEL_RESPONSE = {
    "type": "object",
    "required": ["funnel", "all_visitors", "entering_visitors", "steps"],
    "properties": {
        "funnel": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        **FUNNEL_COUNTS,
        "comparison": {
            "type": "object",
            "description": "With `compare`: the same over the comparison period.",
            "properties": FUNNEL_COUNTS,
        },
    },
}
FUNNEL_PARAM = _query(
    "funnel",
    {"type": "string", "minLength": 1, "maxLength": 120},
    "The funnel's id or name.",
    required=True,
)
FUNNEL: dict[str, Any] = {
    "operation_id": "stats_funnel",
    "tags": [TAG_STATS],
    "summary": "A funnel's steps over a period",
    "description": "Needs `stats:read`. The visitors who reached each step of the funnel (completed its goal after "
    "the steps before it, in order, in one visit, other events allowed between; a visitor counts once, at their "
    "best visit), with conversion from the first and the previous step and the drop-off. Filters apply to the "
    "events read, as everywhere. Counted from raw events. A funnel the site does not have: 404 "
    "`funnel_not_found`.",
    "parameters": [SITE_ID, PERIOD, DATE, FILTERS, COMPARE, FUNNEL_PARAM, *RESPONSE_HEADERS],
    "responses": with_errors({200: FUNNEL_RESPONSE}, *STATS_ERRORS),
}
REALTIME: dict[str, Any] = {
    "operation_id": "stats_realtime_visitors",
    "tags": [TAG_STATS],
    "summary": "Visitors in the last 5 minutes",
    "description": "Needs `stats:read`. A bare integer, as Plausible answers.",
    "parameters": [SITE_ID, *RESPONSE_HEADERS],
    "responses": with_errors(
        {200: OpenApiResponse({"type": "integer", "minimum": 0}, description="The number of visitors.")},
        *STATS_ERRORS,
    ),
}
SITES_LIST: dict[str, Any] = {
    "operation_id": "sites_list",
    "tags": [TAG_SITES],
    "summary": "The key's sites",
    "description": "Needs `stats:read` or `sites:manage`. The sites the key reaches, by domain.",
    "parameters": RESPONSE_HEADERS,
}
SITES_CREATE: dict[str, Any] = {
    "operation_id": "sites_create",
    "tags": [TAG_SITES],
    "summary": "Add a site",
    "description": "Needs `sites:manage` and a key not narrowed to some sites (else 403 `restricted_key`). "
    "The key's user becomes the site's owner.",
    "parameters": RESPONSE_HEADERS,
}
KEYS_LIST: dict[str, Any] = {
    "operation_id": "keys_list",
    "tags": [TAG_KEYS],
    "summary": "The keys this key may manage",
    "description": "Needs `sites:manage`. The user's keys whose scopes the calling key holds and whose sites lie "
    "within its reach (all of the user's keys for an unrestricted key with every scope), revoked ones included. "
    "Secrets are never shown.",
    "parameters": RESPONSE_HEADERS,
}
KEYS_CREATE: dict[str, Any] = {
    "operation_id": "keys_create",
    "tags": [TAG_KEYS],
    "summary": "Create a key",
    "description": "Needs `sites:manage`. The new key belongs to the calling key's user and reaches no further "
    "than the calling key: only scopes it holds (else 403) and sites it reaches (else 400 `site_not_found`). "
    "The answer carries the secret, once.",
    "parameters": RESPONSE_HEADERS,
}
KEYS_REVOKE: dict[str, Any] = {
    "operation_id": "keys_revoke",
    "tags": [TAG_KEYS],
    "summary": "Revoke a key",
    "description": "Needs `sites:manage`. The key answers 401 from then on; revoking it again changes nothing. "
    "A key the calling key may not manage answers 404, as a missing one does.",
    "parameters": [
        OpenApiParameter(
            "prefix",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            description="The key's prefix, as listed (the part after `ff_`).",
        ),
        *RESPONSE_HEADERS,
    ],
}

# --- Goals ----------------------------------------------------------------------------------------

TAG_GOALS = "goals"
DOMAIN_PATH = OpenApiParameter("domain", OpenApiTypes.STR, OpenApiParameter.PATH, description="The site's domain.")
GOALS_LIST: dict[str, Any] = {
    "operation_id": "goals_list",
    "tags": [TAG_GOALS],
    "summary": "A site's goals",
    "description": "Needs `sites:manage`. The goals in the order they were made. Stats count them with the "
    "`event:goal` filter and breakdown (by `display_name`) and the `conversion_rate` metric.",
    "parameters": [DOMAIN_PATH, *RESPONSE_HEADERS],
}
GOALS_CREATE: dict[str, Any] = {
    "operation_id": "goals_create",
    "tags": [TAG_GOALS],
    "summary": "Add a goal",
    "description": "Needs `sites:manage` and an owner's key. A page goal (`goal_type: page`) is completed by a "
    "page view whose path matches `page_path`, where `*` stands for any characters but `/` and `**` for any "
    "characters (`/blog/**`); an event goal (`goal_type: event`) by a custom event named `event_name`, with "
    "the one property in `custom_props` equal to its value where given. `display_name` defaults to "
    "`Visit <path>` or the event's name and is unique within the site. A goal counts past events too. A site "
    "has at most 100 goals (400 `too_many_goals`).",
    "parameters": [DOMAIN_PATH, *RESPONSE_HEADERS],
}
GOALS_DELETE: dict[str, Any] = {
    "operation_id": "goals_delete",
    "tags": [TAG_GOALS],
    "summary": "Remove a goal",
    "description": "Needs `sites:manage` and an owner's key. Nothing collected is deleted: the goal is a query.",
    "parameters": [
        DOMAIN_PATH,
        OpenApiParameter("goal_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The goal's id."),
        *RESPONSE_HEADERS,
    ],
    "responses": with_errors({204: None}, 401, 403, 404, 429),
}

FUNNELS_LIST: dict[str, Any] = {
    "operation_id": "funnels_list",
    "tags": [TAG_GOALS],
    "summary": "A site's funnels",
    "description": "Needs `sites:manage`. Each funnel's steps are its goals' display names, in order.",
    "parameters": [DOMAIN_PATH, *RESPONSE_HEADERS],
}
FUNNELS_CREATE: dict[str, Any] = {
    "operation_id": "funnels_create",
    "tags": [TAG_GOALS],
    "summary": "Add a funnel",
    "description": "Needs `sites:manage` and an owner's key. 2 to 8 steps, each one of the site's goals (by display "
    "name, each once). A visitor reaches a step when one of their visits completes its goal after the steps "
    "before it, in order, other events allowed between. Names are unique within the site; a site has at most "
    "100 funnels. Deleting a goal removes the funnels it is a step of.",
    "parameters": [DOMAIN_PATH, *RESPONSE_HEADERS],
}
FUNNELS_DELETE: dict[str, Any] = {
    "operation_id": "funnels_delete",
    "tags": [TAG_GOALS],
    "summary": "Remove a funnel",
    "description": "Needs `sites:manage` and an owner's key. Its goals stay.",
    "parameters": [
        DOMAIN_PATH,
        OpenApiParameter("funnel_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The funnel's id."),
        *RESPONSE_HEADERS,
    ],
    "responses": with_errors({204: None}, 401, 403, 404, 429),
}

# --- Data ownership: export and site deletion ---------------------------------------------------

TAG_EXPORT = "export"
EXPORT_COLUMNS_TEXT = ", ".join(f"`{c}`" for c in COLUMNS)
# Keyed by (status, media type) for the two bodies of a 200; errors are JSON.
EXPORT_RESPONSES: dict[Any, Any] = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="RFC 4180 CSV, streamed."),
    (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="One JSON object a line, streamed."),
    (200, "application/vnd.apache.parquet"): OpenApiResponse(
        OpenApiTypes.BINARY, description="A Parquet file, streamed a row group at a time."
    ),
    **with_errors({}, *STATS_ERRORS),
}
EXPORT: dict[str, Any] = {
    "operation_id": "export_events",
    "tags": [TAG_EXPORT],
    "summary": "Every raw event of a site",
    "description": "Needs `stats:read`. One row per stored event, oldest first (ties by uuid), with every "
    f"enriched field: {EXPORT_COLUMNS_TEXT}. Never a client address. `session_id` identifies the visit and "
    "stays the same after an archive restore; `props` is a JSON object. The body is streamed, so exports of "
    "millions of rows start at once and use constant memory. CSV follows RFC 4180 (CRLF, a header row; a text "
    "cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so spreadsheets do not run it); NDJSON "
    "is one JSON object per line with the same keys in the same order; Parquet has the same columns, `timestamp` "
    "a UTC timestamp in microseconds, `visitor_hash` int64, `engaged_ms` int32, `scroll_depth` int16, `props` "
    "JSON, the rest strings (zstd-compressed, a row group per 20,000 rows). Errors are found before the first byte "
    "and answered as JSON.",
    "parameters": [
        _query(
            "site",
            {"type": "string", "minLength": 1, "maxLength": 253},
            "The site's domain. A site outside the key's reach answers 404.",
            required=True,
        ),
        _query("format", {"type": "string", "enum": list(FORMATS), "default": "csv"}, "The file format."),
        _query(
            "date",
            {"type": "string", "pattern": f"^{DAY}(,{DAY})?$"},
            "One local day `YYYY-MM-DD` of the site, or the first and last day `YYYY-MM-DD,YYYY-MM-DD` "
            "(inclusive). Default: every event.",
        ),
        *RESPONSE_HEADERS,
    ],
    "responses": EXPORT_RESPONSES,
}
SITES_DELETE: dict[str, Any] = {
    "operation_id": "sites_delete",
    "tags": [TAG_SITES],
    "summary": "Delete a site and all its data",
    "description": "Needs `sites:manage` and an owner's key (a member who is not an owner gets 403 `not_owner`). "
    "Deletes the site's events, sessions, rollups, archive files, memberships and the keys narrowed to it "
    "alone (keys narrowed to more sites lose it). Irreversible, so the domain must be repeated in `confirm` "
    "(else 400 `confirmation_required`).",
    "parameters": [
        OpenApiParameter("domain", OpenApiTypes.STR, OpenApiParameter.PATH, description="The site's domain."),
        _query(
            "confirm",
            {"type": "string", "maxLength": 253},
            "The site's domain again, to confirm the deletion.",
            required=True,
        ),
        *RESPONSE_HEADERS,
    ],
    "responses": with_errors({204: None}, 400, 401, 403, 404, 429),
}
