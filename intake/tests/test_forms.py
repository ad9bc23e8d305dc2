"""The intake forms: the models' rules on the right field, dates in the centre's time zone."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from intake.forms import ArrivalForm, OriginForm, PersonForm
from intake.models import Arrival
from intake.tests.test_views_intake import arrival_data, person_data, reference_rows
from registry.forms import ConsentsForm
from registry.models import Consent, Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ref(db):
    return reference_rows()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_an_age_becomes_an_estimated_date_of_birth(ref, center_a):
    form = PersonForm(person_data(ref, birth_date="", age_years="40"), center=center_a)
    assert form.is_valid(), form.errors
    assert form.instance.birth_date_estimated is True
    assert form.instance.age_on(center_a.local_now().date()) in (39, 40)


def test_a_date_of_birth_wins_over_an_age(ref, center_a):
    form = PersonForm(person_data(ref, birth_date="1980-02-29", age_years="5"), center=center_a)
    assert form.is_valid(), form.errors
    assert form.instance.birth_date == date(1980, 2, 29)
    assert form.instance.birth_date_estimated is False


def test_an_empty_name_is_reported_once(ref, center_a):
    form = PersonForm(person_data(ref, given_names=""), center=center_a)
    assert not form.is_valid()
    assert form.errors["given_names"] == ["This field is required."]


def test_a_very_long_name_is_a_field_error(ref, center_a):
    form = PersonForm(person_data(ref, given_names="a" * 10_000), center=center_a)
    assert not form.is_valid()
    assert "given_names" in form.errors
    assert "NON_FIELD_ERRORS" not in form.errors


def test_names_keep_accents_and_enye(ref, center_a):
    form = PersonForm(
        person_data(ref, given_names="  Añejo  Ústed ", first_surname="Peñate"), center=center_a
    )
    assert form.is_valid(), form.errors
    assert form.instance.given_names == "Añejo  Ústed"
    assert form.instance.first_surname == "Peñate"


def test_the_document_format_comes_from_the_document_type(ref, center_a):
    form = PersonForm(
        person_data(ref, document_type=ref.none.pk, document_number="123"), center=center_a
    )
    assert not form.is_valid()
    assert form.errors["document_number"] == ["Leave the number empty for this document type."]


def test_a_model_error_on_an_unknown_name_goes_to_the_whole_form(ref, center_a):
    form = PersonForm(person_data(ref), center=center_a)
    assert form.is_valid()
    form.add_error(None, ValidationError({"person": ["Not found."], "document_number": ["Used."]}))
    assert form.non_field_errors() == ["Not found."]
    assert form.errors["document_number"] == ["Used."]


def test_a_date_of_birth_error_from_an_age_is_shown_on_the_age(ref, center_a):
    form = PersonForm(person_data(ref, birth_date="", age_years="30"), center=center_a)
    assert form.is_valid()
    form.add_error(None, ValidationError({"birth_date": ["Odd date."]}))
    assert form.errors["age_years"] == ["Odd date."]


def test_the_arrival_time_is_read_in_the_centres_time_zone(ref, center_a):
    form = ArrivalForm(
        arrival_data(ref, arrival_date="2026-01-15", arrival_time="23:30"), center=center_a
    )
    assert form.is_valid(), form.errors
    arrived = form.instance.arrived_at
    assert arrived == timezone.make_aware(
        timezone.datetime(2026, 1, 16, 5, 30), timezone.get_fixed_timezone(0)
    )
    assert form.arrival_data()["arrived_at"] == arrived


def test_an_arrival_more_than_a_day_ahead_is_an_error_on_the_date(ref, center_a):
    ahead = (center_a.local_now() + timedelta(days=2)).date().isoformat()
    form = ArrivalForm(arrival_data(ref, arrival_date=ahead), center=center_a)
    assert not form.is_valid()
    assert form.errors["arrival_date"] == ["The arrival cannot be more than a day ahead."]


def test_a_family_unit_gets_a_family_group_and_keeps_the_one_given(ref, center_a):
    form = ArrivalForm(arrival_data(ref, travel_group="family_unit"), center=center_a)
    assert form.is_valid()
    assert isinstance(form.instance.family_group, uuid.UUID)
    group = str(uuid.uuid4())
    form = ArrivalForm(
        arrival_data(ref, travel_group="family_unit"), center=center_a, family_group=group
    )
    assert form.is_valid()
    assert str(form.instance.family_group) == group


def test_no_family_group_unless_a_family_unit(ref, center_a):
    form = ArrivalForm(
        arrival_data(ref, travel_group="unaccompanied_minor"),
        center=center_a,
        family_group=str(uuid.uuid4()),
    )
    assert form.is_valid()
    assert form.instance.family_group is None
    assert form.arrival_data()["travel_group"] == Arrival.TravelGroup.UNACCOMPANIED_MINOR


def test_inactive_reasons_are_not_offered(ref, center_a):
    ref.violence.active = False
    ref.violence.save()
    form = ArrivalForm(center=center_a)
    assert ref.violence not in form.fields["reasons"].queryset
    assert ref.economic in form.fields["reasons"].queryset


def _person(ref, **changes):
    data = {
        "given_names": "Ana",
        "first_surname": "Pop",
        "sex": Person.Sex.FEMALE,
        "birth_date": date(2000, 1, 1),
        "nationality": ref.gt,
        "document_type": ref.none,
    }
    data.update(changes)
    return Person(**data)


def test_only_the_chosen_departments_municipalities_are_offered(ref):
    form = OriginForm({"origin_department": ref.dept1.pk}, instance=_person(ref))
    offered = [value for value, _ in form.fields["origin_municipality"].widget.choices]
    assert ref.muni1.pk in offered
    assert ref.muni2.pk not in offered


def test_a_municipality_outside_the_department_gets_the_models_message(ref):
    form = OriginForm(
        {"origin_department": ref.dept1.pk, "origin_municipality": ref.muni2.pk},
        instance=_person(ref),
    )
    assert not form.is_valid()
    assert form.errors["origin_municipality"] == [
        "The municipality is not in the chosen department."
    ]


def test_no_departments_for_a_nationality_without_centres(ref):
    form = OriginForm({}, instance=_person(ref, nationality=ref.mx))
    assert "origin_department" not in form.fields
    assert form.is_valid(), form.errors
    assert form.person_data()["origin_department"] is None


def test_consents_are_yes_or_no_for_each_kind():
    data = dict.fromkeys(Consent.Kind.values, "no") | {"process_data": "yes"}
    form = ConsentsForm(data)
    assert form.is_valid()
    assert form.consents() == {
        "process_data": True,
        "share_with_partners": False,
        "follow_up_contact": False,
        "anonymised_statistics": False,
    }
    assert not ConsentsForm({"process_data": "maybe"}).is_valid()
