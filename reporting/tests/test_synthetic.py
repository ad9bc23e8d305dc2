"""generate_synthetic: reproducible, roughly realistic, and complete enough for matching."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Count

from casework.models import Case, CaseCounter, Consent, Person, PersonCenter
from casework.names import document_normalise, name_keys
from intake.models import Arrival
from reporting.synthetic import SYNTHETIC_USERNAME, fiscal_window, synthetic_generate
from services.models import ServiceDelivery

PERSONS = 300
TODAY = date(2026, 3, 15)


def _counts() -> dict[str, int]:
    return {
        "persons": Person.objects.count(),
        "arrivals": Arrival.objects.count(),
        "links": PersonCenter.objects.count(),
        "consents": Consent.objects.count(),
        "cases": Case.objects.count(),
        "deliveries": ServiceDelivery.objects.count(),
        "voided": ServiceDelivery.objects.filter(voided_at__isnull=False).count(),
        "male": Person.objects.filter(sex="male").count(),
        "unaccompanied": Arrival.objects.filter(travel_group="unaccompanied_minor").count(),
    }


@pytest.fixture
def generated(db):
    return synthetic_generate(persons=PERSONS, seed=7, today=TODAY, batch_size=120)


def test_same_seed_gives_the_same_data(generated):
    first = _counts()
    first_names = sorted(Person.objects.values_list("given_names", "first_surname", "birth_date"))
    synthetic_generate(persons=PERSONS, seed=7, today=TODAY, fresh=True, batch_size=77)
    assert _counts() == first
    assert (
        sorted(Person.objects.values_list("given_names", "first_surname", "birth_date"))
        == first_names
    )
    synthetic_generate(persons=PERSONS, seed=8, today=TODAY, fresh=True)
    assert (
        sorted(Person.objects.values_list("given_names", "first_surname", "birth_date"))
        != first_names
    )


def test_fresh_replaces_rather_than_adds(generated):
    with pytest.raises(FileExistsError):
        synthetic_generate(persons=10, seed=7, today=TODAY)
    synthetic_generate(persons=50, seed=7, today=TODAY, fresh=True)
    assert Person.objects.count() == 50


def test_proportions_are_roughly_those_of_the_returns(generated):
    arrivals = Arrival.objects.select_related("person")
    persons = Person.objects.all()
    assert generated.persons == persons.count() == PERSONS

    minors = sum(
        1
        for a in arrivals.order_by("person_id", "arrived_at").distinct()
        if a.person.age_on(a.arrived_at.date()) is not None
        and a.person.age_on(a.arrived_at.date()) < 18
        and a.pk == a.person.arrivals.order_by("arrived_at").first().pk
    )
    assert 0.03 <= minors / PERSONS <= 0.09
    assert 0.72 <= persons.filter(sex="male").count() / PERSONS <= 0.88
    repeat = persons.annotate(n=Count("arrivals")).filter(n__gt=1).count()
    assert 0.13 <= repeat / PERSONS <= 0.27
    by_country = dict(
        persons.values_list("nationality__iso2")
        .annotate(n=Count("id"))
        .values_list("nationality__iso2", "n")
    )
    assert by_country["HN"] > by_country["SV"] and by_country["GT"] > by_country["SV"]
    air = arrivals.filter(mode="air", returned_from__iso2="US").count()
    land = arrivals.filter(mode="land", returned_from__iso2="MX").count()
    assert air + land == arrivals.count() and air > land > 0

    with_food = (
        ServiceDelivery.objects.filter(service_type__code="food").values("person").distinct()
    )
    assert with_food.count() / PERSONS > 0.85
    with_case = Case.objects.values("person").distinct().count()
    assert 0.09 <= with_case / PERSONS <= 0.26
    refused = Consent.objects.filter(kind="anonymised_statistics", granted=False).count()
    assert refused / PERSONS < 0.06
    assert Consent.objects.filter(kind="process_data", granted=True).count() == PERSONS


def test_everything_falls_within_the_fiscal_window(generated):
    start, end = fiscal_window(TODAY, 2)
    assert start == date(2024, 10, 1)
    days = [a.arrived_at.date() for a in Arrival.objects.all()]
    assert min(days) >= start and max(days) <= end
    deliveries = ServiceDelivery.objects.values_list("delivered_on", flat=True)
    assert min(deliveries) >= start and max(deliveries) <= end


def test_name_keys_and_document_key_are_filled_as_save_would(generated):
    for person in Person.objects.all()[:100]:
        assert person.given_name_keys == " ".join(name_keys(person.given_names))
        assert person.surname_keys == " ".join(
            name_keys(f"{person.first_surname} {person.second_surname}")
        )
        assert person.document_key == document_normalise(person.document_number)
        assert person.created_by.username == SYNTHETIC_USERNAME


def test_cases_are_numbered_per_centre_and_year_and_counters_continue(generated):
    numbers = list(Case.objects.values_list("number", "center__code", "opened_at"))
    assert len({n for n, _c, _o in numbers}) == len(numbers)
    for number, code, opened_at in numbers:
        assert number.startswith(f"{code}-{opened_at.year}-")
    for counter in CaseCounter.objects.select_related("center"):
        prefix = f"{counter.center.code}-{counter.year}-"
        top = max(int(n.rsplit("-", 1)[1]) for n, _c, _o in numbers if n.startswith(prefix))
        assert counter.last == top
    # Reintegration services are given within the person's case, at the case's centre.
    for delivery in ServiceDelivery.objects.filter(case__isnull=False).select_related("case"):
        assert delivery.case.person_id == delivery.person_id
        assert delivery.case.center_id == delivery.center_id
    voided = ServiceDelivery.objects.filter(voided_at__isnull=False)
    assert all(d.void_reason for d in voided)


def test_command_reports_what_it_made(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_synthetic", "--persons", "40", "--seed", "3", stdout=out, stderr=err)
    assert "40 persons" in out.getvalue()
    assert Person.objects.count() == 40
