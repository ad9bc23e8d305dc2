"""services' parts of the person and case pages (uptake), and deliveries on the timeline."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from casework.case_page import register_case_part
from casework.models import Case
from casework.permissions import CaseScope, case_scope
from registry.models import Person, ReceptionCenter
from registry.permissions import User, can_work_at, user_center_ids
from registry.person_page import (
    PersonPart,
    TimelineEntry,
    register_part,
    register_timeline_source,
    start_of,
)
from registry.prepared import prepared
from registry.reference_cache import reference_in_bulk

from .models import ServiceDelivery, ServiceType
from .permissions import deliveries_in
from .selectors import person_uptake


def uptake_list_url(person_id: object, case_id: int | None = None) -> str:
    """The person's services page (within one case when `case_id` is given)."""
    url = reverse("services:person_uptake", kwargs={"person_id": person_id})
    return f"{url}?{urlencode({'case': case_id})}" if case_id else url


@register_part
def uptake_part(request: HttpRequest, person: Person) -> PersonPart:
    """Counts per service type and the latest rows of each group; the full lists are a link."""
    return PersonPart(
        order=20,
        template="services/partials/person_services.html",
        context={
            "uptake": person_uptake(user=request.user, person=person),
            "person_id": person.pk,
            "list_url": uptake_list_url(person.pk),
            "can_record": bool(user_center_ids(request.user, for_write=True)),
        },
    )


@register_case_part
def case_uptake_part(request: HttpRequest, case: Case) -> PersonPart:
    """What the person received within this case: received, planned, not completed, voided."""
    return PersonPart(
        order=20,
        template="services/partials/person_services.html",
        context={
            "uptake": person_uptake(user=request.user, person=case.person, case=case),
            "person_id": case.person_id,
            "list_url": uptake_list_url(case.person_id, case.pk),
            "within_case": True,
            "can_record": can_work_at(request.user, case.center_id),
        },
    )


TIMELINE_DAYS = 20  # days with deliveries shown one by one; earlier days are one entry


@prepared
def _delivered_per_day(*, scope: CaseScope, person_id: uuid.UUID) -> QuerySet[dict[str, Any]]:
    """What was delivered to a person per day, centre, service and status (not voided)."""
    return (
        deliveries_in(scope)
        .filter(person_id=person_id, voided_at__isnull=True)
        .order_by()
        .values("delivered_on", "center_id", "service_type_id", "status")
        .annotate(quantity=Sum("quantity"))
    )


@register_timeline_source
def delivery_timeline_entries(user: User, person: Person) -> list[TimelineEntry]:
    """One entry per day and centre with what was delivered or planned that day (voided rows
    are left out), for the latest TIMELINE_DAYS such days; the earlier days make one entry that
    links to the full list. Quantities are summed by the database; three queries whatever the
    number of deliveries."""
    per_day = _delivered_per_day(scope=case_scope(user), person_id=person.pk)
    days: dict[tuple[date, int], list[dict]] = defaultdict(list)
    for row in per_day:
        days[(row["delivered_on"], row["center_id"])].append(row)
    if not days:
        return []
    latest = sorted(days, reverse=True)
    shown, earlier = latest[:TIMELINE_DAYS], latest[TIMELINE_DAYS:]
    types = reference_in_bulk(
        ServiceType, {row["service_type_id"] for key in shown for row in days[key]}
    )
    centers = reference_in_bulk(ReceptionCenter, {center_id for _day, center_id in latest})
    url = uptake_list_url(person.pk)
    statuses = dict(ServiceDelivery.Status.choices)

    def entry(day: date, center_id: int, text: str) -> TimelineEntry:
        center = centers[center_id]
        return TimelineEntry(
            when=start_of(day, center.tzinfo),
            date_only=True,
            kind="delivery",
            label=_("Services"),
            text=text,
            center_name=center.name,
            time_zone=center.time_zone,
            url_name="services:person_uptake",
            url_arg=person.pk,
            url=url,
        )

    entries = []
    for day, center_id in shown:
        rows = sorted(
            days[(day, center_id)],
            key=lambda r: (types[r["service_type_id"]].sort_order, r["status"]),
        )
        text = ", ".join(
            (
                _("%(service)s × %(quantity)s")
                if row["status"] == ServiceDelivery.Status.COMPLETED
                else _("%(service)s × %(quantity)s (%(status)s)")
            )
            % {
                "service": types[row["service_type_id"]].name,
                "quantity": row["quantity"],
                "status": statuses.get(row["status"], row["status"]),
            }
            for row in rows
        )
        entries.append(entry(day, center_id, text))
    if earlier:
        entries.append(entry(*earlier[0], _("Earlier services: see the full list")))
    return entries
