"""Who may see and work on which case: the one scoping function for cases."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet

from registry.models import Partner
from registry.permissions import User, can_work_at, user_center_ids

from .models import Case, CaseGroupObjectPermission, CaseUserObjectPermission

VIEW_RESTRICTED_CASE = "view_restricted_case"
MANAGE_CENTER_CASES = "casework.manage_center_cases"


def cases_for(user: User) -> QuerySet[Case]:
    """Cases at the user's centres; a restricted case only for those it was opened to.

    A restricted case is opened to its assigned caseworker by a guardian permission on the
    case, and to the supervisors of its centre by their role (so a supervisor who joins the
    centre later sees it too). Restricted cases are left out of every list for everyone else,
    not shown as a nameless row: even "this person has a restricted case" says something
    sensitive about them.
    """
    ids = user_center_ids(user)
    if not ids:
        return Case.objects.none()
    supervises = Exists(
        Group.objects.filter(
            user=user.pk,
            permissions__codename="manage_center_cases",
            permissions__content_type__app_label="casework",
        )
    )
    return Case.objects.filter(center_id__in=ids).filter(
        Q(restricted=False)
        | Q(supervises, center_id__in=user_center_ids(user, for_write=True))
        | Exists(
            CaseUserObjectPermission.objects.filter(
                user=user.pk,
                permission__codename=VIEW_RESTRICTED_CASE,
                content_object=OuterRef("pk"),
            )
        )
        | Exists(
            CaseGroupObjectPermission.objects.filter(
                group__user=user.pk,
                permission__codename=VIEW_RESTRICTED_CASE,
                content_object=OuterRef("pk"),
            )
        )
    )


def partners_for_case(case: Case) -> QuerySet[Partner]:
    """The partners a case may be referred to: active ones of the country of the case's centre
    (a Guatemalan case is never referred to a Honduran partner)."""
    return Partner.objects.filter(active=True, country__centers=case.center_id)


def can_work_on_case(user: User, case: Case) -> bool:
    """Add notes, goals, referrals and follow-ups: staff of the centre who can see the case."""
    return can_work_at(user, case.center_id)


def can_manage_case(user: User, case: Case) -> bool:
    """Close, reopen, restrict: the assigned caseworker, or a supervisor of the centre."""
    if not can_work_at(user, case.center_id):
        return False
    return case.assigned_to_id == user.pk or user.has_perm(MANAGE_CENTER_CASES)


def can_assign_case(user: User, case: Case) -> bool:
    """Assign and reassign: supervisors of the case's centre."""
    return can_work_at(user, case.center_id) and user.has_perm(MANAGE_CENTER_CASES)
