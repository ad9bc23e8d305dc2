"""Writes to persons and consents. Views, API, commands and tasks all call these."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import merging
from .cleaning import full_clean_loaded
from .errors import Conflict, Forbidden, Invalid, NotFound, VersionConflict
from .models import (
    Consent,
    Correction,
    Person,
    PersonCenter,
    PersonMerge,
    ReceptionCenter,
)
from .permissions import (
    Actor,
    can_work_at,
    may_correct_person,
    may_merge_person,
    persons_for,
)
from .selectors import person_found, person_id_resolved
from .signals import persons_changed
from .types import StrOrPromise

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
    full_clean_loaded(person, exclude=["created_by"])
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


def reason_required(reason: str, message: StrOrPromise = REASON_REQUIRED) -> str:
    """The reason of a correction, a void or a merge, whitespace collapsed; Invalid (with
    `message`) when empty."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(message, "reason")
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
    full_clean_loaded(person, exclude=["created_by"])
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
    # A record merged since stands for its survivor: the replay answers with the survivor.
    answered = person_found(persons_for(actor), person_id) if existing.merged_into_id else existing
    # A person outside the user's scope answers like a conflict: nothing about them is shown.
    if answered is None or (
        answered is existing
        and not persons_for(actor).filter(pk=person_id, center_links__center=center).exists()
    ):
        raise PersonIdConflict(str(person_id))
    submitted = person_build_values(data)
    for field in PERSON_FIELDS:
        stored = getattr(existing, f"{field}_id" if _is_relation(field) else field)
        if submitted[field] != stored:
            raise PersonIdConflict(str(person_id))
    if consents and answered is existing:  # a merged record's consents moved with it
        in_force: dict[str, bool] = {}
        for kind, granted in (
            Consent.objects.filter(person=existing)
            .order_by("kind", "-recorded_at")
            .values_list("kind", "granted")
        ):
            in_force.setdefault(kind, granted)
        if any(in_force.get(kind) is not granted for kind, granted in consents.items()):
            raise PersonIdConflict(str(person_id))
    return PersonRegistration(person=answered, created=False)


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
    """Whether the person's latest answer of this kind is a yes (no answer is a no)."""
    return consents_granted(person, [kind])[kind]


def consents_granted(person: Person, kinds: list[str]) -> dict[str, bool]:
    """Per kind, whether the latest answer (by time, then id) is a yes; one query."""
    answers = dict.fromkeys(kinds, False)
    rows = (
        Consent.objects.filter(person=person, kind__in=kinds)
        .order_by("recorded_at", "pk")
        .values_list("kind", "granted")
    )
    answers.update(rows)  # later answers overwrite earlier ones
    return answers


# --- merging two records of one person ------------------------------------------------------

# What a merge chooses between the two records, a group of fields at a time: the fields of a
# group only make sense together (a municipality belongs to its department).
MERGE_CHOICES: dict[str, tuple[str, ...]] = {
    "given_names": ("given_names",),
    "first_surname": ("first_surname",),
    "second_surname": ("second_surname",),
    "sex": ("sex",),
    "gender_identity": ("gender_identity",),
    "birth_date": ("birth_date", "birth_date_estimated"),
    "nationality": ("nationality",),
    "document": ("document_type", "document_number"),
    "origin": ("origin_department", "origin_municipality"),
    "indigenous_people": ("indigenous_people",),
    "language": ("language",),
    "phone": ("phone",),
}

MERGE_REASON_REQUIRED = gettext_lazy("Say why the records are merged.")
UNMERGE_REASON_REQUIRED = gettext_lazy("Say why the merge is undone.")
MERGE_SAME_RECORD = gettext_lazy(
    "Choose two different records: a record cannot be merged with itself."
)
MERGE_ALREADY = gettext_lazy("These records were already merged.")
MAY_NOT_MERGE = gettext_lazy(
    "Only a supervisor of the reception centres of both records may merge them."
)
MERGE_CHANGED = gettext_lazy(
    "One of the records was changed while you were comparing them. Compare them again."
)
MERGE_UNKNOWN_CHOICE = gettext_lazy("Choose the values to keep among the details shown.")
UNMERGE_ALREADY = gettext_lazy("This merge was already undone.")
UNMERGE_LATER_FIRST = gettext_lazy(
    "The kept record was itself merged into another one since: undo that merge first."
)
MAY_NOT_UNMERGE = gettext_lazy(
    "Only a supervisor of the reception centres of the kept record may undo a merge."
)


def _json_value(person: Person, field: str) -> Any:
    """A field's stored value as JSON (the attname: related rows by id, dates in ISO 8601)."""
    value = _compared_value(person, field)
    return value.isoformat() if isinstance(value, date) else value


def _json_restore(person: Person, field: str, value: Any) -> None:
    model_field = person._meta.get_field(field)
    assert isinstance(model_field, Field)
    setattr(person, model_field.attname, model_field.to_python(value))


def _center_links_move(*, merged: Person, survivor: Person) -> dict[str, list[Any]]:
    """The merged record's centre links go to the survivor; a centre both are known at keeps
    the survivor's link, and the other is kept in the merge record to be made again."""
    kept = set(PersonCenter.objects.filter(person=survivor).values_list("center_id", flat=True))
    moved: list[int] = []
    dropped: list[list[Any]] = []
    for link in PersonCenter.objects.filter(person=merged).order_by("pk"):
        if link.center_id in kept:
            dropped.append([link.center_id, link.first_seen_at.isoformat()])
        else:
            moved.append(link.pk)
    PersonCenter.objects.filter(person=merged, center_id__in=[c for c, _at in dropped]).delete()
    PersonCenter.objects.filter(pk__in=moved).update(person=survivor)
    result: dict[str, list[Any]] = {}
    if moved:
        result[CENTER_LINKS_MOVED] = moved
    if dropped:
        result[CENTER_LINKS_DROPPED] = dropped
    return result


CENTER_LINKS_MOVED = "registry.personcenter"
CENTER_LINKS_DROPPED = "registry.personcenter:dropped"


@transaction.atomic
def person_merge(
    *,
    actor: Actor,
    survivor_id: uuid.UUID | str,
    merged_id: uuid.UUID | str,
    take: Iterable[str] = (),
    reason: str,
    expected_versions: tuple[int, int],
) -> PersonMerge:
    """Make two records of one person one: the survivor keeps its id and, for each choice in
    `take` (MERGE_CHOICES), the merged record's value; every arrival, case (with its notes,
    referrals and follow-ups), delivery, consent, correction and centre link of the merged
    record moves to the survivor. The merged record stays, empty, pointing at the survivor (its
    id resolves there) and the PersonMerge row keeps what person_unmerge needs.

    NotFound when either is outside the actor's persons; Invalid for the same record twice, a
    record already merged, an empty reason, an unknown choice, or a rule another app registered
    (two open cases at one centre); Forbidden for one who is not a supervisor of both;
    VersionConflict when either changed since `expected_versions` (survivor, merged).
    """
    if str(survivor_id) == str(merged_id):
        raise Invalid(MERGE_SAME_RECORD)
    found = {
        str(person.pk): person
        for person in persons_for(actor)
        .select_for_update()
        .filter(pk__in=[survivor_id, merged_id])
        .order_by("pk")
    }
    survivor, merged = found.get(str(survivor_id)), found.get(str(merged_id))
    if survivor is not None and merged is None and _merged_into(merged_id) == survivor.pk:
        raise Invalid(MERGE_ALREADY)
    if survivor is None or merged is None:
        raise NotFound()
    if not (may_merge_person(actor, survivor) and may_merge_person(actor, merged)):
        raise Forbidden(MAY_NOT_MERGE)
    reason = reason_required(reason, MERGE_REASON_REQUIRED)
    if (survivor.version, merged.version) != tuple(expected_versions):
        raise VersionConflict(survivor.version, MERGE_CHANGED)
    take = list(dict.fromkeys(take))
    if any(choice not in MERGE_CHOICES for choice in take):
        raise Invalid(MERGE_UNKNOWN_CHOICE, "take")
    refusals = merging.merge_refusals(survivor.pk, merged.pk)
    if refusals:
        raise Invalid(" ".join(str(message) for message in refusals))

    fields = [field for choice in take for field in MERGE_CHOICES[choice]]
    before = {field: _json_value(survivor, field) for field in fields}
    for field in fields:
        _json_restore(survivor, field, _json_value(merged, field))
    full_clean_loaded(survivor, exclude=["created_by", "merged_into"])
    survivor.version += 1
    survivor.save(update_fields=[*fields, "version"])

    moved = _center_links_move(merged=merged, survivor=survivor)
    moved.update(merging.rows_move(from_id=merged.pk, to_id=survivor.pk))
    merged.merged_into = survivor
    merged.version += 1
    merged.save(update_fields=["merged_into", "version"])
    merge = PersonMerge.objects.create(
        survivor=survivor,
        merged=merged,
        reason=reason,
        merged_by=actor,
        survivor_before=before,
        survivor_after={field: _json_value(survivor, field) for field in fields},
        moved=moved,
    )
    persons_changed.send(sender=PersonMerge, person_ids=[survivor.pk, merged.pk])
    return merge


def _merged_into(person_id: uuid.UUID | str) -> uuid.UUID | None:
    try:
        return Person.objects.filter(pk=person_id).values_list("merged_into", flat=True).first()
    except (ValidationError, ValueError, TypeError):
        return None


@transaction.atomic
def person_unmerge(*, actor: Actor, merge_id: int | str, reason: str) -> PersonMerge:
    """Undo a merge: the rows it moved go back to the merged record, which is known again at
    its centres; the survivor's values it took from the merged record are restored, except a
    value corrected since (the correction stands).

    NotFound when the survivor is outside the actor's persons; Forbidden for one who is not a
    supervisor of it; Invalid for an empty reason, a merge already undone, or a survivor merged
    into a third record since (undo that first).
    """
    if not str(merge_id).isdigit():
        raise NotFound()
    merge = PersonMerge.objects.select_for_update().filter(pk=int(merge_id)).first()
    survivor = (
        persons_for(actor).select_for_update().filter(pk=merge.survivor_id).first()
        if merge is not None
        else None
    )
    if merge is None or (survivor is None and _merged_into(merge.survivor_id) is None):
        raise NotFound()
    if survivor is None:
        if not _chain_visible(actor, merge.survivor_id):
            raise NotFound()
        raise Invalid(UNMERGE_LATER_FIRST)
    if not may_merge_person(actor, survivor):
        raise Forbidden(MAY_NOT_UNMERGE)
    reason = reason_required(reason, UNMERGE_REASON_REQUIRED)
    if merge.unmerged_at is not None:
        raise Invalid(UNMERGE_ALREADY)
    merged = Person.objects.select_for_update().get(pk=merge.merged_id)

    changed = []
    for field, before in merge.survivor_before.items():
        if _json_value(survivor, field) == merge.survivor_after.get(field):
            _json_restore(survivor, field, before)
            changed.append(field)
    survivor.version += 1
    survivor.save(update_fields=[*changed, "version"])

    moved = dict(merge.moved)
    links = moved.pop(CENTER_LINKS_MOVED, [])
    dropped = moved.pop(CENTER_LINKS_DROPPED, [])
    merging.rows_move_back(moved=moved, to_id=merged.pk)
    PersonCenter.objects.filter(pk__in=links).update(person=merged)
    # A centre link that came with the merge goes back; the kept record stays known there
    # if it has been registered or served there since (its new rows stayed with it).
    back = list(PersonCenter.objects.filter(pk__in=links).values_list("center_id", flat=True))
    PersonCenter.objects.bulk_create(
        [
            PersonCenter(person=survivor, center_id=center_id)
            for center_id in merging.centers_with_rows(survivor.pk, back)
        ],
        ignore_conflicts=True,
    )
    PersonCenter.objects.bulk_create(
        [
            PersonCenter(person=merged, center_id=center_id, first_seen_at=first_seen_at)
            for center_id, first_seen_at in dropped
        ],
        ignore_conflicts=True,
    )
    merged.merged_into = None
    merged.version += 1
    merged.save(update_fields=["merged_into", "version"])
    merge.unmerged_at = timezone.now()
    merge.unmerged_by = actor
    merge.unmerge_reason = reason
    merge.save(update_fields=["unmerged_at", "unmerged_by", "unmerge_reason"])
    persons_changed.send(sender=PersonMerge, person_ids=[survivor.pk, merged.pk])
    return merge


def _chain_visible(actor: Actor, person_id: object) -> bool:
    """Whether the record a merged record resolves to is one the actor may see."""
    final = person_id_resolved(person_id)
    return final is not None and persons_for(actor).filter(pk=final).exists()
