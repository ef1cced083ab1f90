"""The µAnalytics routes, relative to wherever they are mounted (a path prefix, or a host's root)."""

from django.urls import path, re_path

from compat import views

app_name = "microanalytics"

urlpatterns = [
    path("", views.root, name="root"),
    path("<str:website>", views.website, name="website"),
    path("<str:website>/<str:name>", views.website_property, name="property"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
