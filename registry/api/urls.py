"""Routes of the persons API and the API sign-in, under /api/v1/."""

from django.urls import path

from . import sign_in_views, views

urlpatterns = [
    path("auth/token/", sign_in_views.TokenApi.as_view(), name="api-token"),
    path("persons/", views.PersonListCreateApi.as_view(), name="api-person-list"),
    path("persons/<str:person_id>/", views.PersonDetailApi.as_view(), name="api-person-detail"),
    path(
        "persons/<str:person_id>/consents/",
        views.PersonConsentsApi.as_view(),
        name="api-person-consents",
    ),
    path("persons/<str:person_id>/merge/", views.PersonMergeApi.as_view(), name="api-person-merge"),
    path(
        "person-merges/<str:merge_id>/unmerge/",
        views.PersonUnmergeApi.as_view(),
        name="api-person-unmerge",
    ),
]
