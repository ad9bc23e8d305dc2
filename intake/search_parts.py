"""intake's share of the registry search: a flight or bus reference finds its passengers, and
each result shows the person's last arrival at the user's centres."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from registry.models import ReceptionCenter
from registry.permissions import User
from registry.reference_cache import reference_in_bulk
from registry.search import FactValue, SearchFact, register_fact, register_term

from .permissions import arrivals_for

# A flight or bus reference is one word with a digit in it: AV651, TACA-123, BUS 7 is two words.
_REFERENCE_RE = re.compile(r"^(?=.*[0-9])[A-Za-z0-9-]{2,40}$")


@register_term
def transport_reference_term(user: User, text: str) -> QuerySet[Any] | None:
    if not _REFERENCE_RE.match(text):
        return None
    return arrivals_for(user).filter(transport_reference__iexact=text).values("person_id")


def last_arrivals(user: User, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, FactValue]:
    """The date (at the centre) and centre of each person's last arrival the user may see."""
    visible = arrivals_for(user)
    last = visible.filter(person_id=OuterRef("person_id")).order_by("-arrived_at", "-pk")
    rows = list(
        visible.filter(person_id__in=person_ids, pk=Subquery(last.values("pk")[:1])).values_list(
            "person_id", "arrived_at", "center_id"
        )
    )
    # The centre's name in the reader's language (a values() path to "center__name" would read
    # the untranslated column: the language the centre was last saved in).
    centers = reference_in_bulk(ReceptionCenter, {center_id for _p, _a, center_id in rows})
    return {
        person_id: FactValue(
            text=_("%(day)s, %(center)s")
            % {
                "day": date_format(arrived_at.astimezone(centers[center_id].tzinfo), "DATE_FORMAT"),
                "center": centers[center_id].name,
            }
        )
        for person_id, arrived_at, center_id in rows
    }


register_fact(SearchFact(order=10, header=_("Last arrival"), values=last_arrivals))
