"""Routes of the intake API, under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("arrivals/", views.ArrivalListCreateApi.as_view(), name="api-arrival-list"),
    path("arrivals/<str:arrival_id>/", views.ArrivalDetailApi.as_view(), name="api-arrival-detail"),
    path(
        "arrivals/<str:arrival_id>/void/",
        views.ArrivalVoidApi.as_view(),
        name="api-arrival-void",
    ),
    path(
        "duplicate-candidates/",
        views.DuplicateCandidatesApi.as_view(),
        name="api-duplicate-candidates",
    ),
    path("duplicates/", views.DuplicateQueueApi.as_view(), name="api-duplicate-queue"),
    path(
        "duplicates/<str:pair_id>/different/",
        views.DuplicateDismissApi.as_view(),
        name="api-duplicate-dismiss",
    ),
]
