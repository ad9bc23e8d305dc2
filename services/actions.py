"""Recording service deliveries: one row per thing delivered, once; corrections void and replace."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.models import Case, Referral
from casework.permissions import cases_for
from registry.actions import correction_record, reason_required
from registry.audit import audited_together, rows_created
from registry.dates import DELIVERY_DATES
from registry.errors import DomainError, Forbidden, Invalid
from registry.idempotency import replay
from registry.models import Correction, Person, ReceptionCenter
from registry.permissions import Actor, can_work_at, persons_for, user_center_ids
from registry.selectors import person_found
from registry.signals import persons_changed

from .models import (
    ALL_OUTCOME_FIELDS,
    OUTCOME_FIELDS,
    Distribution,
    Provider,
    ServiceDelivery,
    ServiceType,
)
from .permissions import deliveries_for

CURRENCIES = ("GTQ", "HNL", "USD")


@dataclass(frozen=True)
class Recorded:
    delivery: ServiceDelivery
    created: bool


@dataclass(frozen=True)
class BulkRecorded:
    distribution: Distribution
    deliveries: int
    created: bool


@dataclass
class BulkValidationError(Exception):
    """What is wrong with a bulk submission: per person (by id), per item, or overall."""

    persons: dict[str, list[str]] = field(default_factory=dict)
    items: dict[int, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # Some persons already received an item that day: recording again needs confirm_repeat.
    repeats: bool = False

    def __bool__(self) -> bool:
        return bool(self.persons or self.items or self.general)


def _first_arrival_dates(
    person_ids: list[uuid.UUID], center: ReceptionCenter
) -> dict[uuid.UUID, date | None]:
    """Local date (at the centre) of each person's first arrival; the reverse relation from intake."""
    rows = Person.objects.filter(pk__in=person_ids).annotate(first=Min("arrivals__arrived_at"))
    return {
        row.pk: row.first.astimezone(center.tzinfo).date() if row.first else None for row in rows
    }


def _delivery_errors(
    *,
    actor: Actor,
    delivery: ServiceDelivery,
    center: ReceptionCenter,
    first_arrival: date | None,
    outcomes: dict[str, Any],
) -> dict[str, list[str]]:
    """Field errors of one delivery (not saved); the rules a caseworker relies on."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    service_type: ServiceType = delivery.service_type
    if not service_type.active:
        add("service_type", _("This service is no longer offered."))
    _quantity_check(delivery, service_type, add)
    _case_check(actor=actor, delivery=delivery, center=center, service_type=service_type, add=add)
    if delivery.provider is not None and not delivery.provider.active:
        add("provider", _("This provider is not active."))
    _outcomes_check(service_type, outcomes, add)
    try:
        # Uniqueness (client UUID) is settled by the replay check and the unique index;
        # checking it here would cost a query per row of a bulk distribution.
        delivery.full_clean(
            exclude=["person", "center", "case", "service_type", "provider", "recorded_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    # The model checked the date's range (up to today at the centre); within it:
    too_early = _before_first_arrival(delivery.delivered_on, first_arrival)
    if too_early and "delivered_on" not in errors:
        add("delivered_on", too_early)
    return errors


def _before_first_arrival(delivered_on: date | None, first_arrival: date | None) -> str | None:
    """Why a delivery's date is wrong for this person (before they first arrived), or None."""
    if not first_arrival or not isinstance(delivered_on, date) or delivered_on >= first_arrival:
        return None
    return _("The date cannot be before the person's first arrival (%(date)s).") % {
        "date": first_arrival.strftime("%d/%m/%Y")
    }


def _quantity_check(
    delivery: ServiceDelivery, service_type: ServiceType, add: Callable[[str, str], None]
) -> None:
    """Check the quantity: at least 1, and at most what the service allows per delivery."""
    if delivery.quantity is None or delivery.quantity < 1:
        add("quantity", _("Enter a quantity of at least 1."))
    elif delivery.quantity > service_type.max_quantity:
        add(
            "quantity",
            _("At most %(max)s per delivery of this service.") % {"max": service_type.max_quantity},
        )


def _case_check(
    *,
    actor: Actor,
    delivery: ServiceDelivery,
    center: ReceptionCenter,
    service_type: ServiceType,
    add: Callable[[str, str], None],
) -> None:
    """Check the case: there when the service needs one, the person's, visible, at this centre."""
    if delivery.case_id is None and service_type.requires_case:
        add("case", _("This service is given within a case: choose the person's case."))
    if delivery.case_id is not None:
        case = delivery.case
        assert case is not None
        if case.person_id != delivery.person_id or not cases_for(actor).filter(pk=case.pk).exists():
            add("case", _("Choose one of this person's cases."))
        elif case.center_id != center.pk:
            add("case", _("The case belongs to another centre."))


def _outcomes_check(
    service_type: ServiceType, outcomes: dict[str, Any], add: Callable[[str, str], None]
) -> None:
    """Check the outcomes: only those the service records; for cash, an amount and currency."""
    allowed = OUTCOME_FIELDS.get(service_type.outcome, ())
    for name, value in outcomes.items():
        if name not in ALL_OUTCOME_FIELDS:
            raise ValueError(f"unknown outcome field: {name}")
        if value in (None, "") or name in allowed:
            continue
        add(name, _("This service does not record this outcome."))
    if service_type.outcome == ServiceType.Outcome.CASH:
        if outcomes.get("cash_amount") in (None, ""):
            add("cash_amount", _("Enter the amount."))
        if outcomes.get("cash_currency") not in CURRENCIES:
            add("cash_currency", _("Choose the currency: GTQ, HNL or USD."))


def _new_delivery(
    *,
    actor: Actor,
    person: Person,
    center: ReceptionCenter,
    service_type: ServiceType,
    delivered_on: date,
    quantity: int,
    status: str,
    provider: Provider | None,
    case: Case | None,
    funding_award: str,
    outcomes: dict[str, Any],
    client_uuid: uuid.UUID,
    **extra: Any,
) -> ServiceDelivery:
    delivery = ServiceDelivery(
        client_uuid=client_uuid,
        person=person,
        center=center,
        service_type=service_type,
        delivered_on=delivered_on,
        quantity=quantity,
        status=status,
        provider=provider,
        case=case,
        funding_award=(funding_award or "").strip(),
        recorded_by=actor,
        **extra,
    )
    for name, value in outcomes.items():
        setattr(delivery, name, value)
    return delivery


@transaction.atomic
@audited_together
def service_delivery_record(
    *,
    actor: Actor,
    person: Person,
    center: ReceptionCenter,
    service_type: ServiceType,
    delivered_on: date,
    quantity: int = 1,
    status: str = ServiceDelivery.Status.COMPLETED,
    provider: Provider | None = None,
    case: Case | None = None,
    funding_award: str = "",
    outcomes: dict[str, Any] | None = None,
    referral: Referral | None = None,
    client_uuid: uuid.UUID | None = None,
    request_fingerprint: str = "",
    replaces: ServiceDelivery | None = None,
    confirm_repeat: bool = False,
) -> Recorded:
    """Record one delivery. Idempotent on client_uuid (replay → created=False; other body → conflict).

    The same service for the same person on the same day a second time is refused under
    `confirm_repeat` until the caller confirms it (far more often the same kit entered twice).
    """
    client_uuid = client_uuid or uuid.uuid4()
    existing = replay(
        ServiceDelivery,
        client_uuid=client_uuid,
        request_fingerprint=request_fingerprint,
        visible=lambda row: deliveries_for(actor).filter(pk=row.pk).exists(),
    )
    if existing is not None:
        return Recorded(delivery=existing, created=False)
    if not can_work_at(actor, center):
        raise ValidationError({"center": _("You cannot record services at this centre.")})
    if not persons_for(actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("This person was not found.")})
    outcomes = outcomes or {}
    delivery = _new_delivery(
        actor=actor,
        person=person,
        center=center,
        service_type=service_type,
        delivered_on=delivered_on,
        quantity=quantity,
        status=status,
        provider=provider,
        case=case,
        funding_award=funding_award,
        outcomes=outcomes,
        client_uuid=client_uuid,
        referral=referral,
        request_fingerprint=request_fingerprint,
        replaces=replaces,
    )
    errors = _delivery_errors(
        actor=actor,
        delivery=delivery,
        center=center,
        first_arrival=_first_arrival_dates([person.pk], center).get(person.pk),
        outcomes=outcomes,
    )
    if not errors and not confirm_repeat and replaces is None:
        repeated = _same_delivery_that_day(delivery)
        if repeated:
            errors["confirm_repeat"] = [repeated]
    if errors:
        raise ValidationError(errors)
    delivery.save(force_insert=True)
    return Recorded(delivery=delivery, created=True)


def _same_delivery_that_day(delivery: ServiceDelivery) -> str:
    """Why a delivery looks like one already recorded (the same service, person and day, not
    voided), or "" when it does not."""
    if not _given_that_day([delivery], delivery.delivered_on):
        return ""
    return _repeat_message(delivery.service_type, delivery.delivered_on)


def _given_that_day(rows: list[ServiceDelivery], day: date) -> set[tuple[Any, Any]]:
    """(person, service type) of these rows already delivered that day, not voided: one query."""
    return set(
        ServiceDelivery.objects.filter(
            person_id__in={row.person_id for row in rows},
            service_type_id__in={row.service_type_id for row in rows},
            delivered_on=day,
            voided_at__isnull=True,
        ).values_list("person_id", "service_type_id")
    )


REPEATS_TO_CONFIRM = _(
    "Some persons already received these items that day: untick them, or confirm that they "
    "really received them again."
)


def _repeat_message(service_type: ServiceType, day: date) -> str:
    return _(
        "%(service)s was already recorded for this person on %(day)s. Record it again only if "
        "they really received a second one, and confirm it."
    ) % {"service": service_type.name, "day": date_format(day, "DATE_FORMAT")}


def _bulk_repeats_file(
    problems: BulkValidationError, rows: list[ServiceDelivery], delivered_on: date
) -> None:
    """Say, per person, which items they already received that day (one query): a group
    handed out twice, or a kit recorded one by one before, would otherwise count twice."""
    if not rows:
        return
    given = _given_that_day(rows, delivered_on)
    for row in rows:
        if (row.person_id, row.service_type_id) in given:
            message = _repeat_message(row.service_type, delivered_on)
            problems.persons.setdefault(str(row.person_id), []).append(message)
            problems.repeats = True


@transaction.atomic
def service_delivery_void(
    *, actor: Actor, delivery: ServiceDelivery, reason: str
) -> ServiceDelivery:
    """Void a delivery recorded in error; it stays in history and never counts again."""
    if not can_work_at(actor, delivery.center_id):
        raise ValidationError(_("You cannot change services recorded at this centre."))
    if delivery.voided_at is not None:
        raise ValidationError(_("This delivery is already voided."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"void_reason": _("Say why the delivery is voided.")})
    if len(reason) > 300:
        raise ValidationError({"void_reason": _("Use at most 300 characters.")})
    delivery.voided_at = timezone.now()
    delivery.voided_by = actor
    delivery.void_reason = reason
    delivery.save(update_fields=["voided_at", "voided_by", "void_reason"])
    return delivery


@dataclass(frozen=True)
class DeliveryItem:
    """One service of a submission that records several for a person."""

    service_type: ServiceType
    quantity: int = 1
    status: str = ServiceDelivery.Status.COMPLETED
    outcomes: dict[str, Any] = field(default_factory=dict)


class DeliveriesRefused(DomainError):
    """Some services of one submission were refused, so none was kept: the errors by service
    type code, each as service_delivery_record raised it (fields named)."""

    def __init__(self, errors: dict[str, ValidationError]) -> None:
        super().__init__()
        self.errors = errors


@transaction.atomic
@audited_together
def service_deliveries_record(
    *,
    actor: Actor,
    person: Person,
    center: ReceptionCenter,
    delivered_on: date,
    items: list[DeliveryItem],
    client_uuid: uuid.UUID,
    provider: Provider | None = None,
    case: Case | None = None,
    confirm_repeat: bool = False,
) -> list[Recorded]:
    """Record several services for a person in one submit: all or none. Each one's client UUID
    is derived from the submission's and its service type, so a retried submit records nothing
    twice. Every item is checked before giving up (DeliveriesRefused names each one refused);
    IdempotencyConflict if the submission's identifier was used for other content."""
    recorded: list[Recorded] = []
    refused: dict[str, ValidationError] = {}
    for item in items:
        try:
            recorded.append(
                service_delivery_record(
                    actor=actor,
                    person=person,
                    center=center,
                    service_type=item.service_type,
                    delivered_on=delivered_on,
                    quantity=item.quantity,
                    status=item.status,
                    provider=provider,
                    case=case,
                    outcomes=item.outcomes,
                    client_uuid=uuid.uuid5(client_uuid, item.service_type.code),
                    confirm_repeat=confirm_repeat,
                )
            )
        except ValidationError as exc:
            refused[item.service_type.code] = exc
    if refused:
        raise DeliveriesRefused(refused)
    return recorded


MAY_NOT_CORRECT = gettext_lazy("Only staff of the centre where it was recorded may correct it.")
ALREADY_VOIDED = gettext_lazy(
    "This delivery was already voided or corrected: correct the one in force instead."
)


@transaction.atomic
def service_delivery_correct(
    *, actor: Actor, delivery: ServiceDelivery, reason: str, **changes: Any
) -> ServiceDelivery:
    """Void `delivery` and record its replacement with `changes` applied (counted data is never
    edited in place); the values before and after are kept as the person's Correction.

    Forbidden for a user who does not work at the delivery's centre; Invalid for a missing
    reason, a delivery already voided or corrected, or a replacement the rules refuse.
    """
    if not can_work_at(actor, delivery.center_id):
        raise Forbidden(MAY_NOT_CORRECT)
    reason = reason_required(reason)
    if delivery.voided_at is not None:
        raise Invalid(ALREADY_VOIDED)
    outcomes = {name: getattr(delivery, name) for name in ALL_OUTCOME_FIELDS}
    outcomes = {k: v for k, v in outcomes.items() if v not in (None, "")}
    outcomes.update(changes.pop("outcomes", {}) or {})
    values: dict[str, Any] = {
        "person": delivery.person, "center": delivery.center,
        "service_type": delivery.service_type, "delivered_on": delivery.delivered_on,
        "quantity": delivery.quantity, "status": delivery.status,
        "provider": delivery.provider, "case": delivery.case,
        "funding_award": delivery.funding_award,
    }  # fmt: skip
    values.update(changes)
    before = _delivery_shown(delivery)
    service_delivery_void(actor=actor, delivery=delivery, reason=reason)
    replacement = service_delivery_record(
        actor=actor, outcomes=outcomes, replaces=delivery, **values
    ).delivery
    correction_record(
        actor=actor,
        person=delivery.person,
        kind=Correction.Kind.DELIVERY_CORRECTED,
        object_id=delivery.pk,
        reason=reason,
        changes=[{"field": "delivery", "before": before, "after": _delivery_shown(replacement)}],
    )
    return replacement


def _delivery_shown(delivery: ServiceDelivery) -> str:
    """What a correction records of a delivery: service × quantity, date, status."""
    return (
        f"{delivery.service_type.name} × {delivery.quantity}, "
        f"{delivery.delivered_on.isoformat()}, {delivery.get_status_display()}"
    )


@transaction.atomic
@audited_together
def distribution_record_bulk(
    *,
    actor: Actor,
    center: ReceptionCenter,
    delivered_on: date,
    items: list[dict[str, Any]],
    person_ids: list[uuid.UUID],
    client_uuid: uuid.UUID,
    group_label: str = "",
    provider: Provider | None = None,
    funding_award: str = "",
    request_fingerprint: str = "",
    confirm_repeat: bool = False,
) -> BulkRecorded:
    """Record every item for every person in one go: all rows or none.

    `items` are dicts with service_type (ServiceType) and quantity. Idempotent as a whole on
    client_uuid. Raises BulkValidationError naming the wrong persons and items; a person who
    already received an item that day is named too (`repeats`) until `confirm_repeat`. The
    id of a record merged into another stands for the survivor (a tablet may send it later).
    """
    existing = replay(
        Distribution,
        client_uuid=client_uuid,
        request_fingerprint=request_fingerprint,
        visible=lambda row: row.center_id in user_center_ids(actor),
    )
    if existing is not None:
        return BulkRecorded(existing, existing.deliveries.count(), created=False)
    _bulk_submission_check(actor=actor, center=center, items=items, person_ids=person_ids)
    problems = BulkValidationError()
    persons = _bulk_persons(actor, person_ids, problems)
    first_arrivals = _first_arrival_dates(list(persons), center)
    # A date out of range is wrong for everyone: said once, not per person.
    out_of_range = DELIVERY_DATES.error(delivered_on, today=center.local_now().date())
    now = timezone.now()
    rows: list[ServiceDelivery] = []
    for index, item in enumerate(items):
        service_type = item["service_type"]
        quantity = item.get("quantity", 1)
        refusal = _bulk_item_refusal(service_type)
        if refusal:
            problems.items.setdefault(index, []).append(refusal)
            continue
        item_errors: dict[str, list[str]] | None = None
        for person in persons.values():
            delivery = _new_delivery(
                actor=actor,
                person=person,
                center=center,
                service_type=service_type,
                delivered_on=delivered_on,
                quantity=quantity,
                status=ServiceDelivery.Status.COMPLETED,
                provider=provider,
                case=None,
                funding_award=funding_award,
                outcomes={},
                client_uuid=uuid.uuid4(),
                recorded_at=now,
            )
            if item_errors is None:
                # Every person's row of an item differs only in the person and the key: the
                # rules are checked once per item, then the person's own (the first arrival).
                item_errors = _delivery_errors(
                    actor=actor, delivery=delivery, center=center, first_arrival=None, outcomes={}
                )
            errors = {name: list(messages) for name, messages in item_errors.items()}
            too_early = _before_first_arrival(delivered_on, first_arrivals.get(person.pk))
            if too_early and "delivered_on" not in errors:
                errors["delivered_on"] = [too_early]
            _bulk_errors_file(
                problems, errors, index=index, person=person, out_of_range=out_of_range
            )
            rows.append(delivery)
    if not problems and not confirm_repeat:
        _bulk_repeats_file(problems, rows, delivered_on)
    if problems:
        raise problems
    distribution = Distribution.objects.create(
        client_uuid=client_uuid,
        center=center,
        delivered_on=delivered_on,
        group_label=(group_label or "").strip()[:80],
        recorded_by=actor,
        request_fingerprint=request_fingerprint,
    )
    for row in rows:
        row.distribution = distribution
    created = ServiceDelivery.objects.bulk_create(rows, batch_size=1000)
    rows_created(
        ServiceDelivery.objects.filter(distribution=distribution),
        actor=actor,
        fields=("person", "service_type", "quantity", "delivered_on", "distribution"),
    )
    # bulk_create sends no post_save: say which persons changed.
    persons_changed.send(
        sender=ServiceDelivery, person_ids=sorted({row.person_id for row in created})
    )
    return BulkRecorded(distribution, len(created), created=True)


def _bulk_submission_check(
    *,
    actor: Actor,
    center: ReceptionCenter,
    items: list[dict[str, Any]],
    person_ids: list[uuid.UUID],
) -> None:
    """Refuse a submission wrong as a whole: the centre, no item, no person, an item twice."""
    problems = BulkValidationError()
    if not can_work_at(actor, center):
        problems.general.append(_("You cannot record services at this centre."))
        raise problems
    if not items:
        problems.general.append(_("Choose at least one item."))
    if not person_ids:
        problems.general.append(_("Tick at least one person."))
    if len({item["service_type"].pk for item in items}) != len(items):
        problems.general.append(_("Each item can be chosen once."))
    if problems:
        raise problems


def _bulk_persons(
    actor: Actor, person_ids: list[uuid.UUID], problems: BulkValidationError
) -> dict[uuid.UUID, Person]:
    """The persons ticked that the actor may record for (one query); the others in `problems`."""
    unique_ids = list(dict.fromkeys(person_ids))
    scope = persons_for(actor).only("pk", "given_names")
    persons = {p.pk: p for p in scope.filter(pk__in=unique_ids)}
    for person_id in unique_ids:
        if person_id in persons or str(person_id) in {str(k) for k in persons}:
            continue
        # A merged record's id stands for the survivor, who is then recorded once.
        survivor = person_found(scope, person_id)
        if survivor is None:
            problems.persons[str(person_id)] = [_("This person was not found.")]
        else:
            persons.setdefault(survivor.pk, survivor)
    return persons


def _bulk_item_refusal(service_type: ServiceType) -> str | None:
    """Why a service cannot be part of a bulk distribution (a case, or cash), or None."""
    if service_type.requires_case:
        return _("%(service)s is given within a case, not in a bulk distribution.") % {
            "service": service_type.name
        }
    if service_type.outcome == ServiceType.Outcome.CASH:
        return _("%(service)s needs an amount per person: record it one by one.") % {
            "service": service_type.name
        }
    return None


def _bulk_errors_file(
    problems: BulkValidationError,
    errors: dict[str, list[str]],
    *,
    index: int,
    person: Person,
    out_of_range: str | None,
) -> None:
    """File one row's errors once each: under its item, the whole submission, or its person."""
    for name, messages in errors.items():
        if name in ("quantity", "service_type", "provider"):
            problems.items.setdefault(index, []).extend(
                m for m in messages if m not in problems.items.get(index, [])
            )
        elif name == "delivered_on" and messages and out_of_range:
            if messages[0] not in problems.general:
                problems.general.append(messages[0])
        else:
            problems.persons.setdefault(str(person.pk), []).extend(
                m for m in messages if m not in problems.persons.get(str(person.pk), [])
            )
