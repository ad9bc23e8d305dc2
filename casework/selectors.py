"""Reads of persons and reference data, already scoped to the user."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from .audit import person_viewed
from .models import Consent, Department, Municipality, Person
from .names import document_normalise, name_keys
from .permissions import User, persons_for


def person_list(*, user: User) -> QuerySet[Person]:
    return persons_for(user).select_related(
        "nationality", "document_type", "origin_department", "origin_municipality"
    )


def person_get(*, user: User, person_id) -> Person:
    """The person if the user may see them; Http404 otherwise (missing and not-yours alike).

    Every door that shows a person's record reads it here, so the access entry is written here.
    """
    try:
        person = (
            person_list(user=user)
            .prefetch_related(
                Prefetch("consents", queryset=Consent.objects.select_related("recorded_by"))
            )
            .get(pk=person_id)
        )
    except (Person.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # A malformed id is answered like a missing one.
        raise Http404 from exc
    person_viewed(person, actor=user)
    return person


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


def person_search_condition(text: str, *, prefix: str = "") -> Q | None:
    """Match a person by name (Spanish-aware keys, every word) or by document number.

    `prefix` reaches the person from another model, e.g. "person__" from an arrival. None means
    the text has nothing searchable in it.
    """
    text = (text or "").strip()
    condition = Q()
    doc_key = document_normalise(text)
    if len(doc_key) >= 4 and any(ch.isdigit() for ch in doc_key):
        condition |= Q(**{f"{prefix}document_key__contains": doc_key})
    keys = name_keys(text)
    if keys:
        name_condition = Q()
        for key in keys:
            name_condition &= Q(**{f"{prefix}given_name_keys__contains": key}) | Q(
                **{f"{prefix}surname_keys__contains": key}
            )
        condition |= name_condition
    return condition or None


def person_audit_entries(person: Person, *, limit: int = 200):
    """Audit entries (views and changes) of a person's record and consents, newest first."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    consent_ids = [str(pk) for pk in person.consents.values_list("pk", flat=True)]
    return (
        LogEntry.objects.filter(
            Q(content_type=ContentType.objects.get_for_model(Person), object_pk=str(person.pk))
            | Q(content_type=ContentType.objects.get_for_model(Consent), object_pk__in=consent_ids)
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:limit]
    )
