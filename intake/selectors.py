"""Reads of arrivals, already scoped to the user and joined for display."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from casework.audit import person_viewed
from casework.models import Person, ReceptionCenter
from casework.permissions import User
from casework.selectors import person_search_condition

from .models import Arrival
from .permissions import arrivals_for


def arrival_list(*, user: User) -> QuerySet[Arrival]:
    return (
        arrivals_for(user)
        .select_related(
            "person",
            "person__document_type",
            "center",
            "center__country",
            "returned_from",
            "registered_by",
        )
        .prefetch_related("reasons")
    )


def arrival_get(*, user: User, arrival_id) -> Arrival:
    """The arrival if the user may see it; Http404 otherwise. It shows the person's names and
    document, so the person's access entry is written here, for the HTML page and the API."""
    try:
        arrival = arrival_list(user=user).get(pk=arrival_id)
    except (Arrival.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
    person_viewed(arrival.person, actor=user)
    return arrival


def arrivals_search(queryset: QuerySet[Arrival], text: str) -> QuerySet[Arrival]:
    """Filter arrivals by the person's name (Spanish-aware keys) or document number."""
    if not (text or "").strip():
        return queryset
    condition = person_search_condition(text, prefix="person__")
    return queryset.filter(condition) if condition is not None else queryset.none()


def arrivals_on_local_day(
    queryset: QuerySet[Arrival], *, center: ReceptionCenter, day
) -> QuerySet[Arrival]:
    """Arrivals whose time falls on `day` in the centre's own time zone."""
    start = datetime.combine(day, time.min, tzinfo=center.tzinfo)
    return queryset.filter(
        center=center, arrived_at__gte=start, arrived_at__lt=start + timedelta(days=1)
    )


def person_returns_summary(person: Person) -> dict:
    """How many times a person has been received (all centres), and the last one: recognition facts."""
    last = Arrival.objects.filter(person=person).order_by("-arrived_at")
    return {
        "count": Arrival.objects.filter(person=person).count(),
        "last": last.select_related("center").only("arrived_at", "center__name").first(),
    }


def annotate_last_return(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """Add last_arrival_at and last_center_id from all arrivals of each person (recognition
    shows when and where someone last returned, not how many times)."""
    last = Arrival.objects.filter(person=OuterRef("pk")).order_by("-arrived_at")
    return queryset.annotate(
        last_arrival_at=Subquery(last.values("arrived_at")[:1]),
        last_center_id=Subquery(last.values("center_id")[:1]),
    )
