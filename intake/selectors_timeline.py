"""Timeline entries of intake: the person's arrivals at the viewer's centres."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from registry.models import Person
from registry.permissions import User
from registry.person_page import TimelineEntry
from registry.person_page import at as _at

from .models import Arrival
from .permissions import arrivals_for


def arrival_timeline_entries(
    user: User, person: Person, arrivals: Iterable[Arrival] | None = None
) -> list[TimelineEntry]:
    """`arrivals`: the person's arrivals from arrivals_for(user), when the caller has them."""
    entries: list[TimelineEntry] = []
    if arrivals is None:
        arrivals = (
            arrivals_for(user).filter(person=person).select_related("center", "returned_from")
        )
    for arrival in arrivals:
        tz = arrival.center.tzinfo
        entries.append(
            TimelineEntry(
                when=_at(arrival.arrived_at, tz),
                date_only=False,
                kind="arrival",
                label=_("Arrival"),
                text=_("Returned from %(country)s (%(mode)s)")
                % {"mode": arrival.get_mode_display(), "country": arrival.returned_from.name},
                center_name=arrival.center.name,
                time_zone=arrival.center.time_zone,
                url_name="intake:arrival_detail",
                url_arg=arrival.pk,
            )
        )
    return entries
