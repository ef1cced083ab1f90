from django.urls import path

from tracker.ingest import views

urlpatterns = [
    path("api/event", views.event, name="ingest-event"),
    path("api/events", views.events, name="ingest-events"),
    path("js/script.js", views.script, name="snippet"),
]
