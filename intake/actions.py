"""Registering arrivals: the one write path for the tablet flow, the API and bulk tools."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.actions import (
    consents_record,
    correction_record,
    person_build,
    person_link_center,
    reason_required,
)
from registry.audit import audited_together
from registry.cleaning import full_clean_loaded
from registry.errors import Forbidden, Invalid, NotFound
from registry.idempotency import replay
from registry.models import Correction, MigrationReason, Person, ReceptionCenter
from registry.names import document_normalise, name_keys
from registry.permissions import Actor, can_work_at, may_merge_person

from .matching import matchable_person
from .models import Arrival, DuplicatePair
from .permissions import arrivals_for, duplicate_pairs_for

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


@dataclass(frozen=True)
class Registration:
    arrival: Arrival
    created: bool


@transaction.atomic
@audited_together
def arrival_register(
    *,
    actor: Actor,
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
    confirm_repeat: bool = False,
) -> Registration:
    """Record an arrival, for a person recognised from before or a new one.

    An arrival of the same person at the same centre within REPEAT_WINDOW of another (or of a
    new person with the same document, or the same names and date of birth, as someone who
    arrived there then) is refused under `confirm_repeat` until the caller confirms it: it is
    far more often the same arrival entered twice than a second return the same day.

    Idempotent on `client_uuid`: a replay returns the first arrival (created=False); the same
    UUID with a different fingerprint (the API's hash of the body; the tablet flow, whose
    session holds the submission, sends none) raises IdempotencyConflict.
    """
    existing = replay(
        Arrival,
        client_uuid=client_uuid,
        request_fingerprint=request_fingerprint,
        visible=lambda row: arrivals_for(actor).filter(pk=row.pk).exists(),
    )
    if existing is not None:
        return Registration(arrival=existing, created=False)
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
                confirm_repeat=confirm_repeat,
            )
    except IntegrityError as exc:
        # Another submission took the new person's identifier first (the lock above keeps
        # submissions of the same client UUID apart).
        raise ValidationError(
            {"person": _("A person with this identifier already exists.")}
        ) from exc


def _arrival_register(
    *,
    actor: Actor,
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
    confirm_repeat: bool,
) -> Registration:
    unknown = set(arrival_data) - set(ARRIVAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown arrival fields: {sorted(unknown)}")
    # Every problem is collected first, so that the form shows them all at once.
    errors: dict[str, list[str]] = {}
    person = _returning_person(
        actor=actor,
        person=person,
        person_id=person_id,
        new_person_data=new_person_data,
        errors=errors,
    )
    new_person = None
    if person is None and new_person_data is not None:
        new_person = _new_person_build(
            new_person_data=new_person_data, new_person_id=new_person_id, errors=errors
        )

    arrival = Arrival(
        client_uuid=client_uuid,
        center=center,
        registered_by=actor,
        request_fingerprint=request_fingerprint,
        **arrival_data,
    )
    try:
        full_clean_loaded(arrival, exclude=["person", "client_uuid"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not errors and not confirm_repeat:
        repeated = _arrival_nearby(center=center, arrival=arrival, person=person or new_person)
        if repeated is not None:
            errors["confirm_repeat"] = [_repeat_message(repeated, center)]
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


# Two arrivals of one person at one centre this close together are checked with the caseworker.
REPEAT_WINDOW = timedelta(hours=24)


def _arrival_nearby(
    *, center: ReceptionCenter, arrival: Arrival, person: Person | None
) -> Arrival | None:
    """An arrival at the centre within REPEAT_WINDOW of this one, of the same person or, for a
    new person, of someone with the same document or the same names and date of birth."""
    if person is None or arrival.arrived_at is None:
        return None
    nearby = Arrival.objects.filter(
        center=center,
        arrived_at__range=(arrival.arrived_at - REPEAT_WINDOW, arrival.arrived_at + REPEAT_WINDOW),
    ).select_related("person")
    if person.pk and not person._state.adding:
        return nearby.filter(person=person).order_by("-arrived_at").first()
    person.given_name_keys = " ".join(name_keys(person.given_names))
    person.surname_keys = " ".join(name_keys(f"{person.first_surname} {person.second_surname}"))
    same = Q(
        person__given_name_keys=person.given_name_keys,
        person__surname_keys=person.surname_keys,
        person__birth_date=person.birth_date,
    )
    doc_key = document_normalise(person.document_number)
    if doc_key:
        same |= Q(person__document_key=doc_key)
    return nearby.filter(same).order_by("-arrived_at").first()


def _repeat_message(repeated: Arrival, center: ReceptionCenter) -> str:
    when = timezone.localtime(repeated.arrived_at, center.tzinfo)
    return _(
        "%(name)s already has an arrival at this centre at %(time)s on %(day)s. If this is "
        "the same arrival, do not register it again; if the person really returned again, "
        "confirm it."
    ) % {
        "name": repeated.person.full_name,
        "time": date_format(when, "TIME_FORMAT"),
        "day": date_format(when, "DATE_FORMAT"),
    }


def _returning_person(
    *,
    actor: Actor,
    person: Person | None,
    person_id: Any,
    new_person_data: dict[str, Any] | None,
    errors: dict[str, list[str]],
) -> Person | None:
    """Find the person who returned before (given or by id); note in `errors` why there is none."""
    if person is None and person_id is not None:
        person = matchable_person(user=actor, person_id=person_id)
        if person is None:
            errors["person"] = [
                _("This person was not found. Search again or register a new person.")
            ]
    if person is None and new_person_data is None and not errors:
        errors["person"] = [_("Choose a person who returned before or register a new person.")]
    return person


def _new_person_build(
    *,
    new_person_data: dict[str, Any],
    new_person_id: uuid.UUID | None,
    errors: dict[str, list[str]],
) -> Person | None:
    """Build the new person, unsaved; note in `errors` what is wrong with the data or the id."""
    new_person = None
    try:
        new_person = person_build(data=new_person_data, person_id=new_person_id)
    except ValidationError as exc:
        found = dict(exc.message_dict)
        # The model's uniqueness check of the id, said in the words of the intake.
        if found.pop("id", None):
            errors.setdefault("person", []).append(
                _("A person with this identifier already exists.")
            )
        errors.update(found)
    return new_person


MAY_NOT_VOID = gettext_lazy("Only staff of the arrival's reception centre may void it.")


@transaction.atomic
def arrival_void(*, actor: Actor, arrival_id: int | str, reason: str) -> Arrival:
    """Void an arrival registered by mistake: it leaves every list and count (the summary
    tables follow when the change commits) and stays in the history with the reason.

    NotFound outside the actor's arrivals, Forbidden for one who only reads them, Invalid for
    a missing reason or an arrival already voided.
    """
    arrival = arrivals_for(actor, voided_too=True).select_for_update().filter(pk=arrival_id).first()
    if arrival is None:
        raise NotFound()
    if not can_work_at(actor, arrival.center_id):
        raise Forbidden(MAY_NOT_VOID)
    reason = reason_required(reason)
    if arrival.voided_at is not None:
        raise Invalid(
            _("This arrival was already voided on %(day)s.")
            % {"day": date_format(timezone.localtime(arrival.voided_at), "DATE_FORMAT")}
        )
    arrival.voided_at = timezone.now()
    arrival.voided_by = actor
    arrival.void_reason = reason[:300]
    arrival.save(update_fields=["voided_at", "voided_by", "void_reason"])
    correction_record(
        actor=actor,
        person=arrival.person,
        kind=Correction.Kind.ARRIVAL_VOIDED,
        object_id=arrival.pk,
        reason=reason,
        changes=[
            {
                "field": "arrival",
                "before": f"{timezone.localtime(arrival.arrived_at, arrival.center.tzinfo):%Y-%m-%d %H:%M}"
                f" · {arrival.center.name}",
                "after": None,
            }
        ],
    )
    return arrival


MAY_NOT_REVIEW_DUPLICATES = gettext_lazy(
    "Only a supervisor of the reception centres of both records may review them."
)


@transaction.atomic
def duplicate_dismiss(*, actor: Actor, pair_id: int | str) -> DuplicatePair:
    """Two records a supervisor judges to be different people: the pair leaves the queue and
    the scan never proposes it again. Saying it twice changes nothing.

    NotFound when either record is outside the actor's persons; Forbidden for one who may not
    merge them (the same supervisors decide both ways).
    """
    if not str(pair_id).isdigit():
        raise NotFound()
    pair = (
        duplicate_pairs_for(actor)
        .select_for_update()
        .select_related("first", "second")
        .filter(pk=int(pair_id))
        .first()
    )
    if pair is None:
        raise NotFound()
    if not (may_merge_person(actor, pair.first) and may_merge_person(actor, pair.second)):
        raise Forbidden(MAY_NOT_REVIEW_DUPLICATES)
    if pair.status != DuplicatePair.Status.DIFFERENT:
        pair.status = DuplicatePair.Status.DIFFERENT
        pair.decided_by = actor
        pair.decided_at = timezone.now()
        pair.save(update_fields=["status", "decided_by", "decided_at"])
    return pair
