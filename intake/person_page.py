"""intake's parts of the person page: arrivals at the viewer's centres, and their timeline."""

from __future__ import annotations

from django.http import HttpRequest

from registry.models import Person
from registry.person_page import PersonPart, register_part, register_timeline_source

from .permissions import arrivals_for
from .selectors import person_returns_summary
from .selectors_timeline import arrival_timeline_entries


@register_part
def arrivals_part(request: HttpRequest, person: Person) -> PersonPart:
    arrivals = list(
        arrivals_for(request.user)
        .filter(person=person)
        .select_related("center", "returned_from")
        .order_by("-arrived_at")
    )
    return PersonPart(
        order=10,
        template="intake/partials/person_arrivals.html",
        context={"arrivals": arrivals, "returns": person_returns_summary(person)},
    )


register_timeline_source(arrival_timeline_entries)
