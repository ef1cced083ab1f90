from django.urls import path

from dashboard import export_views, views

app_name = "dashboard"
urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("sites/<str:domain>/", views.site_dashboard, name="site"),
    path("sites/<str:domain>/data/<slug:kind>", views.site_data, name="site-data"),
    path("sites/<str:domain>/export", export_views.site_export, name="site-export"),
    path("demo/", views.demo, name="demo"),
    path("demo/<path:rest>", views.demo, name="demo-page"),
]
