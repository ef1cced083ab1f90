"""URLconf of the bare baseline: the product's routes, with /api/event answered by a bare view.

The bare view sits at the same path as the real ingest endpoint so that URL resolution,
the CORS path match and the whole middleware stack cost the same in both servers; the
difference measured is what the ingest view itself does (validation, site lookup,
pseudonymisation, the Redis push).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from analytics_site.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def bare_event(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": "Use POST."}, status=405)
    return JsonResponse({"ok": True}, status=202)


urlpatterns = [
    path("api/event", bare_event, name="bench-bare-event"),
    *product_urlpatterns,
]
