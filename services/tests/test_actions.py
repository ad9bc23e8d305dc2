"""Recording, voiding, correcting and bulk-distributing services: the rules a caseworker relies on."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from casework.actions import case_open
from intake.tests.factories import ArrivalFactory
from registry.audit import REDACTED
from registry.idempotency import IdempotencyConflict
from registry.permissions import forget_center_ids
from services.actions import (
    BulkValidationError,
    DeliveriesRefused,
    DeliveryItem,
    distribution_record_bulk,
    service_deliveries_record,
    service_delivery_correct,
    service_delivery_record,
    service_delivery_void,
)
from services.models import Distribution, ServiceDelivery
from services.permissions import deliveries_for
from services.selectors import counted, uptake_totals

from .factories import person_arrived, service_type


@pytest.fixture
def person(center_a, caseworker):
    return person_arrived(center_a, days_ago=10, registered_by=caseworker)


@pytest.fixture
def case(person, center_a, caseworker):
    return case_open(actor=caseworker, person=person, center=center_a).case


def record(actor, person, center, code="hygiene_kit", **overrides):
    values = {
        "actor": actor,
        "person": person,
        "center": center,
        "service_type": service_type(code),
        "delivered_on": center.local_now().date(),
    }
    values.update(overrides)
    return service_delivery_record(**values)


def field_errors(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def delivery_log_entries(action=None):
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ServiceDelivery)
    )
    return entries if action is None else entries.filter(action=action)


# --- one delivery ----------------------------------------------------------------------------


def test_records_a_delivery_and_audits_it(caseworker, center_a, person):
    recorded = record(caseworker, person, center_a, quantity=2)

    delivery = ServiceDelivery.objects.get()
    assert recorded.created
    assert delivery == recorded.delivery
    assert (delivery.person, delivery.center, delivery.quantity) == (person, center_a, 2)
    assert delivery.recorded_by == caseworker
    assert delivery_log_entries(LogEntry.Action.CREATE).filter(object_pk=str(delivery.pk)).exists()


def test_a_date_after_today_at_the_centre_is_refused(caseworker, center_a, person):
    tomorrow = center_a.local_now().date() + timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, delivered_on=tomorrow)

    assert "delivered_on" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_today_is_the_centres_today_not_the_servers(caseworker, center_a, monkeypatch):
    """At 03:00 UTC it is still the evening before in Guatemala (UTC-6)."""
    person = ArrivalFactory(center=center_a, arrived_at=datetime(2026, 3, 1, tzinfo=UTC)).person
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 10, 3, 0, tzinfo=UTC))

    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, delivered_on=date(2026, 3, 10))
    assert "delivered_on" in field_errors(excinfo)

    assert record(caseworker, person, center_a, delivered_on=date(2026, 3, 9)).created


def test_a_date_before_the_first_arrival_is_refused(caseworker, center_a, person):
    first = person.arrivals.get().arrived_at.astimezone(center_a.tzinfo).date()

    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, delivered_on=first - timedelta(days=1))

    assert first.strftime("%d/%m/%Y") in field_errors(excinfo)["delivered_on"][0]
    assert not ServiceDelivery.objects.exists()
    assert record(caseworker, person, center_a, delivered_on=first).created


@pytest.mark.parametrize("quantity", [0, -1, 4])
def test_a_quantity_below_one_or_above_the_types_maximum_is_refused(
    caseworker, center_a, person, quantity
):
    assert service_type("hygiene_kit").max_quantity == 3

    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, quantity=quantity)

    assert "quantity" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_a_reintegration_service_needs_a_case(caseworker, center_a, person):
    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, "vocational_training")

    assert "case" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_another_persons_case_is_refused(caseworker, center_a, person, case):
    other = person_arrived(center_a)

    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, other, center_a, "vocational_training", case=case)

    assert "case" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_outcomes_on_a_service_without_outcomes_are_refused(caseworker, center_a, person):
    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, outcomes={"training_hours": 40})

    assert "training_hours" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_an_inactive_service_is_refused(caseworker, center_a, person):
    retired = service_type("phone_call")
    retired.active = False
    retired.save(update_fields=["active"])

    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, "phone_call")

    assert "service_type" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_a_person_outside_the_users_centres_is_refused(caseworker, center_a, center_b):
    stranger = person_arrived(center_b)

    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, stranger, center_a)

    assert "person" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_recording_at_another_centre_is_refused(caseworker, center_b, person):
    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_b)

    assert "center" in field_errors(excinfo)
    assert not ServiceDelivery.objects.exists()


def test_training_hours_are_recorded_on_vocational_training(caseworker, center_a, person, case):
    outcomes = {"training_hours": 120, "training_completed": True, "training_certified": False}

    delivery = record(
        caseworker, person, center_a, "vocational_training", case=case, outcomes=outcomes
    ).delivery

    delivery.refresh_from_db()
    assert (delivery.training_hours, delivery.training_completed) == (120, True)
    assert delivery.training_certified is False


def test_a_job_outcome_on_training_is_refused(caseworker, center_a, person, case):
    with pytest.raises(ValidationError) as excinfo:
        record(
            caseworker,
            person,
            center_a,
            "vocational_training",
            case=case,
            outcomes={"employer_sector": "commerce"},
        )

    assert "employer_sector" in field_errors(excinfo)


def test_cash_needs_an_amount_and_a_currency(caseworker, center_a, person):
    with pytest.raises(ValidationError) as excinfo:
        record(caseworker, person, center_a, "emergency_cash")

    assert {"cash_amount", "cash_currency"} <= set(field_errors(excinfo))
    with pytest.raises(ValidationError) as excinfo:
        record(
            caseworker,
            person,
            center_a,
            "emergency_cash",
            outcomes={"cash_amount": Decimal("500"), "cash_currency": "EUR"},
        )
    assert set(field_errors(excinfo)) == {"cash_currency"}
    assert not ServiceDelivery.objects.exists()

    delivery = record(
        caseworker,
        person,
        center_a,
        "emergency_cash",
        outcomes={"cash_amount": Decimal("500.00"), "cash_currency": "GTQ"},
    ).delivery
    assert (delivery.cash_amount, delivery.cash_currency) == (Decimal("500.00"), "GTQ")


def test_recording_is_idempotent_on_the_client_uuid(caseworker, center_a, person):
    key = uuid.uuid4()
    first = record(caseworker, person, center_a, client_uuid=key, request_fingerprint="a")

    replay = record(caseworker, person, center_a, client_uuid=key, request_fingerprint="a")

    assert first.created and not replay.created
    assert replay.delivery.pk == first.delivery.pk
    assert ServiceDelivery.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        record(caseworker, person, center_a, client_uuid=key, quantity=2, request_fingerprint="b")
    assert ServiceDelivery.objects.count() == 1


# --- void and correct ------------------------------------------------------------------------


def test_several_services_in_one_submit_are_recorded_all_or_none(caseworker, center_a, person):
    submission = uuid.uuid4()

    def submit(kit_quantity):
        return service_deliveries_record(
            actor=caseworker,
            person=person,
            center=center_a,
            delivered_on=center_a.local_now().date(),
            items=[
                DeliveryItem(service_type=service_type("food")),
                DeliveryItem(service_type=service_type("hygiene_kit"), quantity=kit_quantity),
            ],
            client_uuid=submission,
        )

    with pytest.raises(DeliveriesRefused) as excinfo:
        submit(kit_quantity=9)
    assert set(excinfo.value.errors) == {"hygiene_kit"}
    assert "quantity" in excinfo.value.errors["hygiene_kit"].message_dict
    assert not ServiceDelivery.objects.exists()

    first = submit(kit_quantity=2)
    again = submit(kit_quantity=2)
    assert [r.created for r in first] == [True, True]
    assert [r.created for r in again] == [False, False]
    assert ServiceDelivery.objects.count() == 2


def test_a_voided_delivery_no_longer_counts(caseworker, center_a, person):
    kept = record(caseworker, person, center_a, quantity=1).delivery
    wrong = record(caseworker, person, center_a, "food", quantity=2).delivery

    service_delivery_void(actor=caseworker, delivery=wrong, reason="Registrado dos veces")

    wrong.refresh_from_db()
    assert wrong.is_void and wrong.voided_by == caseworker
    assert list(counted(ServiceDelivery.objects.all())) == [kept]
    totals = list(uptake_totals(ServiceDelivery.objects.all()))
    assert [(t["service_type__code"], t["rows"], t["quantity"]) for t in totals] == [
        ("hygiene_kit", 1, 1)
    ]
    entry = delivery_log_entries(LogEntry.Action.UPDATE).get(object_pk=str(wrong.pk))
    assert "void_reason" in entry.changes_dict


def test_voiding_twice_or_without_a_reason_is_refused(caseworker, center_a, person):
    delivery = record(caseworker, person, center_a).delivery

    with pytest.raises(ValidationError) as excinfo:
        service_delivery_void(actor=caseworker, delivery=delivery, reason="  ")
    assert "void_reason" in field_errors(excinfo)

    service_delivery_void(actor=caseworker, delivery=delivery, reason="Error")
    with pytest.raises(ValidationError):
        service_delivery_void(actor=caseworker, delivery=delivery, reason="Otra vez")


def test_correcting_voids_and_records_a_linked_replacement(caseworker, center_a, person):
    original = record(caseworker, person, center_a, quantity=1).delivery

    replacement = service_delivery_correct(
        actor=caseworker, delivery=original, reason="Fueron dos kits", quantity=2
    )

    original.refresh_from_db()
    assert original.is_void and original.void_reason == "Fueron dos kits"
    assert replacement.replaces == original and replacement.quantity == 2
    assert original.replaced_by == replacement
    assert list(counted(ServiceDelivery.objects.all())) == [replacement]


def test_a_correction_is_validated_like_a_new_record(caseworker, center_a, person):
    original = record(caseworker, person, center_a).delivery

    with pytest.raises(ValidationError):
        service_delivery_correct(actor=caseworker, delivery=original, reason="x", quantity=99)

    original.refresh_from_db()
    assert not original.is_void
    assert ServiceDelivery.objects.count() == 1


# --- scoping ---------------------------------------------------------------------------------


def test_a_delivery_of_a_restricted_case_is_hidden_from_a_colleague(
    caseworker, colleague, center_a, person
):
    restricted = case_open(actor=caseworker, person=person, center=center_a, restricted=True).case
    delivery = record(
        caseworker, person, center_a, "psychosocial_individual", case=restricted
    ).delivery
    at_the_door = record(caseworker, person, center_a).delivery

    assert set(deliveries_for(caseworker)) == {delivery, at_the_door}
    assert list(deliveries_for(colleague)) == [at_the_door]


def test_the_scope_joins_each_delivery_to_its_own_case(caseworker):
    """Not `case_id IN (every visible case of the centre)`: at a million persons PostgreSQL
    hashed the centre's 46,000 cases for one person's six deliveries (40 ms a query, two
    queries per person page)."""
    sql = str(deliveries_for(caseworker).query)

    assert 'LEFT OUTER JOIN "casework_case"' in sql
    assert "SELECT U0" not in sql


def test_an_outsider_sees_no_delivery_of_another_centre(caseworker, outsider, center_a, person):
    record(caseworker, person, center_a)

    assert not deliveries_for(outsider).exists()


# --- bulk distribution -----------------------------------------------------------------------


def bulk(actor, center, persons, items=(("hygiene_kit", 1), ("food", 2)), **overrides):
    values = {
        "actor": actor,
        "center": center,
        "delivered_on": center.local_now().date(),
        "items": [{"service_type": service_type(code), "quantity": q} for code, q in items],
        "person_ids": [p.pk for p in persons],
        "client_uuid": uuid.uuid4(),
        "group_label": "Vuelo GUA-014",
    }
    values.update(overrides)
    return distribution_record_bulk(**values)


def test_bulk_records_every_item_for_every_person_and_audits_each(caseworker, center_a):
    persons = [person_arrived(center_a) for _ in range(3)]

    recorded = bulk(caseworker, center_a, persons)

    assert recorded.created and recorded.deliveries == 6
    rows = ServiceDelivery.objects.filter(distribution=recorded.distribution)
    assert rows.count() == 6
    assert {r.person_id for r in rows} == {p.pk for p in persons}
    entries = delivery_log_entries(LogEntry.Action.CREATE)
    assert entries.count() == 6
    assert {e.object_pk for e in entries} == {str(r.pk) for r in rows}
    assert all(e.actor == caseworker for e in entries)


def test_bulk_audit_entries_name_the_fields_not_the_person_or_values(caseworker, center_a):
    """As every entry of a person's data: which fields were recorded, never their values."""
    person = person_arrived(center_a)

    bulk(caseworker, center_a, [person], items=(("food", 2),))

    entry = delivery_log_entries(LogEntry.Action.CREATE).get()
    assert entry.changes == dict.fromkeys(
        ("person", "service_type", "quantity", "delivered_on", "distribution"),
        [REDACTED, REDACTED],
    )
    assert str(person.pk) not in str(entry.changes)
    assert entry.object_repr == entry.object_pk


def test_bulk_is_all_or_nothing_and_names_the_wrong_person(caseworker, center_a, center_b):
    persons = [person_arrived(center_a) for _ in range(3)]
    stranger = person_arrived(center_b)

    with pytest.raises(BulkValidationError) as excinfo:
        bulk(caseworker, center_a, [*persons, stranger])

    assert set(excinfo.value.persons) == {str(stranger.pk)}
    assert not ServiceDelivery.objects.exists()
    assert not Distribution.objects.exists()
    assert not delivery_log_entries().exists()


def test_bulk_names_a_person_who_arrived_after_the_date(caseworker, center_a):
    early = person_arrived(center_a, days_ago=10)
    late = person_arrived(center_a, days_ago=0)
    five_days_ago = center_a.local_now().date() - timedelta(days=5)

    with pytest.raises(BulkValidationError) as excinfo:
        bulk(caseworker, center_a, [early, late], delivered_on=five_days_ago)

    assert set(excinfo.value.persons) == {str(late.pk)}
    assert not ServiceDelivery.objects.exists()


def test_bulk_refuses_case_services_cash_and_excess_quantities_by_item(caseworker, center_a):
    persons = [person_arrived(center_a)]

    with pytest.raises(BulkValidationError) as excinfo:
        bulk(
            caseworker,
            center_a,
            persons,
            items=[
                ("food", 1),
                ("vocational_training", 1),
                ("emergency_cash", 1),
                ("transport", 9),
            ],
        )

    assert set(excinfo.value.items) == {1, 2, 3}
    assert not ServiceDelivery.objects.exists()


def test_bulk_refuses_a_future_date_and_an_empty_submission(caseworker, center_a):
    persons = [person_arrived(center_a)]
    tomorrow = center_a.local_now().date() + timedelta(days=1)

    with pytest.raises(BulkValidationError) as excinfo:
        bulk(caseworker, center_a, persons, delivered_on=tomorrow)
    assert excinfo.value.general and not excinfo.value.persons

    with pytest.raises(BulkValidationError) as excinfo:
        bulk(caseworker, center_a, [], items=[])
    assert len(excinfo.value.general) == 2
    assert not ServiceDelivery.objects.exists()


def test_bulk_is_idempotent_as_a_whole(caseworker, center_a):
    persons = [person_arrived(center_a) for _ in range(2)]
    key = uuid.uuid4()
    first = bulk(caseworker, center_a, persons, client_uuid=key, request_fingerprint="a")

    replay = bulk(caseworker, center_a, persons, client_uuid=key, request_fingerprint="a")

    assert first.created and not replay.created
    assert replay.distribution.pk == first.distribution.pk and replay.deliveries == 4
    assert ServiceDelivery.objects.count() == 4
    with pytest.raises(IdempotencyConflict):
        bulk(caseworker, center_a, persons[:1], client_uuid=key, request_fingerprint="b")
    assert ServiceDelivery.objects.count() == 4


BATCHED_INSERTS = ('INSERT INTO "services_servicedelivery"', 'INSERT INTO "auditlog_logentry"')


def test_bulk_names_who_already_received_an_item_that_day_until_confirmed(caseworker, center_a):
    persons = [person_arrived(center_a) for _ in range(3)]
    bulk(caseworker, center_a, persons[:1], items=(("hygiene_kit", 1),))  # one kit already

    with pytest.raises(BulkValidationError) as excinfo, translation.override("es"):
        bulk(caseworker, center_a, persons)  # the whole group, kit and food, later that day

    assert excinfo.value.repeats
    assert set(excinfo.value.persons) == {str(persons[0].pk)}
    assert "ya se registró" in " ".join(excinfo.value.persons[str(persons[0].pk)]).lower()
    assert ServiceDelivery.objects.count() == 1  # nothing more recorded
    recorded = bulk(caseworker, center_a, persons, confirm_repeat=True)
    assert recorded.deliveries == 6


def test_bulk_takes_a_merged_records_id_as_its_survivor_once(caseworker, supervisor, center_a):
    from registry.actions import person_merge

    kept, merged = person_arrived(center_a), person_arrived(center_a)
    person_merge(
        actor=supervisor,
        survivor_id=kept.pk,
        merged_id=merged.pk,
        reason="La misma persona",
        expected_versions=(kept.version, merged.version),
    )

    recorded = bulk(caseworker, center_a, [kept, merged], items=(("food", 1),))

    assert recorded.deliveries == 1
    assert ServiceDelivery.objects.get().person_id == kept.pk


def test_bulk_query_count_does_not_grow_with_the_number_of_persons(caseworker, center_a):
    """Constant, apart from bulk_create's batches (SQLite caps the variables per statement)."""
    few = [person_arrived(center_a) for _ in range(10)]
    many = [person_arrived(center_a) for _ in range(50)]
    items = [{"service_type": service_type(code)} for code in ("hygiene_kit", "food")]
    ContentType.objects.get_for_models(ServiceDelivery, Distribution)

    counts = []
    for persons in (few, many):
        forget_center_ids(caseworker)
        with CaptureQueriesContext(connection) as queries:
            distribution_record_bulk(
                actor=caseworker,
                center=center_a,
                delivered_on=center_a.local_now().date(),
                items=items,
                person_ids=[p.pk for p in persons],
                client_uuid=uuid.uuid4(),
            )
        sqls = [q["sql"] for q in queries.captured_queries]
        counts.append(
            (len(sqls), len([sql for sql in sqls if not sql.startswith(BATCHED_INSERTS)]))
        )

    (few_total, few_other), (many_total, many_other) = counts
    assert few_other == many_other <= 10
    assert many_total <= 20
    if connection.vendor == "postgresql":
        assert few_total == many_total
    assert ServiceDelivery.objects.count() == 2 * 60


# --- the same kit entered twice ----------------------------------------------------------------


def test_the_same_service_for_the_same_person_the_same_day_needs_a_confirmation(
    caseworker, center_a, person
):
    record(caseworker, person, center_a)
    with pytest.raises(ValidationError) as refused:
        record(caseworker, person, center_a)
    assert "confirm_repeat" in field_errors(refused)
    assert ServiceDelivery.objects.filter(person=person).count() == 1
    assert record(caseworker, person, center_a, confirm_repeat=True).created
    assert ServiceDelivery.objects.filter(person=person).count() == 2


def test_another_service_another_day_or_a_voided_one_is_not_questioned(
    caseworker, center_a, person
):
    first = record(caseworker, person, center_a).delivery
    assert record(caseworker, person, center_a, code="food").created
    yesterday = center_a.local_now().date() - timedelta(days=1)
    assert record(caseworker, person, center_a, delivered_on=yesterday).created
    service_delivery_void(actor=caseworker, delivery=first, reason="Duplicado")
    assert record(caseworker, person, center_a).created
