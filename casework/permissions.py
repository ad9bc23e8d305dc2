"""Who may see what: the one scoping function per model that every view, API, export and task uses.

The centres a user works in are guardian object permissions on ReceptionCenter. They are
resolved once (a few rows) and then used as a plain `center_id IN (...)` filter.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Partner,
    Person,
    PersonCenter,
    ReceptionCenter,
    ReceptionCenterGroupObjectPermission,
    ReceptionCenterUserObjectPermission,
)

# Staff who work at a centre read and write its records; a programme manager reads the
# records of the centres of their programme (a group holding VIEW_CENTER_RECORDS on them).
WORK_AT_CENTER = "work_at_center"
VIEW_CENTER_RECORDS = "view_center_records"
_CACHE_ATTR = "_retorno_center_ids"

User = AbstractBaseUser | AnonymousUser


def _center_permissions(user: User) -> dict[str, frozenset[int]]:
    """{codename: centre ids} for the user's centre permissions; one query, cached on the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {WORK_AT_CENTER: frozenset(), VIEW_CENTER_RECORDS: frozenset()}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    codenames = (WORK_AT_CENTER, VIEW_CENTER_RECORDS)
    direct = ReceptionCenterUserObjectPermission.objects.filter(
        user=user, permission__codename__in=codenames
    ).values_list("content_object_id", "permission__codename")
    via_groups = ReceptionCenterGroupObjectPermission.objects.filter(
        group__user=user, permission__codename__in=codenames
    ).values_list("content_object_id", "permission__codename")
    active = ReceptionCenter.objects.filter(active=True).values("pk")
    rows = direct.filter(content_object_id__in=active).union(
        via_groups.filter(content_object_id__in=active)
    )
    found: dict[str, set[int]] = {WORK_AT_CENTER: set(), VIEW_CENTER_RECORDS: set()}
    for center_id, codename in rows:
        found[codename].add(center_id)
    result = {
        WORK_AT_CENTER: frozenset(found[WORK_AT_CENTER]),
        # whoever works at a centre also reads its records
        VIEW_CENTER_RECORDS: frozenset(found[WORK_AT_CENTER] | found[VIEW_CENTER_RECORDS]),
    }
    setattr(user, _CACHE_ATTR, result)
    return result


def user_center_ids(user: User, *, for_write: bool = False) -> frozenset[int]:
    """Ids of the active centres whose records the user may read (or, for_write, work in)."""
    return _center_permissions(user)[WORK_AT_CENTER if for_write else VIEW_CENTER_RECORDS]


def forget_center_ids(user: User) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def centers_for(user: User) -> QuerySet[ReceptionCenter]:
    """The centres the user works in (where they may register and record)."""
    return ReceptionCenter.objects.filter(
        pk__in=user_center_ids(user, for_write=True)
    ).select_related("country")


def readable_centers_for(user: User) -> QuerySet[ReceptionCenter]:
    """The centres whose records the user may read (their own, or their programme's)."""
    return ReceptionCenter.objects.filter(pk__in=user_center_ids(user)).select_related("country")


def persons_for(user: User) -> QuerySet[Person]:
    """Persons known at any of the user's centres."""
    ids = user_center_ids(user)
    if not ids:
        return Person.objects.none()
    return Person.objects.filter(
        Exists(PersonCenter.objects.filter(person=OuterRef("pk"), center_id__in=ids))
    )


def person_matching_scope_for(user: User) -> QuerySet[Person]:
    """The national registry for recognition: persons known at any centre of the user's countries.

    Only the recognition fields may be shown from this queryset (see intake.matching).
    """
    ids = user_center_ids(user, for_write=True)
    if not ids:
        return Person.objects.none()
    country_ids = ReceptionCenter.objects.filter(pk__in=ids).values("country_id")
    return Person.objects.filter(
        Exists(
            PersonCenter.objects.filter(person=OuterRef("pk"), center__country_id__in=country_ids)
        )
    )


def can_work_at(user: User, center: ReceptionCenter | int) -> bool:
    """May the user record things (arrivals, cases, deliveries) at this centre?"""
    center_id = center if isinstance(center, int) else center.pk
    return center_id in user_center_ids(user, for_write=True)


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
            user=user,
            permissions__codename="manage_center_cases",
            permissions__content_type__app_label="casework",
        )
    )
    return Case.objects.filter(center_id__in=ids).filter(
        Q(restricted=False)
        | Q(supervises, center_id__in=user_center_ids(user, for_write=True))
        | Exists(
            CaseUserObjectPermission.objects.filter(
                user=user, permission__codename=VIEW_RESTRICTED_CASE, content_object=OuterRef("pk")
            )
        )
        | Exists(
            CaseGroupObjectPermission.objects.filter(
                group__user=user,
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
