"""What casework contributes to a merge of two person records: their cases move (notes,
referrals and follow-ups hang off the case), unless both have an open case at one centre."""

from __future__ import annotations

from django.utils.translation import gettext as _

from registry import merging
from registry.types import StrOrPromise

from .models import Case


def both_open_at_one_centre(survivor_id: object, merged_id: object) -> StrOrPromise | None:
    """One open case per person and centre: two open cases at a centre cannot become one."""
    open_cases = Case.objects.filter(status=Case.Status.OPEN)
    shared = (
        open_cases.filter(person_id=survivor_id)
        .filter(center__in=open_cases.filter(person_id=merged_id).values("center"))
        .select_related("center")
        .first()
    )
    if shared is None:
        return None
    return _(
        "Both records have an open case at %(center)s (%(number)s): close one of them before "
        "merging the records."
    ) % {"center": shared.center.name, "number": shared.number}


merging.register_moved(Case)
merging.register_check(both_open_at_one_centre)
