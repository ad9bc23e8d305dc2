"""HTML routes of intake: the day's arrivals, an arrival's page and the registration screens."""

from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.arrival_list, name="arrival_list"),
    path("arrivals/<int:pk>/", views.arrival_detail, name="arrival_detail"),
    path("arrivals/<int:pk>/void/", views.arrival_void_view, name="arrival_void"),
    path("duplicates/", views.duplicate_queue_view, name="duplicate_queue"),
    path(
        "duplicates/<int:pk>/different/",
        views.duplicate_dismiss_view,
        name="duplicate_dismiss",
    ),
    path("register/", views.register_start, name="register_start"),
    path("register/<uuid:client_uuid>/centre/", views.register_center, name="register_center"),
    path("register/<uuid:client_uuid>/person/", views.register_person, name="register_person"),
    path("register/<uuid:client_uuid>/matches/", views.register_matches, name="register_matches"),
    path("register/<uuid:client_uuid>/origin/", views.register_origin, name="register_origin"),
    path("register/<uuid:client_uuid>/arrival/", views.register_arrival, name="register_arrival"),
    path(
        "register/<uuid:client_uuid>/consents/",
        views.register_consents,
        name="register_consents",
    ),
    path("register/<uuid:client_uuid>/done/", views.register_done, name="register_done"),
]
