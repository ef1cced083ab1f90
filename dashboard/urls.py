from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("demo/", views.demo, name="demo"),
    path("demo/<path:rest>", views.demo, name="demo-page"),
]
