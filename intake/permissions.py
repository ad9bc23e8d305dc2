"""Scoping of arrivals and of possible duplicates: the one function per model that every view,
API, export and task uses."""

from __future__ import annotations

from django.db.models import QuerySet

from registry.permissions import User, persons_for, user_center_ids

from .models import Arrival, DuplicatePair


def arrivals_for(user: User, *, voided_too: bool = False) -> QuerySet[Arrival]:
    """Arrivals registered at one of the user's centres (`voided_too`: voided ones as well,
    for the void action itself)."""
    return arrivals_in(tuple(user_center_ids(user)), voided_too=voided_too)


def arrivals_in(center_ids: tuple[int, ...], *, voided_too: bool = False) -> QuerySet[Arrival]:
    """arrivals_for with the centres given as values (prepared reads take them so)."""
    manager = Arrival.all_objects if voided_too else Arrival.objects
    if not center_ids:
        return manager.none()
    return manager.filter(center_id__in=center_ids)


def duplicate_pairs_for(user: User) -> QuerySet[DuplicatePair]:
    """Possible duplicates whose two records the user may read (both known at their centres;
    a record merged since is known nowhere, so its pairs drop out)."""
    persons = persons_for(user)
    return DuplicatePair.objects.filter(
        first__in=persons.values("pk"), second__in=persons.values("pk")
    )
