"""Routes of the donor aggregate API, under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("aggregates/", views.AggregateCatalogueApi.as_view(), name="api-aggregate-list"),
    path(
        "aggregates/<slug:indicator>/",
        views.AggregateTableApi.as_view(),
        name="api-aggregate-detail",
    ),
]
