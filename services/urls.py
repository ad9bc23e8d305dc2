"""HTML routes of services (included at /services/ from config/urls.py)."""

from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("persons/<uuid:person_id>/", views.person_uptake_view, name="person_uptake"),
    path("persons/<uuid:person_id>/record/", views.record, name="record"),
    path("distribution/", views.distribution, name="distribution"),
    path(
        "distribution/<uuid:client_uuid>/",
        views.distribution_done,
        name="distribution_done",
    ),
    path("deliveries/<int:pk>/void/", views.delivery_void, name="delivery_void"),
    path("deliveries/<int:pk>/correct/", views.delivery_correct, name="delivery_correct"),
]
