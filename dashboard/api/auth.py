"""Bearer API keys on every /api/v1/ view, and each request counted against its key's per-minute limit."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from sites.keys import api_key_from_request
from sites.models import ApiKey
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


def request_key(request: Request) -> ApiKey:
    """Return the key ApiKeyAuthentication attached (it sets one or raises)."""
    key = request.auth
    assert isinstance(key, ApiKey)
    return key


class KeyedApi(APIView):
    """The base of every /api/v1/ view: a bearer key, its rate limit, JSON in and out."""

    authentication_classes = [ApiKeyAuthentication]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
