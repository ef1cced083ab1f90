from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("sites/<str:domain>/", views.site_dashboard, name="site"),
    path("sites/<str:domain>/pages/", views.article_dashboard, name="article"),
    path("sites/<str:domain>/data/<slug:kind>", views.site_data, name="site-data"),
    path("demo/", views.demo, name="demo"),
    path("demo/<path:rest>", views.demo, name="demo-page"),
]
