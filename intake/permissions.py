"""Scoping of arrivals: the one function every arrival view, API, export and task uses."""

from __future__ import annotations

from django.db.models import QuerySet

from registry.permissions import User, user_center_ids

from .models import Arrival


def arrivals_for(user: User, *, voided_too: bool = False) -> QuerySet[Arrival]:
    """Arrivals registered at one of the user's centres (`voided_too`: voided ones as well,
    for the void action itself)."""
    manager = Arrival.all_objects if voided_too else Arrival.objects
    ids = user_center_ids(user)
    if not ids:
        return manager.none()
    return manager.filter(center_id__in=ids)
