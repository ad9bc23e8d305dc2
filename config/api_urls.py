"""The /api/v1/ routes of every app."""

from django.urls import include, path

urlpatterns = [
    path("", include("registry.api.urls")),
    path("", include("intake.api.urls")),
    path("", include("services.api.urls")),
    path("", include("casework.api.urls")),
    path("", include("reporting.api.urls")),
]
