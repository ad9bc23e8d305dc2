"""Scoping of arrivals: the one function every arrival view, API, export and task uses."""

from __future__ import annotations

from django.db.models import QuerySet

from registry.permissions import User, user_center_ids

from .models import Arrival


def arrivals_for(user: User) -> QuerySet[Arrival]:
    """Arrivals registered at one of the user's centres."""
    ids = user_center_ids(user)
    if not ids:
        return Arrival.objects.none()
    return Arrival.objects.filter(center_id__in=ids)
