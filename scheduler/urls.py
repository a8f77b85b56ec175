"""Top-level URLs: admin, API v1 with its schema and offline docs, health, and each app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from scheduler import views

# JSON 404s under /api/ (see common.api_support.not_found).
handler404 = "common.api_support.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Feeds are the most polled URLs: resolve them before the admin's and the API's patterns.
    path("", include("events.fellow_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), so the docs run
    # under a Content-Security-Policy that forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("scheduler.api_urls")),
    path("", include("impact.urls")),
    path("staff/", include("events.board_urls")),
    path("", include("events.urls")),
]
