"""Dashboard pages behind login, and the JSON their script reads (the stats layer, by session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

import stats
from analytics_site.errors import ApiError, error_response
from dashboard.results import aggregate_json, breakdown_json, funnel_json, timeseries_json
from imports.models import Import, ImportedStat
from sites.goals import funnel_of_site
from sites.models import Funnel, Site
from sites.selectors import site_for_share_token, site_for_user, sites_for_user, user_owns
from stats import Kind, QueryError, StatsQuery, articles, build_query
from stats.dimensions import GOAL
from stats.summaries import SiteSummary, site_summaries
from tracker.demo.traffic import DEMO_DOMAIN
from tracker.ingest.validation import client_ip
from tracker.models import Event
from tracker.ratelimit import DASHBOARD, check_rate, client_pseudonym


@dataclass(frozen=True)
class SiteRow:
    """A site as the site list shows it: visitors of the last 24 hours and 30 days, and a line of the days."""

    site: Site
    summary: SiteSummary
    sparkline: str  # SVG polyline points in a 100 x 20 box


def _sparkline(values: list[int]) -> str:
    top = max(values, default=0) or 1
    step = 100 / max(len(values) - 1, 1)
    return " ".join(f"{n * step:.1f},{20 - 18 * value / top:.1f}" for n, value in enumerate(values))


@login_required
@require_GET
def site_list(request: HttpRequest) -> HttpResponse:
    sites = list(sites_for_user(request.user))
    summaries = site_summaries(sites, timezone.now())
    rows = [SiteRow(site, summaries[site.id], _sparkline(summaries[site.id].days)) for site in sites]
    return render(request, "dashboard/pages/site_list.html", {"rows": rows})


CARDS = [
    ("visitors", "Unique visitors"),
    ("visits", "Visits"),
    ("pageviews", "Pageviews"),
    ("views_per_visit", "Views per visit"),
    ("bounce_rate", "Bounce rate"),
    ("visit_duration", "Visit duration"),
    ("engaged_time", "Engaged time"),
    ("conversion_rate", "Conversion rate"),  # shown while a goal filter is on
]
ARTICLE_CARDS = [
    ("visitors", "Readers"),
    ("pageviews", "Pageviews"),
    ("visits", "Visits"),
    ("engaged_time", "Engaged time"),
    ("scroll_depth", "Scroll depth"),
    ("conversion_rate", "Conversion rate"),
]
# Breakdown panels: each a list of tabs (property, label, the metrics of the columns after visitors).
PANELS = [
    [
        ("visit:source", "Sources", "visits"),
        ("visit:referrer", "Referrers", "visits"),
        ("visit:utm_source", "UTM source", "visits"),
        ("visit:utm_medium", "UTM medium", "visits"),
        ("visit:utm_campaign", "UTM campaign", "visits"),
    ],
    [
        ("event:page", "Top pages", "pageviews"),
        ("visit:entry_page", "Entry pages", "visits"),
        ("visit:exit_page", "Exit pages", "visits"),
    ],
    [("visit:country", "Countries", "visits")],
    [
        ("visit:browser", "Browsers", "visits"),
        ("visit:os", "Operating systems", "visits"),
        ("visit:device", "Devices", "visits"),
    ],
    [("event:name", "Custom events", "events")],
    [(GOAL, "Goals", "events,conversion_rate")],
]
ARTICLE_PANELS = [
    [("visit:source", "Sources", "visits"), ("visit:referrer", "Referrers", "visits")],
    [("next", "Read next", "pageviews")],
    [("event:name", "Custom events", "events")],
    [("visit:country", "Countries", "visits"), ("visit:device", "Devices", "visits")],
    # Goals completed on this page: the article's filter is on its events, so a goal reached on another
    # page of the same visit is not counted here.
    [(GOAL, "Goals", "events,conversion_rate")],
]


def _page_context(request: HttpRequest, site: Site, token: str | None) -> dict[str, Any]:
    """What both pages need: where the script reads data and links articles (the member's URLs or the share
    link's), whether the reader manages the site, whether it has goals (the Goals panel says if not) and
    imports (the period form's toggle)."""
    if token is None:
        links = {
            "data_url": reverse("dashboard:site-data", args=[site.domain, "KIND"]),
            "site_url": reverse("dashboard:site", args=[site.domain]),
        }
    else:
        links = {
            "data_url": reverse("dashboard:shared-data", args=[token, "KIND"]),
            "site_url": reverse("dashboard:shared", args=[token]),
        }
    can_manage = token is None and user_owns(request.user, site)
    member = token is None  # members (not share-link readers) manage their own email reports
    # The imported-data toggle shows only for sites with imported aggregates (an access log's import stores
    # events instead); it is on unless the URL says with_imported=false.
    has_imports = ImportedStat.objects.filter(site=site, job__status=Import.Status.DONE).exists()
    return {
        "site": site,
        "can_manage": can_manage,
        "member": member,
        "has_goals": site.goals.exists(),
        "has_imports": has_imports,
        **links,
    }


def _render_site(request: HttpRequest, site: Site, token: str | None = None) -> HttpResponse:
    context = {
        "metrics": CARDS,
        "panels": PANELS,
        # The Funnels panel's picker; the panel shows only when there is one to pick.
        "funnels": list(site.funnels.order_by("id").values("id", "name")),
        "empty": not Event.objects.filter(site=site).exists(),
        "script_url": request.build_absolute_uri(reverse("snippet")),
        **_page_context(request, site, token),
    }
    return render(request, "dashboard/pages/site_dashboard.html", context)


def _render_article(request: HttpRequest, site: Site, token: str | None = None) -> HttpResponse:
    try:
        path = _article_path(request)
    except ApiError as exc:
        raise Http404(exc.message) from exc
    context = {"path": path, "metrics": ARTICLE_CARDS, "panels": ARTICLE_PANELS, **_page_context(request, site, token)}
    return render(request, "dashboard/pages/article_dashboard.html", context)


@login_required
@require_GET
def site_dashboard(request: HttpRequest, domain: str) -> HttpResponse:
    return _render_site(request, site_for_user(request.user, domain))


def _article_path(request: HttpRequest) -> str:
    path = request.GET.get("path", "")
    if not path.startswith("/") or len(path) > 2000:
        raise ApiError("invalid_query", "path must be a page path starting with '/'.", field="path")
    return path


@login_required
@require_GET
def article_dashboard(request: HttpRequest, domain: str) -> HttpResponse:
    """One page as an article: its trend, readers, scroll depth, sources, next reads, events."""
    return _render_article(request, site_for_user(request.user, domain))


def _query(request: HttpRequest, site: Site, kind: Kind) -> StatsQuery:
    params = {k: str(v) for k, v in request.GET.items() if k != "path"}
    return build_query(site_id=site.id, timezone=site.timezone, params=params, now=timezone.now(), kind=kind)


def _aggregate(request: HttpRequest, site: Site) -> dict[str, Any]:
    return aggregate_json(stats.run(_query(request, site, Kind.AGGREGATE)))


def _current_bucket(query: StatsQuery, now: datetime) -> str | None:
    """The bucket still in progress, in the site's time zone, if the range holds it: the chart draws it as
    partial and leaves the buckets after it empty."""
    local = now.astimezone(ZoneInfo(query.dates.timezone))
    if not query.dates.first <= local.date() <= query.dates.last:
        return None
    if query.interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0, tzinfo=None).isoformat()
    day = local.date()
    if query.interval == "week":
        day -= timedelta(days=day.weekday())
    elif query.interval == "month":
        day = day.replace(day=1)
    return day.isoformat()


def _timeseries(request: HttpRequest, site: Site) -> dict[str, Any]:
    query = _query(request, site, Kind.TIMESERIES)
    return {**timeseries_json(stats.run(query)), "current": _current_bucket(query, timezone.now())}


def _breakdown(request: HttpRequest, site: Site) -> dict[str, Any]:
    return breakdown_json(stats.run(_query(request, site, Kind.BREAKDOWN)), more=True)


def _scroll(request: HttpRequest, site: Site) -> dict[str, Any]:
    return {"results": articles.scroll_depths(_query(request, site, Kind.AGGREGATE))}


def _next(request: HttpRequest, site: Site) -> dict[str, Any]:
    query = _query(request, site, Kind.AGGREGATE)
    rows = articles.next_pages(query, _article_path(request), limit=query.limit or 10)
    return {"results": rows, "more": False}


def _props(request: HttpRequest, site: Site) -> dict[str, Any]:
    return {"results": stats.prop_keys(_query(request, site, Kind.AGGREGATE))}


def _named_funnel(request: HttpRequest, site: Site) -> Funnel:
    """The site's funnel the `funnel` parameter names (by id, or name as in the API); 404 funnel_not_found."""
    text = request.GET.get("funnel", "")
    if not text.strip() or len(text) > 120:
        raise ApiError("invalid_query", "funnel names one of the site's funnels, by id.", field="funnel")
    funnel = funnel_of_site(site, text)
    if funnel is None:
        raise ApiError("funnel_not_found", "The site has no such funnel.", field="funnel", status=404)
    return funnel


def _funnel(request: HttpRequest, site: Site) -> dict[str, Any]:
    """The Funnels panel: a funnel's steps over the page's period and filters, and its comparison if on."""
    funnel = _named_funnel(request, site)
    return funnel_json(stats.run_funnel(_query(request, site, Kind.AGGREGATE), funnel))


def _realtime(request: HttpRequest, site: Site) -> dict[str, Any]:
    return {"visitors": stats.realtime_visitors(site.id, timezone.now())}


DATA = {
    "aggregate": _aggregate,
    "timeseries": _timeseries,
    "breakdown": _breakdown,
    "scroll": _scroll,
    "next": _next,
    "props": _props,
    "realtime": _realtime,
    "funnel": _funnel,
}


def _reader(request: HttpRequest, token: str | None) -> str:
    """Who reads, for the rate limit: the user, or for a share link the client's pseudonym and the link."""
    if token is None:
        return f"user:{request.user.pk}"
    address = client_ip(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""), settings.TRUSTED_PROXY_HOPS
    )
    return f"share:{client_pseudonym(f'{token}|{address}')}"


def _data(request: HttpRequest, site: Site, kind: str, token: str | None = None) -> HttpResponse:
    """The stats of one dashboard panel as JSON; errors in the API's JSON shape."""
    try:
        check_rate(DASHBOARD, _reader(request, token))
        if kind not in DATA:
            raise Http404
        return JsonResponse(DATA[kind](request, site))
    except QueryError as exc:
        return error_response(ApiError("invalid_query", exc.message, field=exc.field))
    except ApiError as exc:
        return error_response(exc)


@login_required
@require_GET
def site_data(request: HttpRequest, domain: str, kind: str) -> HttpResponse:
    return _data(request, site_for_user(request.user, domain), kind)


@require_GET
def shared_dashboard(request: HttpRequest, token: str) -> HttpResponse:
    """The site's dashboard for anyone holding the link: read-only, no settings, no login."""
    return _render_site(request, site_for_share_token(token), token)


@require_GET
def shared_article(request: HttpRequest, token: str) -> HttpResponse:
    return _render_article(request, site_for_share_token(token), token)


@require_GET
def shared_data(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    return _data(request, site_for_share_token(token), kind, token)


@login_required
@require_GET
def demo(request: HttpRequest, rest: str = "") -> HttpResponse:
    """A page carrying the snippet for the demo site, to watch events arrive; for the demo site's members,
    since it lists the latest events."""
    site = site_for_user(request.user, DEMO_DOMAIN)
    events = Event.objects.filter(site=site).order_by("-timestamp", "-id")[:15]
    return render(request, "dashboard/pages/demo.html", {"site": site, "events": events})
