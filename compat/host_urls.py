"""The URL conf of the host MICROANALYTICS_HOST: the µAnalytics API at its root, nothing else."""

from django.urls import include, path

urlpatterns = [path("", include("compat.urls"))]
