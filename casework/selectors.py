"""Reads of cases and what hangs off them (notes, goals, referrals, follow-ups), scoped to the user."""

from __future__ import annotations

import re
from datetime import date
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from registry.names import document_normalise
from registry.permissions import User
from registry.search import STARTS, person_search_condition, phone_condition

from .models import Case, CaseGoal, CaseNote, FollowUp, Referral
from .permissions import cases_for

_Child = TypeVar("_Child", CaseGoal, FollowUp, Referral)

_CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{2,10}(-[0-9]{0,4}(-[0-9]{0,5})?)?$")


def case_list(*, user: User) -> QuerySet[Case]:
    """The cases the user may see, with what a list row shows."""
    return cases_for(user).select_related("person", "center", "assigned_to", "closure_reason")


def case_get(*, user: User, case_id: int | str) -> Case:
    """The case if the user may see it; Http404 otherwise (missing, other centre, restricted)."""
    try:
        return (
            case_list(user=user)
            .select_related("opened_by", "closed_by", "person__document_type")
            .prefetch_related("vulnerabilities")
            .get(pk=case_id)
        )
    except (Case.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # A malformed id is answered like a missing one.
        raise Http404 from exc


def case_search(queryset: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Cases matching a case number (exact or prefix), person name, document number or phone."""
    text = (text or "").strip()
    if not text:
        return queryset
    condition = Q()
    looks_like_number = bool(_CASE_NUMBER_RE.match(text))
    if looks_like_number:
        condition |= Q(number__istartswith=text)
    if looks_like_number and "-" in text and any(ch.isdigit() for ch in text):
        # "CA-2026-00001": its letters are the centre code, not a fragment of a name.
        doc_key = document_normalise(text)
        if len(doc_key) >= 4:
            condition |= Q(person__document_key__contains=doc_key)
    else:
        person_condition = person_search_condition(text, prefix="person__", loose=STARTS)
        if person_condition is not None:
            condition |= person_condition
    condition |= phone_condition(text, prefix="person__")
    if not condition:
        return queryset.none()
    return queryset.filter(condition)


def notes_for_case(case: Case) -> QuerySet[CaseNote]:
    """The case's notes in the order they were written, each with its author and what it corrects."""
    return CaseNote.objects.filter(case=case).select_related("author", "corrects")


def goals_for_case(case: Case) -> QuerySet[CaseGoal]:
    return CaseGoal.objects.filter(case=case).select_related("created_by")


def referrals_for_case(case: Case) -> QuerySet[Referral]:
    return Referral.objects.filter(case=case).select_related(
        "partner", "service_line", "referred_by"
    )


def follow_ups_for_case(case: Case) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(case=case).select_related("done_by", "created_by")


def follow_up_list(*, user: User) -> QuerySet[FollowUp]:
    """Follow-ups of the cases the user may see."""
    return FollowUp.objects.filter(case__in=cases_for(user).values("pk")).select_related(
        "case", "case__person", "case__center", "case__assigned_to", "done_by"
    )


def overdue_follow_ups(queryset: QuerySet[FollowUp], today: date) -> QuerySet[FollowUp]:
    """Follow-ups not done and due before `today` (the centre's local date, see FollowUp.is_overdue)."""
    return queryset.filter(done_at__isnull=True, due_date__lt=today)


def referral_get(*, user: User, referral_id: int | str) -> Referral:
    """A referral of a case the user may see; Http404 otherwise."""
    return _child_get(
        Referral.objects.select_related("partner", "service_line", "referred_by"),
        user=user,
        object_id=referral_id,
    )


def follow_up_get(*, user: User, follow_up_id: int | str) -> FollowUp:
    """A follow-up of a case the user may see; Http404 otherwise."""
    return _child_get(
        FollowUp.objects.select_related("done_by", "created_by"),
        user=user,
        object_id=follow_up_id,
    )


def goal_get(*, user: User, goal_id: int | str) -> CaseGoal:
    """A plan goal of a case the user may see; Http404 otherwise."""
    return _child_get(CaseGoal.objects.select_related("created_by"), user=user, object_id=goal_id)


def _child_get(queryset: QuerySet[_Child], *, user: User, object_id: int | str) -> _Child:
    try:
        return (
            queryset.filter(case__in=cases_for(user).values("pk"))
            .select_related("case", "case__person", "case__center")
            .get(pk=object_id)
        )
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
