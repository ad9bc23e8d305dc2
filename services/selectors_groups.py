"""Who travelled together (a flight or bus, a family), read through casework's Person.

services does not import intake: arrivals are reached through the reverse relation
`Person.arrivals` (and its related model), scoped to the user's centres like intake scopes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from casework.audit import persons_viewed
from casework.models import Person, ReceptionCenter
from casework.permissions import User, persons_for, readable_centers_for, user_center_ids

from .models import Distribution, ServiceType

FLIGHT, FAMILY, PERSON = "flight", "family", "person"


@dataclass(frozen=True)
class ArrivalGroup:
    """The people of one flight or bus (one local day at one centre), of a family, or one person."""

    kind: str
    center: ReceptionCenter
    persons: QuerySet[Person]
    day: date | None = None
    reference: str = ""
    family: uuid.UUID | None = None

    @property
    def label(self) -> str:
        """Stored on the Distribution row (at most 80 characters)."""
        if self.kind == FLIGHT:
            return f"{self.reference} {self.day:%Y-%m-%d}"[:80]
        if self.kind == FAMILY:
            return f"family {self.family}"[:80]
        return ""

    def query(self) -> dict[str, str]:
        """The query string that opens this group's distribution screen again."""
        if self.kind == FLIGHT:
            return {"flight": self.reference, "day": self.day.isoformat(), "center": self.center.pk}
        if self.kind == FAMILY:
            return {"family": str(self.family)}
        return {"person": str(self.persons.values_list("pk", flat=True).first())}


def _arrivals() -> Any:
    """The default manager of intake's Arrival, without importing intake."""
    return Person._meta.get_field("arrivals").related_model._default_manager


def _day_range(center: ReceptionCenter, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=center.tzinfo)
    return start, start + timedelta(days=1)


def _ordered(persons: QuerySet[Person]) -> QuerySet[Person]:
    return persons.order_by("first_surname", "second_surname", "given_names", "pk")


def _flight_persons(user: User, center: ReceptionCenter, reference: str, day: date):
    start, end = _day_range(center, day)
    arrivals = _arrivals().filter(
        center_id=center.pk,
        transport_reference__iexact=reference,
        arrived_at__gte=start,
        arrived_at__lt=end,
    )
    return _ordered(persons_for(user).filter(pk__in=arrivals.values("person_id")))


def group_for_flight(
    *, user: User, reference: str, day: date | None, center_id: Any = None
) -> ArrivalGroup:
    """Everyone who came on `reference` on `day` (local to the centre; today when None)."""
    reference = (reference or "").strip()
    if not reference:
        raise Http404
    centers = list(readable_centers_for(user).order_by("pk"))
    if center_id not in (None, ""):
        centers = [c for c in centers if str(c.pk) == str(center_id)]
    if not centers:
        raise Http404
    # Each centre's own local day: one OR of a few ranges, one query.
    days = {c.pk: day or c.local_now().date() for c in centers}
    condition = Q()
    for center in centers:
        start, end = _day_range(center, days[center.pk])
        condition |= Q(center_id=center.pk, arrived_at__gte=start, arrived_at__lt=end)
    found = (
        _arrivals()
        .filter(condition, transport_reference__iexact=reference)
        .values_list("center_id", flat=True)
        .order_by("center_id")
        .first()
    )
    if found is None:
        raise Http404
    center = next(c for c in centers if c.pk == found)
    day = days[center.pk]
    return ArrivalGroup(
        kind=FLIGHT,
        center=center,
        day=day,
        reference=reference,
        persons=_flight_persons(user, center, reference, day),
    )


def group_for_family(*, user: User, family: Any) -> ArrivalGroup:
    """Everyone registered in one family group at the user's centres."""
    try:
        family = uuid.UUID(str(family))
    except ValueError as exc:
        raise Http404 from exc
    arrivals = _arrivals().filter(family_group=family, center_id__in=user_center_ids(user))
    latest = arrivals.select_related("center").order_by("-arrived_at").first()
    if latest is None:
        raise Http404
    persons = persons_for(user).filter(
        pk__in=arrivals.filter(center_id=latest.center_id).values("person_id")
    )
    return ArrivalGroup(kind=FAMILY, center=latest.center, family=family, persons=_ordered(persons))


def group_for_arrival(*, user: User, arrival_id: Any) -> ArrivalGroup:
    """The group an arrival belongs to: its family, else its flight or bus that day, else itself."""
    try:
        arrival = (
            _arrivals()
            .select_related("center")
            .get(pk=arrival_id, center_id__in=user_center_ids(user))
        )
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
    if arrival.family_group:
        return group_for_family(user=user, family=arrival.family_group)
    center = arrival.center
    if arrival.transport_reference:
        day = arrival.arrived_at.astimezone(center.tzinfo).date()
        persons = _flight_persons(user, center, arrival.transport_reference, day)
        return ArrivalGroup(
            kind=FLIGHT,
            center=center,
            day=day,
            reference=arrival.transport_reference,
            persons=persons,
        )
    persons = persons_for(user).filter(pk=arrival.person_id)
    return ArrivalGroup(kind=PERSON, center=center, persons=persons)


def group_for_person(*, user: User, person_id: Any) -> ArrivalGroup:
    """One person, at the centre of their latest arrival among the user's centres."""
    try:
        arrival = (
            _arrivals()
            .select_related("center")
            .filter(person_id=person_id, center_id__in=user_center_ids(user))
            .order_by("-arrived_at")
            .first()
        )
    except (ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
    if arrival is None:
        raise Http404
    persons = persons_for(user).filter(pk=arrival.person_id)
    return ArrivalGroup(kind=PERSON, center=arrival.center, persons=persons)


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
    persons = _ordered(
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
