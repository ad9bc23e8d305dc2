"""casework's share of the registry search: a case number finds its person, and each result
shows the person's open case (only cases the user may see: a restricted case stays hidden)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from registry.permissions import User
from registry.search import FactValue, SearchFact, register_fact, register_term

from .models import Case
from .permissions import cases_for

_FULL_CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{2,10}-[0-9]{4}-[0-9]{1,5}$")


@register_term
def case_number_term(user: User, text: str) -> QuerySet[Any] | None:
    """A case number as written on paper: any case, the counter with or without its zeros
    (sps-2026-12 is SPS-2026-00012); equality, so the unique index answers."""
    if not _FULL_CASE_NUMBER_RE.match(text):
        return None
    code, year, counter = text.upper().split("-")
    number = f"{code}-{year}-{int(counter):05d}"
    return cases_for(user).filter(number=number).values("person_id")


def open_cases(user: User, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, FactValue]:
    rows = (
        cases_for(user)
        .filter(person_id__in=person_ids, status=Case.Status.OPEN)
        .order_by("person_id", "-opened_at", "-pk")
        .values_list("person_id", "pk", "number")
    )
    found: dict[uuid.UUID, FactValue] = {}
    for person_id, pk, number in rows:
        found.setdefault(
            person_id, FactValue(text=number, url=reverse("cases:case_detail", args=[pk]))
        )
    return found


register_fact(SearchFact(order=20, header=_("Open case"), values=open_cases))
