"""Scoping of service deliveries: the one function every delivery view, API, export and task uses."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.permissions import case_visible
from registry.permissions import User, user_center_ids

from .models import ServiceDelivery


def deliveries_for(user: User) -> QuerySet[ServiceDelivery]:
    """Deliveries at the user's centres, except those of restricted cases not opened to them."""
    ids = user_center_ids(user)
    if not ids:
        return ServiceDelivery.objects.none()
    return ServiceDelivery.objects.filter(center_id__in=ids).filter(
        Q(case__isnull=True) | case_visible(user, prefix="case__")
    )
