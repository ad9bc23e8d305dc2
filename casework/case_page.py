"""The case page's parts that apps above casework contribute (services within the case)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from registry.person_page import PageParts, PersonPart

from .models import Case

CasePartContributor = Callable[[HttpRequest, Case], PersonPart | None]

_case_parts = PageParts()


def register_case_part(contributor: CasePartContributor) -> CasePartContributor:
    registered: CasePartContributor = _case_parts.register(contributor)
    return registered


def case_page_parts(request: HttpRequest, case: Case) -> list[PersonPart]:
    return _case_parts.parts(request, case)
