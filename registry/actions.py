"""Writes to persons and consents. Views, API, commands and tasks all call these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import Conflict, Forbidden, Invalid, NotFound, VersionConflict
from .models import (
    Consent,
    Correction,
    Person,
    PersonCenter,
    ReceptionCenter,
)
from .permissions import Actor, can_work_at, may_correct_person, persons_for

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


def person_build(*, data: dict[str, Any], person_id: uuid.UUID | str | None = None) -> Person:
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


def consents_record(*, actor: Actor, person: Person, consents: dict[str, bool]) -> list[Consent]:
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


PERSON_CHANGED = gettext_lazy(
    "Someone else corrected this person's details while you were editing them. Their changes "
    "are shown; check yours and save again."
)
REASON_REQUIRED = gettext_lazy("Say why the record is corrected.")
NOTHING_CHANGED = gettext_lazy("Nothing was changed: correct at least one detail.")
MAY_NOT_CORRECT = gettext_lazy(
    "Only staff of one of the person's reception centres may correct their details."
)


def _stored_value(row: Any, field: str) -> Any:
    """A field's value as a correction records it (JSON): related rows by name, dates in ISO."""
    value = getattr(row, field)
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _compared_value(row: Any, field: str) -> Any:
    model_field = row._meta.get_field(field)
    return getattr(row, model_field.attname)


def reason_required(reason: str) -> str:
    """The reason of a correction or a void, whitespace collapsed; Invalid when empty."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(REASON_REQUIRED, "reason")
    return reason


def correction_record(
    *,
    actor: Actor,
    person: Person,
    kind: str,
    object_id: object,
    reason: str,
    changes: list[dict[str, Any]],
) -> Correction:
    return Correction.objects.create(
        person=person,
        kind=kind,
        object_id=str(object_id),
        reason=reason,
        changes=changes,
        corrected_by=actor,
    )


@transaction.atomic
def person_correct(
    *,
    actor: Actor,
    person_id: uuid.UUID | str,
    data: dict[str, Any],
    reason: str,
    expected_version: int,
) -> Person:
    """Correct a person's identifying and contact details, with the reason; the values before
    and after are kept (Correction) and the access log notes which fields changed.

    NotFound outside the actor's persons, Forbidden for one who only reads them, Invalid for a
    missing reason, no change or wrong values, VersionConflict when someone else saved since
    `expected_version`.
    """
    person = persons_for(actor).select_for_update().filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    if not may_correct_person(actor, person):
        raise Forbidden(MAY_NOT_CORRECT)
    reason = reason_required(reason)
    if person.version != expected_version:
        raise VersionConflict(person.version, PERSON_CHANGED)
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown person fields: {sorted(unknown)}")
    before = {field: _stored_value(person, field) for field in data}
    compared = {field: _compared_value(person, field) for field in data}
    for field, value in data.items():
        setattr(person, field, value)
    for field in ("given_names", "first_surname", "second_surname", "document_number"):
        if field in data:
            setattr(person, field, " ".join((getattr(person, field) or "").split()))
    changed = [field for field in data if _compared_value(person, field) != compared[field]]
    if not changed:
        raise Invalid(NOTHING_CHANGED)
    person.full_clean(exclude=["created_by"])
    person.version = expected_version + 1
    person.save(update_fields=[*changed, "version"])
    correction_record(
        actor=actor,
        person=person,
        kind=Correction.Kind.PERSON_DETAILS,
        object_id=person.pk,
        reason=reason,
        changes=[
            {"field": field, "before": before[field], "after": _stored_value(person, field)}
            for field in changed
        ],
    )
    return person


CONSENTS_UNCHANGED = gettext_lazy("These are already the answers in force: nothing was recorded.")
MAY_NOT_RECORD_CONSENTS = gettext_lazy(
    "Only staff of one of the person's reception centres may record their consents."
)


@transaction.atomic
def consents_change(
    *, actor: Actor, person_id: uuid.UUID | str, consents: dict[str, bool]
) -> list[Consent]:
    """Record consents given, changed or withdrawn after intake: a row per answer that differs
    from the one in force (with who and when); what each consent gates follows the newest.

    NotFound outside the actor's persons, Forbidden for one who only reads them, Invalid when
    no answer changes.
    """
    person = persons_for(actor).select_for_update().filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    if not may_correct_person(actor, person):
        raise Forbidden(MAY_NOT_RECORD_CONSENTS)
    rows = consents_record(actor=actor, person=person, consents=consents)
    if not rows:
        raise Invalid(CONSENTS_UNCHANGED)
    return rows


class PersonIdConflict(Conflict):
    """The client-generated person id is already used by a different (or another centre's) person."""

    def __init__(self, person_id: str) -> None:
        super().__init__()
        self.person_id = person_id


@dataclass(frozen=True)
class PersonRegistration:
    person: Person
    created: bool


def _person_replay(
    *,
    actor: Actor,
    center: ReceptionCenter,
    person_id: uuid.UUID,
    data: dict[str, Any],
    consents: dict[str, bool],
) -> PersonRegistration | None:
    """The stored person if `person_id` is taken and the submission matches it; None if free."""
    existing = Person.objects.filter(pk=person_id).first()
    if existing is None:
        return None
    # A person outside the user's scope answers like a conflict: nothing about them is shown.
    if not persons_for(actor).filter(pk=person_id, center_links__center=center).exists():
        raise PersonIdConflict(str(person_id))
    submitted = person_build_values(data)
    for field in PERSON_FIELDS:
        stored = getattr(existing, f"{field}_id" if _is_relation(field) else field)
        if submitted[field] != stored:
            raise PersonIdConflict(str(person_id))
    if consents:
        in_force: dict[str, bool] = {}
        for kind, granted in (
            Consent.objects.filter(person=existing)
            .order_by("kind", "-recorded_at")
            .values_list("kind", "granted")
        ):
            in_force.setdefault(kind, granted)
        if any(in_force.get(kind) is not granted for kind, granted in consents.items()):
            raise PersonIdConflict(str(person_id))
    return PersonRegistration(person=existing, created=False)


def _is_relation(field: str) -> bool:
    return Person._meta.get_field(field).is_relation


def person_build_values(data: dict[str, Any]) -> dict[str, Any]:
    """The values person_build would store for `data` (defaults filled, whitespace collapsed)."""
    values: dict[str, Any] = {}
    for field in PERSON_FIELDS:
        model_field = Person._meta.get_field(field)
        assert isinstance(model_field, Field)  # PERSON_FIELDS are concrete fields
        value = data.get(field, model_field.get_default())
        if model_field.is_relation:
            value = getattr(value, "pk", value)
        elif field in ("given_names", "first_surname", "second_surname", "document_number"):
            value = " ".join((value or "").split())
        values[field] = value
    return values


def person_register(
    *,
    actor: Actor,
    center: ReceptionCenter,
    person_id: uuid.UUID,
    data: dict[str, Any],
    consents: dict[str, bool] | None = None,
) -> PersonRegistration:
    """Register a person at a centre under a client-generated id, idempotently.

    A replay (same id, same details, same centre) returns the stored person with created=False;
    the same id with different details, or a person the actor may not see, raises
    PersonIdConflict. Under a concurrent race the primary key decides.
    """
    consents = consents or {}
    replay = _person_replay(
        actor=actor, center=center, person_id=person_id, data=data, consents=consents
    )
    if replay:
        return replay
    if not can_work_at(actor, center):
        raise ValidationError({"center": _("You cannot register persons at this centre.")})
    try:
        with transaction.atomic():
            person = person_build(data=data, person_id=person_id)
            person.created_by = actor
            person.save(force_insert=True)
            person_link_center(person=person, center=center)
            if consents:
                consents_record(actor=actor, person=person, consents=consents)
    except (IntegrityError, ValidationError) as exc:
        # A concurrent request with the same id won the race (unique primary key).
        if isinstance(exc, ValidationError) and "id" not in getattr(exc, "error_dict", {}):
            raise
        replay = _person_replay(
            actor=actor, center=center, person_id=person_id, data=data, consents=consents
        )
        if replay:
            return replay
        raise
    return PersonRegistration(person=person, created=True)


def consent_in_force(person: Person, kind: str) -> bool:
    latest = (
        Consent.objects.filter(person=person, kind=kind)
        .order_by("-recorded_at", "-pk")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)
