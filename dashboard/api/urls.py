"""The routes under /api/v1/."""

from django.urls import path, re_path

from dashboard.api import export, goals, keys, sites, stats

urlpatterns = [
    path("sites", sites.SitesApi.as_view(), name="sites"),
    # Before the site's own route, which takes any text; a domain has no "/".
    re_path(r"^sites/(?P<domain>[^/]+)/goals\Z", goals.GoalsApi.as_view(), name="goals"),
    re_path(r"^sites/(?P<domain>[^/]+)/goals/(?P<goal_id>[\s\S]+)\Z", goals.GoalApi.as_view(), name="goal"),
    re_path(r"^sites/(?P<domain>[^/]+)/funnels\Z", goals.FunnelsApi.as_view(), name="funnels"),
    re_path(r"^sites/(?P<domain>[^/]+)/funnels/(?P<funnel_id>[\s\S]+)\Z", goals.FunnelApi.as_view(), name="funnel"),
    re_path(r"^sites/(?P<domain>[\s\S]+)\Z", sites.SiteApi.as_view(), name="site"),
    path("keys", keys.KeysApi.as_view(), name="keys"),
    # Any text at all, slashes and newlines too, reaches the view, so every miss gets its JSON 404.
    re_path(r"^keys/(?P<prefix>[\s\S]+)\Z", keys.KeyApi.as_view(), name="key"),
    path("export", export.ExportApi.as_view(), name="export"),
    path("stats/aggregate", stats.AggregateApi.as_view(), name="stats-aggregate"),
    path("stats/timeseries", stats.TimeseriesApi.as_view(), name="stats-timeseries"),
    path("stats/breakdown", stats.BreakdownApi.as_view(), name="stats-breakdown"),
    path("stats/funnel", stats.FunnelApi.as_view(), name="stats-funnel"),
    path("stats/realtime/visitors", stats.RealtimeVisitorsApi.as_view(), name="stats-realtime-visitors"),
]
