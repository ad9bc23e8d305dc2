"""Who may see and work on which case: the one scoping function for cases."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save

from registry.models import Partner
from registry.permissions import (
    User,
    can_work_at,
    scope_cached,
    scope_changed,
    user_center_ids,
)

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

    Who supervises and which restricted cases are opened to the user are read once per
    request (`_restricted_access`), so the filter is plain columns: no subquery for the ORM to
    build and compile, or for PostgreSQL to plan, in each of a page's case queries.
    """
    return cases_in(case_scope(user))


def cases_in(scope: CaseScope) -> QuerySet[Case]:
    """cases_for for a case scope given as values (prepared reads take it so)."""
    if not scope.read_ids:
        return Case.objects.none()
    return Case.objects.filter(case_visible_in(scope))


@dataclass(frozen=True)
class CaseScope:
    """What the rule of cases_for needs to know of a user, as values: the centres they read,
    those they supervise (None when they supervise none), the restricted cases opened to them.
    Prepared reads (registry.prepared) take it as a value."""

    read_ids: tuple[int, ...]
    supervised_ids: tuple[int, ...] | None
    opened: tuple[int, ...]


def case_scope(user: User) -> CaseScope:
    """The user's case scope, read once per request."""

    def read() -> CaseScope:
        supervises, opened = _restricted_access(user)
        written = user_center_ids(user, for_write=True)
        return CaseScope(
            read_ids=tuple(sorted(user_center_ids(user))),
            supervised_ids=tuple(sorted(written)) if supervises else None,
            opened=tuple(sorted(opened)),
        )

    return scope_cached(user, "casework.case_scope", read)


def case_visible(user: User, *, prefix: str = "") -> Q:
    """The rule of cases_for as a condition on a case's columns; `prefix` ("case__") puts it
    on the case of a related row, so that a delivery is joined to its own case rather than
    tested against every visible case of the centre (at a million persons, reading the 46,000
    cases of a centre for one person's six deliveries cost 40 ms)."""
    return case_visible_in(case_scope(user), prefix=prefix)


def case_visible_in(scope: CaseScope, *, prefix: str = "") -> Q:
    """case_visible for a scope given as values."""
    visible = Q(**{f"{prefix}restricted": False})
    if scope.supervised_ids is not None:
        visible |= Q(**{f"{prefix}center_id__in": scope.supervised_ids})
    if scope.opened:
        visible |= Q(**{f"{prefix}pk__in": scope.opened})
    return visible & Q(**{f"{prefix}center_id__in": scope.read_ids})


@functools.cache
def _restricted_access_sql() -> str:
    """The restricted cases opened to a user (directly or through a group), and 0 when a group
    of theirs supervises (holds manage_center_cases): one statement, written once per process."""
    user_perms = CaseUserObjectPermission._meta.db_table
    group_perms = CaseGroupObjectPermission._meta.db_table
    permission = Permission._meta.db_table
    content_type = ContentType._meta.db_table
    user_groups = get_user_model().groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    # Table names from the models, values as parameters: nothing typed reaches the text.
    return (
        f"SELECT p.content_object_id FROM {user_perms} p "  # noqa: S608
        f"JOIN {permission} a ON a.id = p.permission_id "
        "WHERE p.user_id = %s AND a.codename = %s "
        f"UNION SELECT g.content_object_id FROM {group_perms} g "
        f"JOIN {permission} a ON a.id = g.permission_id "
        f"JOIN {user_groups} ug ON ug.group_id = g.group_id "
        "WHERE ug.user_id = %s AND a.codename = %s "
        f"UNION SELECT 0 FROM {user_groups} ug "
        f"JOIN {group_permissions} gp ON gp.group_id = ug.group_id "
        f"JOIN {permission} a ON a.id = gp.permission_id "
        f"JOIN {content_type} t ON t.id = a.content_type_id "
        "WHERE ug.user_id = %s AND a.codename = %s AND t.app_label = %s"
    )


def _restricted_access(user: User) -> tuple[bool, frozenset[int]]:
    """(supervises, ids of the restricted cases opened to the user), once per request."""

    def read() -> tuple[bool, frozenset[int]]:
        if not getattr(user, "is_authenticated", False):
            return False, frozenset()
        params = [user.pk, VIEW_RESTRICTED_CASE] * 2 + [user.pk, "manage_center_cases", "casework"]
        with connection.cursor() as cursor:
            cursor.execute(_restricted_access_sql(), params)
            found = {row[0] for row in cursor.fetchall()}
        return 0 in found, frozenset(found - {0})

    return scope_cached(user, "casework.restricted_access", read)


def scope_signals_connect() -> None:
    """Forget the scopes cached in this process (registry.permissions.scope_cached) when a
    restricted case is opened to someone, or a role or its permissions change."""
    for model in (CaseUserObjectPermission, CaseGroupObjectPermission):
        post_save.connect(scope_changed, sender=model, dispatch_uid=f"scope-{model.__name__}")
        post_delete.connect(scope_changed, sender=model, dispatch_uid=f"scope-del-{model.__name__}")
    m2m_changed.connect(
        scope_changed, sender=get_user_model().groups.through, dispatch_uid="scope-user-groups"
    )
    m2m_changed.connect(
        scope_changed, sender=Group.permissions.through, dispatch_uid="scope-group-permissions"
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
