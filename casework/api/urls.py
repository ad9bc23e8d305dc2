"""Routes of the persons API, under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("persons/", views.PersonListCreateApi.as_view(), name="api-person-list"),
    path("persons/<str:person_id>/", views.PersonDetailApi.as_view(), name="api-person-detail"),
]
