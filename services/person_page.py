"""services' parts of the person and case pages (uptake), and deliveries on the timeline."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from casework.models import Case, Person
from casework.permissions import User, can_work_at, user_center_ids
from casework.person_page import (
    PersonPart,
    TimelineEntry,
    register_case_part,
    register_part,
    register_timeline_source,
    start_of,
)

from .selectors import delivery_list, person_uptake


@register_part
def uptake_part(request: HttpRequest, person: Person) -> PersonPart:
    return PersonPart(
        order=20,
        template="services/partials/person_services.html",
        context={
            "uptake": person_uptake(user=request.user, person=person),
            "person_id": person.pk,
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
            "can_record": can_work_at(request.user, case.center_id),
        },
    )


@register_timeline_source
def delivery_timeline_entries(user: User, person: Person) -> list[TimelineEntry]:
    """Completed and planned deliveries (voided ones are left out of the timeline)."""
    entries = []
    for delivery in delivery_list(user=user).filter(person=person, voided_at__isnull=True):
        center = delivery.center
        entries.append(
            TimelineEntry(
                when=start_of(delivery.delivered_on, center.tzinfo),
                date_only=True,
                kind="delivery",
                label=_("Service"),
                text=_("%(service)s × %(quantity)s (%(status)s)")
                % {
                    "service": delivery.service_type.name,
                    "quantity": delivery.quantity,
                    "status": delivery.get_status_display(),
                },
                center_name=center.name,
                time_zone=center.time_zone,
                url_name="services:person_uptake",
                url_arg=person.pk,
            )
        )
    return entries
