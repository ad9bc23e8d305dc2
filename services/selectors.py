"""Reads of the catalogue and of deliveries, already scoped to the user."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from casework.models import Case, Person
from casework.permissions import User

from .models import ServiceDelivery, ServiceType
from .permissions import deliveries_for


def service_types_active() -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(active=True).order_by("category", "sort_order")


def delivery_list(*, user: User) -> QuerySet[ServiceDelivery]:
    return deliveries_for(user).select_related(
        "person", "center", "service_type", "provider", "case", "recorded_by", "voided_by"
    )


def delivery_get(*, user: User, delivery_id) -> ServiceDelivery:
    try:
        return delivery_list(user=user).get(pk=delivery_id)
    except (ServiceDelivery.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def person_uptake(
    *, user: User, person: Person, case: Case | None = None
) -> dict[str, list[ServiceDelivery]]:
    """A person's deliveries within scope (or within one case), grouped by what happened."""
    groups: dict[str, list[ServiceDelivery]] = {
        "received": [], "planned": [], "not_completed": [], "voided": []
    }  # fmt: skip
    deliveries = delivery_list(user=user).filter(person=person)
    if case is not None:
        deliveries = deliveries.filter(case=case)
    for delivery in deliveries.order_by("-delivered_on", "-pk"):
        if delivery.voided_at is not None:
            groups["voided"].append(delivery)
        elif delivery.status == ServiceDelivery.Status.COMPLETED:
            groups["received"].append(delivery)
        elif delivery.status == ServiceDelivery.Status.NOT_COMPLETED:
            groups["not_completed"].append(delivery)
        else:
            groups["planned"].append(delivery)
    return groups


def counted(queryset: QuerySet[ServiceDelivery]) -> QuerySet[ServiceDelivery]:
    """Only what counts: completed and not voided."""
    return queryset.filter(status=ServiceDelivery.Status.COMPLETED, voided_at__isnull=True)


def uptake_totals(queryset: QuerySet[ServiceDelivery]) -> QuerySet:
    """Rows and quantities per service type, computed by the database."""
    return (
        counted(queryset)
        .values("service_type__code", "service_type__category")
        .annotate(
            rows=Count("pk"), quantity=Sum("quantity"), persons=Count("person", distinct=True)
        )
        .order_by("service_type__category", "service_type__code")
    )


__all__ = [
    "counted", "delivery_get", "delivery_list", "person_uptake", "service_types_active",
    "uptake_totals",
]  # fmt: skip
