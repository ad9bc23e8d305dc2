"""Who may see what: the one scoping function per model that every view, API, export and task uses.

The centres a user works in are guardian object permissions on ReceptionCenter. They are
resolved once (a few rows) and then used as a plain `center_id IN (...)` filter.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet

from .models import (
    Person,
    PersonCenter,
    ReceptionCenter,
    ReceptionCenterGroupObjectPermission,
    ReceptionCenterUserObjectPermission,
)

WORK_AT_CENTER = "work_at_center"
_CACHE_ATTR = "_retorno_center_ids"

User = AbstractBaseUser | AnonymousUser


def user_center_ids(user: User) -> frozenset[int]:
    """Ids of the active centres the user works in; cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    direct = ReceptionCenterUserObjectPermission.objects.filter(
        user=user, permission__codename=WORK_AT_CENTER
    ).values_list("content_object_id", flat=True)
    via_groups = ReceptionCenterGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=WORK_AT_CENTER
    ).values_list("content_object_id", flat=True)
    ids = frozenset(
        ReceptionCenter.objects.filter(active=True)
        .filter(Exists(direct.filter(content_object_id=OuterRef("pk"))) | Exists(
            via_groups.filter(content_object_id=OuterRef("pk"))
        ))
        .values_list("pk", flat=True)
    )
    setattr(user, _CACHE_ATTR, ids)
    return ids


def forget_center_ids(user: User) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def centers_for(user: User) -> QuerySet[ReceptionCenter]:
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
    ids = user_center_ids(user)
    if not ids:
        return Person.objects.none()
    country_ids = ReceptionCenter.objects.filter(pk__in=ids).values("country_id")
    return Person.objects.filter(
        Exists(
            PersonCenter.objects.filter(
                person=OuterRef("pk"), center__country_id__in=country_ids
            )
        )
    )


def can_work_at(user: User, center: ReceptionCenter | int) -> bool:
    center_id = center if isinstance(center, int) else center.pk
    return center_id in user_center_ids(user)
