"""intake's parts of the person page: arrivals at the viewer's centres, and their timeline."""

from __future__ import annotations

from django.http import HttpRequest

from registry.models import Person
from registry.permissions import User
from registry.person_page import (
    PersonPart,
    TimelineEntry,
    register_part,
    register_timeline_source,
)

from .models import Arrival
from .selectors import person_arrivals_seen, person_returns_summary
from .selectors_timeline import arrival_timeline_entries


def _viewer_arrivals(user: User, person: Person) -> list[Arrival]:
    """The person's arrivals the viewer may see, newest first: read once per page, for the
    arrivals part and the timeline alike, and kept on the person object the page loaded."""
    held: tuple[object, list[Arrival]] | None = getattr(person, "_viewer_arrivals", None)
    if held is None or held[0] != user.pk:
        arrivals = person_arrivals_seen(user=user, person=person)
        held = (user.pk, arrivals)
        setattr(person, "_viewer_arrivals", held)  # noqa: B010 (not a field of the model)
    return held[1]


@register_part
def arrivals_part(request: HttpRequest, person: Person) -> PersonPart:
    return PersonPart(
        order=10,
        template="intake/partials/person_arrivals.html",
        context={
            "arrivals": _viewer_arrivals(request.user, person),
            "returns": person_returns_summary(person),
        },
    )


@register_timeline_source
def arrival_timeline(user: User, person: Person) -> list[TimelineEntry]:
    return arrival_timeline_entries(user, person, _viewer_arrivals(user, person))
