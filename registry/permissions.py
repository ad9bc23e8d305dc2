"""Who may see what: the one scoping function per model that every view, API, export and task uses.

The centres a user works in are guardian object permissions on ReceptionCenter. They are
resolved once (a few rows) and then used as a plain `center_id IN (...)` filter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.auth.models import User as DjangoUser
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import (
    Person,
    PersonCenter,
    ReceptionCenter,
    ReceptionCenterGroupObjectPermission,
    ReceptionCenterUserObjectPermission,
)
from .reference_cache import reference_in_bulk
from .roles import CASEWORKER, DONOR_REVIEWER, PROGRAMME_MANAGER, ROLE_PERMISSIONS, SUPERVISOR

# Staff who work at a centre read and write its records; a programme manager reads the
# records of the centres of their programme (a group holding VIEW_CENTER_RECORDS on them).
WORK_AT_CENTER = "work_at_center"
VIEW_CENTER_RECORDS = "view_center_records"
_CACHE_ATTR = "_retorno_center_ids"

# The acting user, typed once: every action takes `actor: Actor` (settings.AUTH_USER_MODEL is
# Django's own User; change this line with it). Reads are scoped for whoever asks, signed in
# or not: `User`.
Actor = DjangoUser
User = Actor | AnonymousUser


CENTER_CODENAMES = (WORK_AT_CENTER, VIEW_CENTER_RECORDS)
T = TypeVar("T")


@functools.cache
def _center_permissions_sql() -> str:
    """The user's centre permissions (direct and through groups) on active centres, as one
    statement written once per process: every request asks it first, and building it with
    the ORM cost more than running it."""
    user_perms = ReceptionCenterUserObjectPermission._meta.db_table
    group_perms = ReceptionCenterGroupObjectPermission._meta.db_table
    permission = Permission._meta.db_table
    user_groups = get_user_model().groups.through._meta.db_table
    center = ReceptionCenter._meta.db_table
    # Table names from the models, values as parameters: nothing typed reaches the text.
    return (
        f"SELECT p.content_object_id, a.codename FROM {user_perms} p "  # noqa: S608
        f"JOIN {permission} a ON a.id = p.permission_id "
        f"JOIN {center} c ON c.id = p.content_object_id "
        "WHERE p.user_id = %s AND a.codename IN (%s, %s) AND c.active "
        f"UNION SELECT g.content_object_id, a.codename FROM {group_perms} g "
        f"JOIN {permission} a ON a.id = g.permission_id "
        f"JOIN {user_groups} ug ON ug.group_id = g.group_id "
        f"JOIN {center} c ON c.id = g.content_object_id "
        "WHERE ug.user_id = %s AND a.codename IN (%s, %s) AND c.active"
    )


def _center_permissions(user: User) -> dict[str, frozenset[int]]:
    """{codename: centre ids} for the user's centre permissions; one query, cached on the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {WORK_AT_CENTER: frozenset(), VIEW_CENTER_RECORDS: frozenset()}
    cached: dict[str, frozenset[int]] | None = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(_center_permissions_sql(), [user.pk, *CENTER_CODENAMES] * 2)
        rows = cursor.fetchall()
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


AGGREGATES_APP = "reporting"


def is_donor_reviewer(user: User) -> bool:
    """Reads aggregate reports and nothing else: holds no centre, and every permission the user
    holds is the reporting app's (the donor reviewer role: reporting.view_aggregates).

    The aggregates are then their only door: every other route answers them 404 (the site's
    DonorReachMiddleware, the API's DonorReviewersKeptOut). An administrator holds no centre
    either but keeps their other permissions, so is not one. Staff are answered from the
    centre ids (cached on the user) without loading the permission cache.
    """
    if not getattr(user, "is_authenticated", False) or user_center_ids(user):
        return False
    held = user.get_all_permissions()
    return f"{AGGREGATES_APP}.view_aggregates" in held and all(
        name.startswith(f"{AGGREGATES_APP}.") for name in held
    )


_SCOPE_ATTR = "_retorno_scope"
# Bumped whenever object permissions or roles change in this process (scope_changed): a scope
# cached before is read again. Other processes serve other requests, each with its own user.
_scope_generation = [0]


def scope_changed(**_signal: Any) -> None:
    """Someone's permissions changed: every scope cached in this process is stale."""
    _scope_generation[0] += 1


def scope_cached(user: User, key: str, compute: Callable[[], T]) -> T:
    """What `compute` answers about the user's scope, computed once per user object, that is
    once per request (each request loads its own user): the apps' parts of a page all reuse it.
    A change of permissions in between (scope_changed) or forget_center_ids forgets it."""
    cache: dict[str, Any] | None = getattr(user, _SCOPE_ATTR, None)
    if cache is None or cache.get("generation") != _scope_generation[0]:
        cache = {"generation": _scope_generation[0]}
        setattr(user, _SCOPE_ATTR, cache)
    if key not in cache:
        cache[key] = compute()
    value: T = cache[key]
    return value


def forget_center_ids(user: User) -> None:
    """Forget the user's centres and every scope cached on them (their permissions changed)."""
    for attribute in (_CACHE_ATTR, _SCOPE_ATTR):
        if hasattr(user, attribute):
            delattr(user, attribute)


def centers_for(user: User) -> QuerySet[ReceptionCenter]:
    """The centres the user works in (where they may register and record)."""
    return ReceptionCenter.objects.filter(
        pk__in=user_center_ids(user, for_write=True)
    ).select_related("country")


def user_centers(user: User, *, for_write: bool = False) -> list[ReceptionCenter]:
    """The centres of centers_for (or, not for_write, readable_centers_for) as a list in the
    same order, from the reference data the process holds: no query once it is held."""
    found = reference_in_bulk(ReceptionCenter, user_center_ids(user, for_write=for_write))
    return sorted(found.values(), key=lambda c: (c.country.sort_order, c.name))


def readable_centers_for(user: User) -> QuerySet[ReceptionCenter]:
    """The centres whose records the user may read (their own, or their programme's)."""
    return ReceptionCenter.objects.filter(pk__in=user_center_ids(user)).select_related("country")


def persons_for(user: User) -> QuerySet[Person]:
    """Persons known at any of the user's centres."""
    return persons_in(tuple(user_center_ids(user)))


def persons_in(center_ids: tuple[int, ...]) -> QuerySet[Person]:
    """Persons known at any of these centres (persons_for with the centres as values)."""
    if not center_ids:
        return Person.objects.none()
    return Person.objects.filter(
        Exists(PersonCenter.objects.filter(person=OuterRef("pk"), center_id__in=center_ids))
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


def may_correct_person(user: User, person: Person) -> bool:
    """Staff who work at one of the person's centres may correct their details (a programme
    manager only reads them), as they may register arrivals there."""
    ids = user_center_ids(user, for_write=True)
    return bool(ids) and PersonCenter.objects.filter(person=person, center_id__in=ids).exists()


def may_merge_person(user: User, person: Person) -> bool:
    """Supervisors (registry.merge_person) of one of the person's centres merge and unmerge
    their records: both records of a merge must pass."""
    return user.has_perm("registry.merge_person") and may_correct_person(user, person)


# --- who may change which user account ------------------------------------------------------

# A user manager (auth.change_user) hands out the working roles and centre access without
# holding them: administrators assign casework roles but, by design, read no case record.
# Anything else they hand out, or take over, only if they hold it themselves.
DELEGATED_ROLES = (CASEWORKER, SUPERVISOR, PROGRAMME_MANAGER, DONOR_REVIEWER)
MANAGE_USERS = "auth.change_user"
ASSIGN_CENTRES = "registry.add_receptioncenteruserobjectpermission"


def _permissions_named(names: Iterable[str]) -> QuerySet[Permission]:
    by_app: dict[str, set[str]] = {}
    for name in names:
        app_label, codename = name.split(".", 1)
        by_app.setdefault(app_label, set()).add(codename)
    query = Q(pk__in=[])
    for app_label, codenames in by_app.items():
        query |= Q(content_type__app_label=app_label, codename__in=codenames)
    return Permission.objects.filter(query)


def permissions_grantable_by(actor: User) -> QuerySet[Permission]:
    """The permissions `actor` may hand out: their own and, for a user manager, the working roles'."""
    if actor.is_superuser:
        return Permission.objects.all()
    names = set(actor.get_all_permissions())
    if actor.has_perm(MANAGE_USERS):
        names.update(name for role in DELEGATED_ROLES for name in ROLE_PERMISSIONS[role])
    return _permissions_named(names)


def _centre_access_beyond(actor: User, rows: QuerySet[Any]) -> QuerySet[Any]:
    """Centre permission rows (user or group) the actor may neither assign nor holds."""
    if actor.has_perm(ASSIGN_CENTRES):
        return rows.none()
    held = _center_permissions(actor)
    return rows.exclude(
        permission__codename=WORK_AT_CENTER, content_object_id__in=held[WORK_AT_CENTER]
    ).exclude(
        permission__codename=VIEW_CENTER_RECORDS,
        content_object_id__in=held[VIEW_CENTER_RECORDS],
    )


def groups_grantable_by(actor: User) -> QuerySet[Group]:
    """Groups whose permissions and centre access `actor` may hand out."""
    if actor.is_superuser:
        return Group.objects.all()
    foreign = Permission.objects.exclude(pk__in=permissions_grantable_by(actor).values("pk"))
    return Group.objects.exclude(
        Exists(
            Group.permissions.through.objects.filter(group=OuterRef("pk"), permission__in=foreign)
        )
    ).exclude(
        Exists(
            _centre_access_beyond(
                actor, ReceptionCenterGroupObjectPermission.objects.filter(group=OuterRef("pk"))
            )
        )
    )


def users_manageable_by(actor: User) -> QuerySet[Actor]:
    """Accounts `actor` may change: none holding more rights than `actor` holds or may grant.

    A superuser is changed by superusers only. Any other account is out of reach once it holds
    a permission, a group or a centre assignment the actor could not give it: changing its
    password would let the actor sign in with rights they do not have.
    """
    users = get_user_model().objects.all()
    if actor.is_superuser:
        return users
    foreign = Permission.objects.exclude(pk__in=permissions_grantable_by(actor).values("pk"))
    memberships = get_user_model().groups.through.objects.filter(user=OuterRef("pk"))
    return (
        users.filter(is_superuser=False)
        .exclude(
            Exists(
                get_user_model().user_permissions.through.objects.filter(
                    user=OuterRef("pk"), permission__in=foreign
                )
            )
        )
        .exclude(Exists(memberships.exclude(group__in=groups_grantable_by(actor))))
        .exclude(
            Exists(
                _centre_access_beyond(
                    actor,
                    ReceptionCenterUserObjectPermission.objects.filter(user=OuterRef("pk")),
                )
            )
        )
    )


def user_may_manage(actor: User, target: Actor) -> bool:
    """May `actor` change `target`'s account (details, password, roles, centres, status)?"""
    return users_manageable_by(actor).filter(pk=target.pk).exists()
