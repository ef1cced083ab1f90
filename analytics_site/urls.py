from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("tracker.urls")),
    path("api/v1/", include("dashboard.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("dashboard.urls")),
]
