"""The raw-event download for signed-in members, which the site settings page links to."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.http import require_GET

from analytics_site.errors import ApiError, error_response
from sites.selectors import site_for_user
from tracker.lifecycle import export


@login_required
@require_GET
def site_export(request: HttpRequest, domain: str) -> HttpResponseBase:
    """Stream the site's events as ?format=csv (default), ndjson or parquet, optionally for ?date=day[,day]."""
    site = site_for_user(request.user, domain)
    fmt = request.GET.get("format", "csv")
    if fmt not in export.FORMATS:
        return error_response(
            ApiError("invalid_query", f"format must be one of {', '.join(export.FORMATS)}.", field="format")
        )
    date = request.GET.get("date") or None
    try:
        bounds = export.parse_date_param(date, site.timezone)
    except export.ExportRangeError as exc:
        return error_response(ApiError("invalid_query", str(exc), field="date"))
    return export.download(site, fmt, bounds)
