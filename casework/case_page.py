"""The case page's parts that apps above casework contribute (services within the case)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from registry.person_page import PersonPart

from .models import Case

CasePartContributor = Callable[[HttpRequest, Case], PersonPart | None]

_case_parts: list[CasePartContributor] = []


def register_case_part(contributor: CasePartContributor) -> CasePartContributor:
    if contributor not in _case_parts:
        _case_parts.append(contributor)
    return contributor


def case_page_parts(request: HttpRequest, case: Case) -> list[PersonPart]:
    parts = [part for part in (c(request, case) for c in _case_parts) if part is not None]
    return sorted(parts, key=lambda part: part.order)
