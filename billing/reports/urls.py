from django.contrib import admin
from django.urls import path

from billing.reports import views

app_name = "reports"

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="dashboard"),
    path("what-if/", admin.site.admin_view(views.what_if), name="what-if"),
    path("national/", admin.site.admin_view(views.national), name="national"),
    path("refresh/", admin.site.admin_view(views.refresh), name="refresh"),
]
