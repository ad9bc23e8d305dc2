"""Reads of persons and reference data, already scoped to the user."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import Consent, Department, Municipality, Person
from .permissions import User, persons_for


def person_list(*, user: User) -> QuerySet[Person]:
    return persons_for(user).select_related(
        "nationality", "document_type", "origin_department", "origin_municipality"
    )


def person_get(*, user: User, person_id) -> Person:
    """The person if the user may see them; Http404 otherwise (missing and not-yours alike)."""
    try:
        return (
            person_list(user=user)
            .prefetch_related(
                Prefetch("consents", queryset=Consent.objects.select_related("recorded_by"))
            )
            .get(pk=person_id)
        )
    except (Person.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # A malformed id is answered like a missing one.
        raise Http404 from exc


def consents_in_force(person: Person) -> dict[str, Consent]:
    """The latest consent row per kind (from a prefetched `consents`)."""
    latest: dict[str, Consent] = {}
    for consent in person.consents.all():
        current = latest.get(consent.kind)
        if current is None or consent.recorded_at > current.recorded_at:
            latest[consent.kind] = consent
    return latest


def departments_for_country(country_id: int) -> QuerySet[Department]:
    return Department.objects.filter(country_id=country_id).order_by("name")


def municipalities_for_department(department_id: int) -> QuerySet[Municipality]:
    return Municipality.objects.filter(department_id=department_id).order_by("name")
