"""Reads for handing aid to a group (who travelled together: intake.selectors' arrival groups)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from intake.selectors import ArrivalGroup, persons_ordered
from registry.audit import persons_viewed
from registry.models import Person
from registry.permissions import User, persons_for, user_center_ids

from .models import Distribution, ServiceType


def group_persons_shown(*, user: User, group: ArrivalGroup) -> list[Person]:
    """The group's persons as the distribution page lists them, each one's access entry written."""
    persons = list(group.persons)
    persons_viewed(persons, actor=user)
    return persons


def distribution_aid_types() -> QuerySet[ServiceType]:
    """Active aid that can be handed to a whole group: no case needed, no amount per person."""
    return (
        ServiceType.objects.filter(
            active=True, category=ServiceType.Category.POST_ARRIVAL_AID, requires_case=False
        )
        .exclude(outcome=ServiceType.Outcome.CASH)
        .order_by("sort_order", "code")
    )


def distribution_get(*, user: User, client_uuid: Any) -> Distribution:
    """A bulk distribution recorded at one of the user's centres; Http404 otherwise."""
    try:
        return Distribution.objects.select_related("center").get(
            client_uuid=client_uuid, center_id__in=user_center_ids(user)
        )
    except (Distribution.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def distribution_summary(*, user: User, distribution: Distribution) -> dict[str, Any]:
    """Counts per item and the persons served, computed by the database."""
    deliveries = distribution.deliveries.all()
    totals = deliveries.aggregate(rows=Count("pk"), persons=Count("person", distinct=True))
    per_type = list(
        deliveries.values("service_type")
        .annotate(rows=Count("pk"), quantity=Sum("quantity"))
        .order_by("service_type")
    )
    types = ServiceType.objects.in_bulk([row["service_type"] for row in per_type])
    persons = persons_ordered(
        persons_for(user)
        .filter(pk__in=deliveries.values("person_id"))
        .only("pk", "given_names", "first_surname", "second_surname")
    )
    return {
        "deliveries": totals["rows"],
        "person_count": totals["persons"],
        "items": [(types[row["service_type"]], row["rows"], row["quantity"]) for row in per_type],
        "persons": list(persons),
    }
