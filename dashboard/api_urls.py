from django.urls import path

from dashboard import api

urlpatterns = [
    path("sites", api.SitesApi.as_view(), name="sites"),
    path("stats/aggregate", api.AggregateApi.as_view(), name="stats-aggregate"),
    path("stats/timeseries", api.TimeseriesApi.as_view(), name="stats-timeseries"),
    path("stats/breakdown", api.BreakdownApi.as_view(), name="stats-breakdown"),
    path("stats/realtime/visitors", api.RealtimeVisitorsApi.as_view(), name="stats-realtime-visitors"),
]
