"""Scoping of service deliveries: the one function every delivery view, API, export and task uses."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.permissions import CaseScope, case_scope, case_visible_in
from registry.permissions import User

from .models import ServiceDelivery


def deliveries_for(user: User) -> QuerySet[ServiceDelivery]:
    """Deliveries at the user's centres, except those of restricted cases not opened to them."""
    return deliveries_in(case_scope(user))


def deliveries_in(scope: CaseScope) -> QuerySet[ServiceDelivery]:
    """deliveries_for for a case scope given as values (prepared reads take it so)."""
    if not scope.read_ids:
        return ServiceDelivery.objects.none()
    return ServiceDelivery.objects.filter(center_id__in=scope.read_ids).filter(
        Q(case__isnull=True) | case_visible_in(scope, prefix="case__")
    )
