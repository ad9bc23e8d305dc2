"""generate_synthetic: reproducible, roughly realistic, and complete enough for matching."""

from __future__ import annotations

import io
import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils.timezone import localdate

from casework.models import Case, CaseCounter
from devtools.synthetic import (
    ARRIVALS_PER_YEAR,
    LOADED_MODELS,
    SYNTHETIC_USERNAME,
    Generator,
    _seeded_uuid,
    fiscal_window,
    reference_load,
    synthetic_generate,
    synthetic_user,
    years_for,
)
from intake.models import Arrival
from registry.models import Consent, Person, PersonCenter
from registry.names import document_normalise, name_keys
from reporting.models import EventFact
from reporting.summary import summary_built
from services.models import ServiceDelivery, ServiceType

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
    # COPY and plain INSERTs send no signal: the summary tables are rebuilt after the load.
    assert "summary rebuild:" in out.getvalue()
    assert summary_built()
    arrival_facts = EventFact.objects.filter(event=EventFact.Event.ARRIVAL).count()
    assert 0 < arrival_facts <= Arrival.objects.count()


def test_command_on_the_first_day_of_a_fiscal_year(db):
    """At 00:30 on 1 October at the centres the new fiscal year has no past day: the data fills
    the year that ended yesterday (the window was empty, and the command divided by zero)."""
    import time_machine

    with time_machine.travel(datetime(2026, 10, 1, 6, 30, tzinfo=UTC), tick=True):
        call_command("generate_synthetic", "--persons", "40", "--seed", "3", "--no-progress")
    days = {localdate(arrival.arrived_at) for arrival in Arrival.objects.all()}
    assert days and min(days) >= date(2025, 10, 1) and max(days) <= date(2026, 9, 30)


def _rows() -> dict[str, list[tuple]]:
    """Every generated row, every field, in a stable order."""
    return {
        model.__name__: sorted(model.objects.values_list(), key=repr)
        for model in (Person, PersonCenter, Consent, Arrival, Case, ServiceDelivery)
    } | {"counters": sorted(CaseCounter.objects.values_list("center_id", "year", "last"))}


def _without_ids(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    # Consents and centre links have database ids of their own, which go on after a delete.
    rows = dict(rows)
    for name in ("PersonCenter", "Consent"):
        rows[name] = sorted((row[1:] for row in rows[name]), key=repr)
    return rows


@pytest.mark.django_db
def test_same_seed_gives_the_same_rows_field_for_field():
    synthetic_generate(persons=250, seed=21, today=TODAY, batch_size=100)
    first = _without_ids(_rows())
    CaseCounter.objects.all().delete()  # case numbers start again, as in an empty database
    synthetic_generate(persons=250, seed=21, today=TODAY, batch_size=33, fresh=True)
    assert _without_ids(_rows()) == first
    CaseCounter.objects.all().delete()
    synthetic_generate(persons=250, seed=22, today=TODAY, fresh=True)
    assert _without_ids(_rows())["Person"] != first["Person"]


SHARES_PERSONS = 3000


@pytest.mark.django_db
def test_shares_are_those_the_issue_asks_for():
    """GT ~80,000, HN ~90,000, SV ~17,000 a year; mostly air from the US, the rest land from
    Mexico; ~6% minors; ~20% repeat returns; most arrivals get food and a hygiene kit, about
    half transport; 15-20% of persons reintegration services; 1.3 arrivals and ~4 deliveries a
    person (1,300,000 and 4,000,000 for a million)."""
    summary = synthetic_generate(persons=SHARES_PERSONS, seed=5, today=TODAY, batch_size=1000)
    persons = SHARES_PERSONS
    arrivals = Arrival.objects.count()
    assert summary.arrivals == arrivals
    assert summary.deliveries == ServiceDelivery.objects.count()

    by_country = Counter(Person.objects.values_list("nationality__iso2", flat=True))
    total = sum(ARRIVALS_PER_YEAR.values())
    for iso2, per_year in ARRIVALS_PER_YEAR.items():
        assert abs(by_country[iso2] / persons - per_year / total) < 0.03, iso2

    air = Arrival.objects.filter(mode="air", returned_from__iso2="US").count()
    land = Arrival.objects.filter(mode="land", returned_from__iso2="MX").count()
    assert air + land == arrivals
    assert 0.60 <= air / arrivals <= 0.73

    first_arrival: dict[uuid.UUID, date] = {}
    for person_id, at in Arrival.objects.order_by("arrived_at").values_list(
        "person_id", "arrived_at"
    ):
        first_arrival.setdefault(person_id, at.date())
    minors = sum(
        1
        for person in Person.objects.only("id", "birth_date")
        if person.age_on(first_arrival[person.id]) < 18
    )
    assert 0.045 <= minors / persons <= 0.075
    returns = Counter(Arrival.objects.values_list("person_id", flat=True))
    assert 0.17 <= sum(1 for n in returns.values() if n > 1) / persons <= 0.23
    assert 1.26 <= arrivals / persons <= 1.36

    given = ServiceDelivery.objects.filter(voided_at__isnull=True)

    def arrivals_with(code: str) -> float:
        pairs = set(given.filter(service_type__code=code).values_list("person_id", "delivered_on"))
        return len(pairs) / arrivals

    assert arrivals_with("food") > 0.9
    assert arrivals_with("hygiene_kit") > 0.85
    assert 0.45 <= arrivals_with("transport") <= 0.55
    reintegrated = (
        given.filter(service_type__category=ServiceType.Category.REINTEGRATION)
        .values("person_id")
        .distinct()
        .count()
    )
    assert 0.14 <= reintegrated / persons <= 0.21
    assert 3.8 <= ServiceDelivery.objects.count() / persons <= 4.3


@pytest.mark.django_db
def test_copy_text_has_one_column_a_field_and_null_only_where_allowed():
    """The COPY text is written with str(); COPY reads "None" as NULL. No text may hold a tab,
    a newline or a backslash, and "None" may only stand in a column that takes NULL."""
    start, end = fiscal_window(TODAY, 2)
    generator = Generator(
        rng=random.Random(3),
        reference=reference_load(),
        user_id=synthetic_user().pk,
        start=start,
        end=end,
    )
    _done, texts = next(generator.batches(400, 400))
    for writer, data in zip(generator.writers, texts, strict=True):
        lines = data.decode().splitlines()
        assert lines, writer.model.__name__
        assert all("\\" not in line for line in lines)
        for line in lines:
            values = line.split("\t")
            assert len(values) == len(writer.fields)
            for value, model_field in zip(values, writer.fields, strict=True):
                assert value != "None" or model_field.null, (writer.model.__name__, model_field)


def test_uuids_are_version_4_and_drawn_from_the_seed():
    first = [_seeded_uuid(random.Random(9)) for _ in range(3)]
    assert first == [_seeded_uuid(random.Random(9)) for _ in range(3)]
    rng = random.Random(9)
    assert _seeded_uuid(rng) == str(uuid.UUID(int=random.Random(9).getrandbits(128), version=4))
    assert all(uuid.UUID(text).version == 4 for text in first)


def test_years_for_a_million_persons_give_about_the_real_yearly_arrivals():
    today = date(2026, 11, 28)
    years = years_for(1_000_000, today)
    start, end = fiscal_window(today, years)
    per_year = 1_000_000 * 1.31 / (((end - start).days + 1) / 365.25)
    assert abs(per_year / sum(ARRIVALS_PER_YEAR.values()) - 1) < 0.1
    assert years_for(300, today) == 1


def test_the_window_ends_yesterday_and_starts_on_1_october():
    assert fiscal_window(date(2026, 3, 15), 1) == (date(2025, 10, 1), date(2026, 3, 14))
    assert fiscal_window(date(2026, 3, 15), 2) == (date(2024, 10, 1), date(2026, 3, 14))
    assert fiscal_window(date(2026, 10, 2), 1) == (date(2026, 10, 1), date(2026, 10, 1))
    # 1 October: the fiscal year that ended yesterday is the last whole one
    assert fiscal_window(date(2026, 10, 1), 1) == (date(2025, 10, 1), date(2026, 9, 30))
    assert fiscal_window(date(2026, 10, 1), 2) == (date(2024, 10, 1), date(2026, 9, 30))
    assert years_for(300, date(2026, 10, 1)) == 1


def _index_and_constraint_definitions() -> list[str]:
    tables = [model._meta.db_table for model in LOADED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename = ANY(%s)
            UNION ALL
            SELECT conname || ' ' || pg_get_constraintdef(oid) || ' ' || condeferrable::text
                   || condeferred::text || convalidated::text
            FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])
            ORDER BY 1
            """,
            [tables, tables],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and the fast load")
@pytest.mark.django_db
def test_fast_load_in_a_child_rebuilds_every_index_and_constraint_as_it_was():
    before = _index_and_constraint_definitions()
    assert len(before) > 50
    synthetic_generate(
        persons=300, seed=4, today=TODAY, batch_size=70, fast_load=True, in_child=True
    )
    assert _index_and_constraint_definitions() == before
    first = _without_ids(_rows())
    CaseCounter.objects.all().delete()
    # Again over the first: the delete's deferred checks must not stop the rebuild.
    synthetic_generate(
        persons=300, seed=4, today=TODAY, batch_size=300, fresh=True, fast_load=True,
        in_child=False,
    )  # fmt: skip
    assert _index_and_constraint_definitions() == before
    assert _without_ids(_rows()) == first
