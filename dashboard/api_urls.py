from django.urls import path, re_path

from dashboard import api

urlpatterns = [
    path("sites", api.SitesApi.as_view(), name="sites"),
    re_path(r"^sites/(?P<domain>[\s\S]+)\Z", api.SiteApi.as_view(), name="site"),
    path("keys", api.KeysApi.as_view(), name="keys"),
    # Any text at all, slashes and newlines too, reaches the view, so every miss gets its JSON 404.
    re_path(r"^keys/(?P<prefix>[\s\S]+)\Z", api.KeyApi.as_view(), name="key"),
    path("export", api.ExportApi.as_view(), name="export"),
    path("stats/aggregate", api.AggregateApi.as_view(), name="stats-aggregate"),
    path("stats/timeseries", api.TimeseriesApi.as_view(), name="stats-timeseries"),
    path("stats/breakdown", api.BreakdownApi.as_view(), name="stats-breakdown"),
    path("stats/realtime/visitors", api.RealtimeVisitorsApi.as_view(), name="stats-realtime-visitors"),
]
