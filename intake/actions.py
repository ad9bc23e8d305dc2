"""Registering arrivals: the one write path for the tablet flow, the API and bulk tools."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from casework.actions import consents_record, fingerprint, person_build, person_link_center
from casework.models import MigrationReason, Person, ReceptionCenter
from casework.permissions import can_work_at

from .matching import matchable_person
from .models import Arrival

__all__ = ["IdempotencyConflict", "Registration", "arrival_register", "fingerprint"]

ARRIVAL_FIELDS = (
    "arrived_at",
    "mode",
    "returned_from",
    "transport_reference",
    "travel_group",
    "family_group",
    "intends_to_migrate_again",
    "needs",
    "protection_concerns",
)


class IdempotencyConflict(Exception):
    """The client UUID was already used for a different submission."""

    def __init__(self, existing: Arrival) -> None:
        super().__init__(str(existing.client_uuid))
        self.existing = existing


@dataclass(frozen=True)
class Registration:
    arrival: Arrival
    created: bool


def _replay(client_uuid: uuid.UUID, request_fingerprint: str) -> Registration | None:
    existing = Arrival.objects.filter(client_uuid=client_uuid).first()
    if existing is None:
        return None
    if request_fingerprint and existing.request_fingerprint != request_fingerprint:
        raise IdempotencyConflict(existing)
    return Registration(arrival=existing, created=False)


def arrival_register(
    *,
    actor: AbstractBaseUser,
    center: ReceptionCenter,
    client_uuid: uuid.UUID,
    arrival_data: dict[str, Any],
    reasons: list[MigrationReason] | None = None,
    person: Person | None = None,
    person_id: Any = None,
    new_person_data: dict[str, Any] | None = None,
    new_person_id: uuid.UUID | None = None,
    consents: dict[str, bool] | None = None,
    request_fingerprint: str = "",
) -> Registration:
    """Record an arrival, for a person recognised from before or a new one.

    Idempotent on `client_uuid`: a replay returns the first arrival (created=False); the same
    UUID with a different fingerprint raises IdempotencyConflict.
    """
    replay = _replay(client_uuid, request_fingerprint)
    if replay:
        return replay
    if not can_work_at(actor, center):
        raise ValidationError({"center": _("You cannot register arrivals at this centre.")})
    try:
        with transaction.atomic():
            return _arrival_register(
                actor=actor,
                center=center,
                client_uuid=client_uuid,
                arrival_data=arrival_data,
                reasons=reasons or [],
                person=person,
                person_id=person_id,
                new_person_data=new_person_data,
                new_person_id=new_person_id,
                consents=consents or {},
                request_fingerprint=request_fingerprint,
            )
    except IntegrityError as exc:
        # A concurrent retry won the race on the unique client UUID ...
        replay = _replay(client_uuid, request_fingerprint)
        if replay:
            return replay
        # ... or another submission took the new person's identifier first.
        raise ValidationError(
            {"person": _("A person with this identifier already exists.")}
        ) from exc


def _arrival_register(
    *,
    actor: AbstractBaseUser,
    center: ReceptionCenter,
    client_uuid: uuid.UUID,
    arrival_data: dict[str, Any],
    reasons: list[MigrationReason],
    person: Person | None,
    person_id: Any,
    new_person_data: dict[str, Any] | None,
    new_person_id: uuid.UUID | None,
    consents: dict[str, bool],
    request_fingerprint: str,
) -> Registration:
    unknown = set(arrival_data) - set(ARRIVAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown arrival fields: {sorted(unknown)}")
    errors: dict[str, list] = {}
    if person is None and person_id is not None:
        person = matchable_person(user=actor, person_id=person_id)
        if person is None:
            errors["person"] = [
                _("This person was not found. Search again or register a new person.")
            ]
    if person is None and new_person_data is None and not errors:
        errors["person"] = [_("Choose a person who returned before or register a new person.")]

    new_person = None
    if person is None and new_person_data is not None:
        try:
            new_person = person_build(data=new_person_data, person_id=new_person_id)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if new_person_id and Person.objects.filter(pk=new_person_id).exists():
            errors.setdefault("person", []).append(
                _("A person with this identifier already exists.")
            )

    arrival = Arrival(
        client_uuid=client_uuid,
        center=center,
        registered_by=actor,
        request_fingerprint=request_fingerprint,
        **arrival_data,
    )
    try:
        arrival.full_clean(exclude=["person", "client_uuid"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    if new_person is not None:
        new_person.created_by = actor
        new_person.save(force_insert=True)
        person = new_person
    assert person is not None
    arrival.person = person
    arrival.save(force_insert=True)
    if reasons:
        arrival.reasons.set(reasons)
    person_link_center(person=person, center=center)
    if consents:
        consents_record(actor=actor, person=person, consents=consents)
    return Registration(arrival=arrival, created=True)
