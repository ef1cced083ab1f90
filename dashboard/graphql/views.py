"""The GraphQL endpoint, /api/graphql: the Stats API's bearer keys and rate limit, GraphQL's error format.

The key is authenticated and counted against its per-minute limit (API_RATE_LIMIT_PER_MINUTE,
shared with /api/v1/) before the document is read. Those failures, and requests that are not
GraphQL at all, are HTTP errors (401, 429 with Retry-After, 400, 405) whose body is a GraphQL error
list: `{"errors": [{"message", "extensions": {"code", "field"}}]}`. Everything after that answers
200, with each failed field's error in `errors` beside the data of the fields that succeeded.
Scopes and sites are checked per field, as the REST API checks them per endpoint.

GraphiQL is served at the same address to browsers in DEBUG only, from this instance's static
files; it sends the key from its Headers tab.
"""

from __future__ import annotations

import json
from typing import Any, cast

from cross_web import HTTPException
from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView
from strawberry.http.base import BaseRequestProtocol

from analytics_site.errors import ApiError
from dashboard.graphql.schema import GraphQLContext, schema
from sites.keys import api_key_from_request
from tracker.ratelimit import check_api_key_rate

# Codes for the HTTP errors strawberry raises before a document runs (bad body, batches, methods).
HTTP_CODES = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed"}


def error_response(error: ApiError) -> JsonResponse:
    """Return the error as GraphQL's error list, with the REST API's status and headers."""
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code, "field": error.field}}]}
    response = JsonResponse(body, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    if error.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    if error.status == 405:
        response["Allow"] = "GET, POST"
    return response


def http_error(exc: HTTPException) -> ApiError:
    """Return strawberry's HTTP error as an ApiError with a stable code."""
    code = "invalid_json" if isinstance(exc.__cause__, json.JSONDecodeError) else HTTP_CODES.get(exc.status_code)
    return ApiError(code or "invalid_request", exc.reason, status=exc.status_code)


# GraphiQL's stylesheet carries its fonts as data: URLs; scripts stay restricted to our own files.
@csp_update({"font-src": [SELF, "data:"]})
def graphiql(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/pages/graphiql.html", {"endpoint": request.path})


@method_decorator(csrf_exempt, name="dispatch")  # bearer keys, not cookies: nothing to forge
class GraphQLApiView(GraphQLView[GraphQLContext, None]):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return self.run(request=request)
        except ApiError as exc:
            return error_response(exc)
        except HTTPException as exc:
            return error_response(http_error(exc))

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        return settings.DEBUG and super().should_render_graphql_ide(request)

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        return cast(HttpResponse, graphiql(request))

    def get_context(self, request: HttpRequest, response: HttpResponse) -> GraphQLContext:
        # Strawberry asks for the context after the GraphiQL check and before reading the body.
        key = api_key_from_request(request)
        check_api_key_rate(key.prefix)
        return GraphQLContext(request=request, response=response, key=key, now=timezone.now())


graphql_api = GraphQLApiView.as_view(schema=schema)
