"""Casework pages and sign-in/sign-out (included at the site root, no namespace)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.person_search, name="person_search"),
    path("persons/<uuid:person_id>/", views.person_detail, name="person_detail"),
    path(
        "persons/<uuid:person_id>/correct/",
        views.person_correct_view,
        name="person_correct",
    ),
    path(
        "persons/<uuid:person_id>/consents/",
        views.person_consents,
        name="person_consents",
    ),
    path(
        "persons/<uuid:person_id>/merge/",
        views.person_merge_pick,
        name="person_merge_pick",
    ),
    path(
        "persons/<uuid:person_id>/merge/<uuid:other_id>/",
        views.person_merge_view,
        name="person_merge",
    ),
    path(
        "persons/merges/<int:merge_id>/unmerge/",
        views.person_unmerge_view,
        name="person_unmerge",
    ),
    path(
        "persons/<uuid:person_id>/access-log/",
        views.person_access_log,
        name="person_access_log",
    ),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    # LogoutView accepts POST only (Django 5): a link cannot sign someone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
