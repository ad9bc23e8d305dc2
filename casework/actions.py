"""Writes to persons and consents. Views, API, commands and tasks all call these."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Consent, Person, PersonCenter, ReceptionCenter

PERSON_FIELDS = (
    "given_names",
    "first_surname",
    "second_surname",
    "sex",
    "gender_identity",
    "birth_date",
    "birth_date_estimated",
    "nationality",
    "document_type",
    "document_number",
    "origin_department",
    "origin_municipality",
    "indigenous_people",
    "language",
    "phone",
)


def birth_date_from_age(*, age_years: int, today: date) -> date:
    """An estimated date of birth for someone who only knows their age: mid-year, that many years ago."""
    if age_years < 0 or age_years > 110:
        raise ValidationError({"age_years": _("Enter an age between 0 and 110 years.")})
    candidate = date(today.year - age_years, 7, 1)
    # Someone who is N today was born between today-(N+1) years and today-N years.
    latest = date(
        today.year - age_years, today.month, min(today.day, 28 if today.month == 2 else today.day)
    )
    if candidate > latest:
        candidate = date(today.year - age_years - 1, 7, 1)
    return candidate


def person_build(*, data: dict[str, Any], person_id=None) -> Person:
    """An unsaved, validated Person from form or API data."""
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown person fields: {sorted(unknown)}")
    person = Person(**data) if person_id is None else Person(id=person_id, **data)
    for field in ("given_names", "first_surname", "second_surname", "document_number"):
        setattr(person, field, " ".join((getattr(person, field) or "").split()))
    person.full_clean(exclude=["created_by"])
    return person


def person_link_center(*, person: Person, center: ReceptionCenter) -> None:
    """Make the person visible at the centre (idempotent)."""
    PersonCenter.objects.get_or_create(person=person, center=center)


def consents_record(
    *, actor: AbstractBaseUser, person: Person, consents: dict[str, bool]
) -> list[Consent]:
    """Append consent rows; a kind whose value is unchanged is not recorded again."""
    valid = set(Consent.Kind.values)
    unknown = set(consents) - valid
    if unknown:
        raise ValidationError({"consents": _("Unknown consent.")})
    current = _consents_current(person)
    now = timezone.now()
    rows = [
        Consent(person=person, kind=kind, granted=granted, recorded_at=now, recorded_by=actor)
        for kind, granted in consents.items()
        if current.get(kind) is not granted
    ]
    for row in rows:
        row.save()  # one by one so that auditlog records each
    return rows


def _consents_current(person: Person) -> dict[str, bool]:
    current: dict[str, bool] = {}
    for kind, granted in (
        Consent.objects.filter(person=person)
        .order_by("kind", "-recorded_at")
        .values_list("kind", "granted")
    ):
        current.setdefault(kind, granted)
    return current


@transaction.atomic
def person_update(
    *, actor: AbstractBaseUser, person: Person, data: dict[str, Any], expected_version: int
) -> Person:
    """Change a person's details; refused when someone else saved since `expected_version`."""
    if person.version != expected_version:
        raise ValidationError(
            _(
                "Someone else changed this record while you were editing it. Review their changes and try again."
            )
        )
    for field, value in data.items():
        if field not in PERSON_FIELDS:
            raise ValueError(f"unknown person field: {field}")
        setattr(person, field, value)
    person.full_clean(exclude=["created_by"])
    updated = Person.objects.filter(pk=person.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not updated:
        raise ValidationError(
            _(
                "Someone else changed this record while you were editing it. Review their changes and try again."
            )
        )
    person.version = expected_version + 1
    person.save(update_fields=[*data.keys(), "version"])
    return person
