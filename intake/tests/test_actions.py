"""arrival_register: one arrival per submission, persons recognised or created, scope kept."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from intake.actions import arrival_register
from intake.models import Arrival
from registry.actions import birth_date_from_age
from registry.idempotency import IdempotencyConflict, fingerprint
from registry.models import Consent, Country, DocumentType, Person
from registry.permissions import forget_center_ids, persons_for
from registry.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def person_data(**overrides):
    data = {
        "given_names": "Ana Lucía",
        "first_surname": "Peña",
        "second_surname": "Núñez",
        "sex": Person.Sex.FEMALE,
        "birth_date": date(1990, 5, 4),
        "nationality": Country.objects.get(iso2="GT"),
        "document_type": DocumentType.objects.get(code="dpi"),
        "document_number": "1234567890101",
    }
    data.update(overrides)
    return data


def arrival_data(**overrides):
    data = {
        "arrived_at": timezone.now(),
        "mode": "air",
        "returned_from": Country.objects.get(iso2="US"),
        "transport_reference": "GUA-118",
    }
    data.update(overrides)
    return data


def register(actor, center, **kwargs):
    kwargs.setdefault("client_uuid", uuid.uuid4())
    kwargs.setdefault("arrival_data", arrival_data())
    if "person" not in kwargs and "person_id" not in kwargs:
        kwargs.setdefault("new_person_data", person_data())
    return arrival_register(actor=actor, center=center, **kwargs)


def test_new_person_is_registered_with_arrival_and_consents(caseworker, center_a):
    result = register(
        caseworker,
        center_a,
        consents={
            "process_data": True,
            "anonymised_statistics": True,
            "share_with_partners": False,
        },
    )
    assert result.created
    person = result.arrival.person
    assert person.full_name == "Ana Lucía Peña Núñez"  # accents and ñ kept exactly
    assert person.created_by == caseworker
    assert persons_for(caseworker).filter(pk=person.pk).exists()
    consents = {c.kind: c.granted for c in Consent.objects.filter(person=person)}
    assert consents == {
        "process_data": True,
        "anonymised_statistics": True,
        "share_with_partners": False,
    }
    assert Consent.objects.filter(person=person, recorded_by=caseworker).count() == 3


def test_replay_returns_the_first_arrival_and_creates_nothing(caseworker, center_a):
    key = uuid.uuid4()
    payload = {"any": "body"}
    first = register(
        caseworker, center_a, client_uuid=key, request_fingerprint=fingerprint(payload)
    )
    again = register(
        caseworker, center_a, client_uuid=key, request_fingerprint=fingerprint(payload)
    )
    assert first.created and not again.created
    assert again.arrival.pk == first.arrival.pk
    assert Arrival.objects.count() == 1 and Person.objects.count() == 1


def test_same_key_with_another_body_is_a_conflict(caseworker, center_a):
    key = uuid.uuid4()
    register(caseworker, center_a, client_uuid=key, request_fingerprint=fingerprint({"a": 1}))
    with pytest.raises(IdempotencyConflict):
        register(caseworker, center_a, client_uuid=key, request_fingerprint=fingerprint({"a": 2}))
    assert Arrival.objects.count() == 1


def test_linking_a_person_from_another_centre_makes_them_visible_here(
    caseworker, center_a, center_b
):
    person = PersonFactory(centers=[center_b])  # same country: in the national registry
    assert not persons_for(caseworker).filter(pk=person.pk).exists()
    result = register(caseworker, center_a, person_id=person.pk)
    assert result.arrival.person == person
    assert persons_for(caseworker).filter(pk=person.pk).exists()
    assert Person.objects.count() == 1


def test_cannot_register_at_a_centre_not_assigned(caseworker, center_b):
    with pytest.raises(ValidationError) as exc:
        register(caseworker, center_b)
    assert "center" in exc.value.message_dict
    assert Arrival.objects.count() == 0


def test_person_outside_matching_scope_cannot_be_linked(caseworker, center_a):
    from registry.tests.factories import ReceptionCenterFactory

    honduras = ReceptionCenterFactory(code="HNX", country=Country.objects.get(iso2="HN"))
    stranger = PersonFactory(centers=[honduras])
    with pytest.raises(ValidationError) as exc:
        register(caseworker, center_a, person_id=stranger.pk)
    assert "person" in exc.value.message_dict
    assert Arrival.objects.count() == 0


@pytest.mark.parametrize(
    ("person_overrides", "arrival_overrides", "field"),
    [
        ({"birth_date": date.today() + timedelta(days=3)}, {}, "birth_date"),
        ({"birth_date": date(1900, 1, 1)}, {}, "birth_date"),
        ({"given_names": "   "}, {}, "given_names"),
        ({"given_names": "x" * 10_000}, {}, "given_names"),
        ({"document_number": "12345"}, {}, "document_number"),
        ({}, {"arrived_at": timezone.now() + timedelta(days=2)}, "arrived_at"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_saves_nothing(
    caseworker, center_a, person_overrides, arrival_overrides, field
):
    with pytest.raises(ValidationError) as exc:
        register(
            caseworker,
            center_a,
            new_person_data=person_data(**person_overrides),
            arrival_data=arrival_data(**arrival_overrides),
        )
    assert field in exc.value.message_dict
    assert Arrival.objects.count() == 0 and Person.objects.count() == 0


def test_municipality_must_be_in_the_department(caseworker, center_a):
    from registry.models import Department, Municipality

    department = Department.objects.get(iso_code="GT-01")
    elsewhere = Municipality.objects.exclude(department=department).first()
    with pytest.raises(ValidationError) as exc:
        register(
            caseworker,
            center_a,
            new_person_data=person_data(
                origin_department=department, origin_municipality=elsewhere
            ),
        )
    assert "origin_municipality" in exc.value.message_dict


def test_age_in_years_gives_an_estimated_birth_date():
    today = date(2026, 11, 22)
    born = birth_date_from_age(age_years=30, today=today)
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert years == 30
    born = birth_date_from_age(age_years=30, today=date(2026, 3, 1))
    years = 2026 - born.year - ((born.month, born.day) > (3, 1))
    assert years == 30
    with pytest.raises(ValidationError):
        birth_date_from_age(age_years=111, today=today)


def test_a_new_person_id_taken_by_a_concurrent_submission_is_a_field_error(
    caseworker, center_a, monkeypatch
):
    """Two submissions with different client UUIDs race for the same new person id."""
    taken = uuid.uuid4()
    register(caseworker, center_a, new_person_id=taken)
    # Pretend the existence check ran before the other submission committed.
    from intake import actions

    monkeypatch.setattr(actions.Person.objects, "filter", lambda **kw: Person.objects.none())
    with pytest.raises(ValidationError) as exc:
        register(caseworker, center_a, new_person_id=taken, confirm_repeat=True)
    assert "person" in exc.value.message_dict
    assert Arrival.objects.count() == 1


# --- the same arrival entered twice -----------------------------------------------------------


def two_days_ago():
    return arrival_data(arrived_at=timezone.now() - timedelta(days=2))


def test_a_second_arrival_within_24_hours_at_the_centre_needs_a_confirmation(caseworker, center_a):
    first = register(caseworker, center_a, arrival_data=two_days_ago()).arrival
    later = arrival_data(arrived_at=first.arrived_at + timedelta(hours=23))
    with pytest.raises(ValidationError) as exc:
        register(caseworker, center_a, person=first.person, arrival_data=later)
    message = exc.value.message_dict["confirm_repeat"][0]
    assert first.person.full_name in message
    assert Arrival.objects.count() == 1

    confirmed = register(
        caseworker, center_a, person=first.person, arrival_data=later, confirm_repeat=True
    )
    assert confirmed.created
    assert Arrival.objects.filter(person=first.person).count() == 2


def test_a_new_person_with_the_same_document_or_names_and_birth_date_is_checked_too(
    caseworker, center_a
):
    register(caseworker, center_a, arrival_data=two_days_ago())
    for changes in ({"given_names": "Anita"}, {"document_number": "2345 67890 0101"}):
        with pytest.raises(ValidationError) as exc:
            register(
                caseworker,
                center_a,
                new_person_data=person_data(**changes),
                arrival_data=two_days_ago(),
            )
        assert "confirm_repeat" in exc.value.message_dict
    assert Person.objects.count() == 1


def test_arrivals_a_day_apart_or_at_another_centre_are_not_questioned(
    caseworker, center_a, center_b
):
    from guardian.shortcuts import assign_perm

    first = register(caseworker, center_a, arrival_data=two_days_ago()).arrival
    a_day_later = arrival_data(arrived_at=first.arrived_at + timedelta(hours=25))
    assert register(caseworker, center_a, person=first.person, arrival_data=a_day_later).created
    assign_perm("registry.work_at_center", caseworker, center_b)
    forget_center_ids(caseworker)
    same_time = arrival_data(arrived_at=first.arrived_at + timedelta(hours=1))
    assert register(caseworker, center_b, person=first.person, arrival_data=same_time).created
