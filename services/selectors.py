"""Reads of the catalogue and of deliveries, already scoped to the user."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.expressions import BaseExpression
from django.db.models.functions import RowNumber
from django.db.models.lookups import IsNull
from django.http import Http404
from django.urls import reverse

from casework.models import Case
from casework.permissions import CaseScope, case_scope
from registry.models import Person
from registry.permissions import User
from registry.prepared import prepared

from .models import ALL_OUTCOME_FIELDS, ServiceDelivery, ServiceType
from .permissions import deliveries_for, deliveries_in


def service_types_active() -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(active=True).order_by("category", "sort_order")


def delivery_list(*, user: User) -> QuerySet[ServiceDelivery]:
    return deliveries_for(user).select_related(
        "person", "center", "service_type", "provider", "case", "recorded_by", "voided_by"
    )


def delivery_get(*, user: User, delivery_id: int | str) -> ServiceDelivery:
    try:
        return delivery_list(user=user).get(pk=delivery_id)
    except (ServiceDelivery.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


UPTAKE_GROUPS = ("received", "planned", "not_completed", "voided")
RECENT_ROWS = 5  # rows of each group shown on the person and case pages
_RECENT_FIELDS = (
    "delivered_on", "quantity", "status", "voided_at", "void_reason", "person_id", "case",
    "service_type", "provider", *ALL_OUTCOME_FIELDS,
)  # fmt: skip


_GROUP_FILTERS = {
    "received": Q(voided_at__isnull=True, status=ServiceDelivery.Status.COMPLETED),
    "not_completed": Q(voided_at__isnull=True, status=ServiceDelivery.Status.NOT_COMPLETED),
    "planned": Q(voided_at__isnull=True)
    & ~Q(status__in=[ServiceDelivery.Status.COMPLETED, ServiceDelivery.Status.NOT_COMPLETED]),
    "voided": Q(voided_at__isnull=False),
}


@dataclass(frozen=True)
class UptakeLine:
    """One service type in a person's summary: how many rows fell in each group."""

    service_type: ServiceType
    unit_label: str
    received: int
    received_quantity: int
    planned: int
    not_completed: int
    voided: int


@dataclass(frozen=True)
class UptakeGroup:
    key: str  # one of UPTAKE_GROUPS
    total: int  # every row of the group, counted by the database
    deliveries: list[ServiceDelivery]  # the most recent of them

    @property
    def hidden(self) -> int:
        return self.total - len(self.deliveries)


@dataclass(frozen=True)
class Uptake:
    """A person's uptake: counts per service type, and the most recent rows of each group."""

    lines: list[UptakeLine]
    groups: list[UptakeGroup]  # the non-empty groups, in UPTAKE_GROUPS order

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)

    def group(self, key: str) -> UptakeGroup | None:
        return next((group for group in self.groups if group.key == key), None)


def _person_deliveries(
    *, user: User, person: Person, case: Case | None = None
) -> QuerySet[ServiceDelivery]:
    return _deliveries_of(
        deliveries_for(user), person_id=person.pk, case_id=case.pk if case is not None else None
    )


def _deliveries_of(
    deliveries: QuerySet[ServiceDelivery], *, person_id: uuid.UUID, case_id: int | None
) -> QuerySet[ServiceDelivery]:
    """A person's deliveries among `deliveries`, within one case when `case_id` is given."""
    deliveries = deliveries.filter(person_id=person_id)
    if case_id is not None:
        deliveries = deliveries.filter(case_id=case_id)
    return deliveries


def _group_key(delivery: ServiceDelivery) -> str:
    """Which of UPTAKE_GROUPS a delivery falls in (voided first: a voided row never counts)."""
    if delivery.voided_at is not None:
        return "voided"
    if delivery.status == ServiceDelivery.Status.COMPLETED:
        return "received"
    if delivery.status == ServiceDelivery.Status.NOT_COMPLETED:
        return "not_completed"
    return "planned"


@prepared
def _uptake_rows(
    *, scope: CaseScope, person_id: uuid.UUID, case_id: int | None, recent: int
) -> QuerySet[ServiceDelivery]:
    """person_uptake's one query (compiled once per process and shape)."""
    newest_first = [F("delivered_on").desc(), F("pk").desc()]
    # Plain columns rather than the group's CASE expression: a third less time spent building
    # and compiling the query.
    partition: list[BaseExpression | F | str] = [IsNull(F("voided_at"), True), F("status")]
    line: list[BaseExpression | F | str] = [F("service_type_id"), *partition]
    return (
        _deliveries_of(deliveries_in(scope), person_id=person_id, case_id=case_id)
        .select_related("service_type", "provider", "case")
        .only(*_RECENT_FIELDS)
        .annotate(
            rank_in_partition=Window(RowNumber(), partition_by=partition, order_by=newest_first),
            rank_in_line=Window(RowNumber(), partition_by=line, order_by=newest_first),
            line_rows=Window(Count("pk"), partition_by=line),
            line_quantity=Window(Sum("quantity"), partition_by=line),
        )
        .filter(Q(rank_in_partition__lte=recent) | Q(rank_in_line=1))
        .order_by("-delivered_on", "-pk")
    )


def person_uptake(
    *, user: User, person: Person, case: Case | None = None, recent: int = RECENT_ROWS
) -> Uptake:
    """A person's deliveries within scope (or within one case): how many fell in each group per
    service type, counted by the database, and the `recent` newest rows of each group.

    One query whatever the number of deliveries. Window functions count the rows of each
    (service type, voided or not, status) and rank the rows of each (voided or not, status);
    only the newest rows of each such partition and one row per (service type, voided or not,
    status), carrying its counts, come back. A group (e.g. planned: planned or in progress) is
    one or more partitions: its counts are summed and its rows merged here.
    """
    rows: list[Any] = _uptake_rows(  # annotated: rank_in_partition, rank_in_line, line_*
        scope=case_scope(user),
        person_id=person.pk,
        case_id=case.pk if case is not None else None,
        recent=recent,
    )
    recent_rows: dict[str, list[ServiceDelivery]] = {key: [] for key in UPTAKE_GROUPS}
    counts: dict[int, dict[str, int]] = {}
    types: dict[int, ServiceType] = {}
    for delivery in rows:  # newest first
        group = _group_key(delivery)
        if delivery.rank_in_partition <= recent and len(recent_rows[group]) < recent:
            recent_rows[group].append(delivery)
        if delivery.rank_in_line == 1:
            types[delivery.service_type_id] = delivery.service_type
            line_counts = counts.setdefault(
                delivery.service_type_id, dict.fromkeys(UPTAKE_GROUPS, 0)
            )
            line_counts[group] += delivery.line_rows
            if group == "received":
                line_counts["received_quantity"] = delivery.line_quantity
    units = _choice_labels(ServiceType.Unit.choices)
    lines = sorted(
        (
            UptakeLine(
                service_type=types[type_id],
                unit_label=units.get(types[type_id].unit, ""),
                **{key: line_counts.get(key, 0) for key in (*UPTAKE_GROUPS, "received_quantity")},
            )
            for type_id, line_counts in counts.items()
        ),
        key=lambda line: (line.service_type.category, line.service_type.sort_order),
    )
    with_labels(delivery for shown in recent_rows.values() for delivery in shown)
    groups = [
        UptakeGroup(
            key=key, total=sum(getattr(line, key) for line in lines), deliveries=recent_rows[key]
        )
        for key in UPTAKE_GROUPS
    ]
    return Uptake(lines=lines, groups=[group for group in groups if group.total])


def _choice_labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def with_labels(deliveries: Iterable[ServiceDelivery]) -> list[ServiceDelivery]:
    """The rows, each with `unit_label`, `status_label`, `sector_label`, `void_url` and
    `correct_url` for the templates.

    Looked up once per list: Django's get_FOO_display translates every choice of the field
    again on each call, which was most of the time spent rendering a table of deliveries; the
    void URL is reversed once and the row's id put in.
    """
    rows = list(deliveries)
    if not rows:
        return rows
    units = _choice_labels(ServiceType.Unit.choices)
    statuses = _choice_labels(ServiceDelivery.Status.choices)
    sectors = _choice_labels(ServiceDelivery.Sector.choices)
    head, _zero, tail = reverse("services:delivery_void", args=[0]).rpartition("/0/")
    fix_head, _zero, fix_tail = reverse("services:delivery_correct", args=[0]).rpartition("/0/")
    for row in rows:
        delivery: Any = row  # the labels are set on the row for the templates
        delivery.void_url = f"{head}/{delivery.pk}/{tail}"
        delivery.correct_url = f"{fix_head}/{delivery.pk}/{fix_tail}"
        delivery.unit_label = units.get(delivery.service_type.unit, "")
        delivery.status_label = statuses.get(delivery.status, "")
        delivery.sector_label = sectors.get(delivery.employer_sector, "")
    return rows


def person_deliveries(
    *, user: User, person: Person, group: str, case: Case | None = None
) -> QuerySet[ServiceDelivery]:
    """Every delivery of one uptake group, newest first, for the paginated full list."""
    return (
        _person_deliveries(user=user, person=person, case=case)
        .filter(_GROUP_FILTERS[group])
        .select_related("service_type", "provider", "case")
        .only(*_RECENT_FIELDS)
        .order_by("-delivered_on", "-pk")
    )


def counted(queryset: QuerySet[ServiceDelivery]) -> QuerySet[ServiceDelivery]:
    """Only what counts: completed and not voided."""
    return queryset.filter(status=ServiceDelivery.Status.COMPLETED, voided_at__isnull=True)


def uptake_totals(queryset: QuerySet[ServiceDelivery]) -> QuerySet[Any, Any]:
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
    "RECENT_ROWS", "UPTAKE_GROUPS", "Uptake", "UptakeGroup", "UptakeLine", "counted",
    "delivery_get", "delivery_list", "person_deliveries", "person_uptake", "service_types_active",
    "uptake_totals", "with_labels",
]  # fmt: skip
