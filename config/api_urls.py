"""The /api/v1/ routes of every app."""

from django.urls import include, path

urlpatterns = [
    path("", include("casework.api.urls")),
    path("", include("intake.api.urls")),
]
