"""Reads of arrivals, already scoped to the user and joined for display."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Window
from django.http import Http404

from registry.audit import person_viewed, persons_viewed
from registry.models import Person, ReceptionCenter
from registry.permissions import User, persons_for, readable_centers_for, user_center_ids
from registry.prepared import prepared
from registry.search import STARTS, person_search_condition

from .models import Arrival, DuplicatePair
from .permissions import arrivals_for, arrivals_in, duplicate_pairs_for


def arrival_list(*, user: User) -> QuerySet[Arrival]:
    return _arrival_rows(arrivals_for(user))


def arrival_day_list(*, user: User) -> QuerySet[Arrival]:
    """Today's arrivals screen (arrival_list's scope): only what its rows show, the arrival's
    time, group and flight and the person's names, sex, age and document's last digits."""
    return (
        arrivals_for(user)
        .select_related("person")
        .only(
            "arrived_at",
            "center_id",
            "travel_group",
            "transport_reference",
            "person__given_names",
            "person__first_surname",
            "person__second_surname",
            "person__sex",
            "person__birth_date",
            "person__birth_date_estimated",
            "person__document_key",
        )
    )


def _arrival_rows(arrivals: QuerySet[Arrival]) -> QuerySet[Arrival]:
    """What an arrival's page and the API show with it: person, centre, country, reasons."""
    return arrivals.select_related(
        "person",
        "person__document_type",
        "center",
        "center__country",
        "returned_from",
        "registered_by",
    ).prefetch_related("reasons")


@prepared
def _arrival_in_scope(*, center_ids: tuple[int, ...], arrival_id: int) -> QuerySet[Arrival]:
    """arrival_get's read (compiled once per process): the answer of every registration."""
    return _arrival_rows(arrivals_in(center_ids)).filter(pk=arrival_id)


def arrival_get(*, user: User, arrival_id: int | str) -> Arrival:
    """The arrival if the user may see it; Http404 otherwise. It shows the person's names and
    document, so the person's access entry is written here, for the HTML page and the API."""
    wanted = str(arrival_id)
    if not wanted.isdecimal() or len(wanted) > 18:  # not an id (a bigint has 19 digits at most)
        raise Http404
    found = _arrival_in_scope(
        center_ids=tuple(sorted(user_center_ids(user))), arrival_id=int(wanted)
    )
    if not found:
        raise Http404
    arrival = found[0]
    person_viewed(arrival.person, actor=user)
    return arrival


def arrivals_search(queryset: QuerySet[Arrival], text: str) -> QuerySet[Arrival]:
    """Filter arrivals by the person's name (Spanish-aware keys) or document number."""
    if not (text or "").strip():
        return queryset
    condition = person_search_condition(text, prefix="person__", loose=STARTS)
    return queryset.filter(condition) if condition is not None else queryset.none()


def arrivals_on_local_day(
    queryset: QuerySet[Arrival], *, centers: Iterable[ReceptionCenter], day: date
) -> QuerySet[Arrival]:
    """Arrivals at these centres whose time falls on `day` in each centre's own time zone."""
    condition = Q(pk__in=[])
    for center in centers:
        start = datetime.combine(day, time.min, tzinfo=center.tzinfo)
        end = start + timedelta(days=1)
        condition |= Q(center_id=center.pk, arrived_at__gte=start, arrived_at__lt=end)
    return queryset.filter(condition)


def person_returns_summary(person: Person) -> dict[str, Any]:
    """How many times a person has been received (all centres), and the last one: recognition facts."""
    found: list[Any] = _last_return(person_id=person.pk)  # annotated with `returns`
    return {"count": found[0].returns if found else 0, "last": found[0] if found else None}


@prepared
def _last_return(*, person_id: uuid.UUID) -> QuerySet[Arrival]:
    """The person's last arrival with how many there are (a window over all of them): one
    query for both facts."""
    return (
        Arrival.objects.filter(person_id=person_id)
        .only("arrived_at", "center_id")
        .annotate(returns=Window(Count("pk")))
        .order_by("-arrived_at")[:1]
    )


def person_arrivals_seen(*, user: User, person: Person) -> list[Arrival]:
    """The person's arrivals at the user's centres, newest first, with centre and country."""
    return _person_arrivals(center_ids=tuple(sorted(user_center_ids(user))), person_id=person.pk)


@prepared
def _person_arrivals(*, center_ids: tuple[int, ...], person_id: uuid.UUID) -> QuerySet[Arrival]:
    return (
        arrivals_in(center_ids)
        .filter(person_id=person_id)
        .select_related("center", "returned_from")
        .order_by("-arrived_at")
    )


def annotate_last_return(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """Add last_arrival_at and last_center_id from all arrivals of each person (recognition
    shows when and where someone last returned, not how many times)."""
    last = Arrival.objects.filter(person=OuterRef("pk")).order_by("-arrived_at")
    return queryset.annotate(
        last_arrival_at=Subquery(last.values("arrived_at")[:1]),
        last_center_id=Subquery(last.values("center_id")[:1]),
    )


# --- Who travelled together: a flight or bus (one local day at one centre), a family -----------

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
        if self.kind == FLIGHT and self.day is not None:
            day = self.day.isoformat()
            return {"flight": self.reference, "day": day, "center": str(self.center.pk)}
        if self.kind == FAMILY:
            return {"family": str(self.family)}
        return {"person": str(self.persons.values_list("pk", flat=True).first())}


def _day_range(center: ReceptionCenter, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=center.tzinfo)
    return start, start + timedelta(days=1)


def persons_ordered(persons: QuerySet[Person]) -> QuerySet[Person]:
    return persons.order_by("first_surname", "second_surname", "given_names", "pk")


def _flight_persons(
    user: User, center: ReceptionCenter, reference: str, day: date
) -> QuerySet[Person]:
    start, end = _day_range(center, day)
    arrivals = Arrival.objects.filter(
        center_id=center.pk,
        transport_reference__iexact=reference,
        arrived_at__gte=start,
        arrived_at__lt=end,
    )
    return persons_ordered(persons_for(user).filter(pk__in=arrivals.values("person_id")))


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
        arrivals_for(user)
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
    arrivals = arrivals_for(user).filter(family_group=family)
    latest = arrivals.select_related("center").order_by("-arrived_at").first()
    if latest is None:
        raise Http404
    persons = persons_for(user).filter(
        pk__in=arrivals.filter(center_id=latest.center_id).values("person_id")
    )
    return ArrivalGroup(
        kind=FAMILY, center=latest.center, family=family, persons=persons_ordered(persons)
    )


def group_for_arrival(*, user: User, arrival_id: Any) -> ArrivalGroup:
    """The group an arrival belongs to: its family, else its flight or bus that day, else itself."""
    try:
        arrival = arrivals_for(user).select_related("center").get(pk=arrival_id)
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
            arrivals_for(user)
            .select_related("center")
            .filter(person_id=person_id)
            .order_by("-arrived_at")
            .first()
        )
    except (ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
    if arrival is None:
        raise Http404
    persons = persons_for(user).filter(pk=arrival.person_id)
    return ArrivalGroup(kind=PERSON, center=arrival.center, persons=persons)


DUPLICATES_PAGE_SIZE = 20


@dataclass(frozen=True)
class DuplicateShown:
    pair: DuplicatePair
    reasons: list[str]


def duplicate_queue(*, user: User, page_number: str | None) -> Page[DuplicateShown]:
    """One page of the possible duplicates to review, best first, each with the recognition's
    reasons (worked out for the page only); both records shown are audited as viewed."""
    from .duplicates import pair_scored  # the scoring reads this module's annotations

    pairs = (
        duplicate_pairs_for(user)
        .filter(status=DuplicatePair.Status.OPEN)
        .select_related("first__document_type", "second__document_type")
        .order_by("-score", "pk")
    )
    page = Paginator(pairs, DUPLICATES_PAGE_SIZE).get_page(page_number)
    shown = [DuplicateShown(pair, pair_scored(pair.first, pair.second)[1]) for pair in page]
    persons_viewed(
        [person for row in shown for person in (row.pair.first, row.pair.second)], actor=user
    )
    page.object_list = shown  # type: ignore[assignment]
    return page  # type: ignore[return-value]
