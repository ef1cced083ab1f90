from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("tracker.urls")),
    path("api/v1/", include("dashboard.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
if settings.MICROANALYTICS_PATH:
    urlpatterns.append(path(settings.MICROANALYTICS_PATH, include("compat.urls")))
urlpatterns.append(path("", include("dashboard.urls")))
