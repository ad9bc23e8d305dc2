"""Every indicator, by every dimension, against a brute-force count of the same rows in Python.

The dataset is random (seeded) and small: four centres (one in Asia/Tokyo, added to the time
zones for the test, so that the local date really differs from Guatemala's), persons of every
sex, with and without dates of birth and departments, repeat arrivals, arrivals minutes either
side of midnight at the turn of the fiscal year, voided and not-completed deliveries, persons
with vulnerabilities on two cases, and persons who refused (or refused and then granted) to be
counted in statistics.
"""

from __future__ import annotations

import random
import uuid
import zoneinfo
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from casework.models import Case
from intake.models import Arrival
from registry.models import TIME_ZONES, Consent, Country, Department, Person, VulnerabilityCategory
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory
from reporting import disaggregations, indicators
from reporting.disaggregations import DELIVERY, DISAGGREGATIONS, age_band_of
from reporting.indicators import ALL, BASE, INDICATORS, SUMMARY, report_compute
from reporting.periods import (
    calendar_year,
    date_range,
    fiscal_quarter,
    fiscal_year,
    month,
)
from reporting.summary import summary_rebuild
from services.models import ServiceDelivery, ServiceType

TOKYO = "Asia/Tokyo"
GUATEMALA = zoneinfo.ZoneInfo("America/Guatemala")


@pytest.fixture
def tokyo(monkeypatch):
    """A fourth time zone, nine hours ahead of UTC, known to the reporting code for the test."""
    zones = [*TIME_ZONES, (TOKYO, TOKYO)]
    monkeypatch.setattr(indicators, "TIME_ZONES", zones)
    monkeypatch.setattr(disaggregations, "TIME_ZONES", zones)


def _local(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


@pytest.fixture(scope="module")
def _dataset(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        data = _dataset_build()
        # The summary tables are built from the same rows (with the fourth time zone known).
        with pytest.MonkeyPatch.context() as patch:
            zones = [*TIME_ZONES, (TOKYO, TOKYO)]
            patch.setattr(indicators, "TIME_ZONES", zones)
            patch.setattr(disaggregations, "TIME_ZONES", zones)
            summary_rebuild()
        yield data
        transaction.set_rollback(True)


@pytest.fixture
def dataset(_dataset, db, tokyo):
    return _dataset


def _dataset_build():
    rng = random.Random(20260930)
    staff = UserFactory(username="recorder")
    centers = [
        ReceptionCenterFactory(code="GUA", time_zone="America/Guatemala"),
        ReceptionCenterFactory(code="SPS", time_zone="America/Tegucigalpa"),
        ReceptionCenterFactory(code="SAL", time_zone="America/El_Salvador"),
        ReceptionCenterFactory(code="TYO", time_zone=TOKYO),
    ]
    nationalities = list(Country.objects.filter(iso2__in=["GT", "HN", "SV"]))
    returned_from = list(Country.objects.filter(iso2__in=["US", "MX"]))
    departments = [None, *Department.objects.order_by("iso_code")[:4]]
    vulnerabilities = list(VulnerabilityCategory.objects.order_by("sort_order")[:3])
    service_types = list(
        ServiceType.objects.filter(
            code__in=[
                "food",
                "hygiene_kit",
                "psych_first_aid",
                "vocational_training",
                "skills_certification",
                "financial_education",
                "job_placement",
                "psychosocial_group",
                "legal_assistance",
            ]
        )
    )
    around_new_year = [date(2025, 9, 30), date(2025, 10, 1)]

    persons = []
    counted = []  # persons who never refused to be counted
    for n in range(36):
        birth = rng.choice(
            [
                None,
                date(2010, 10, 1),  # turns 15 on the first day of FY2026
                date(2008, 2, 29),
                date(1990 + rng.randrange(25), rng.randrange(1, 13), rng.randrange(1, 28)),
                date(1940 + rng.randrange(30), rng.randrange(1, 13), rng.randrange(1, 28)),
                date(2020 + rng.randrange(4), rng.randrange(1, 13), rng.randrange(1, 28)),
            ]
        )
        person = PersonFactory(
            sex=rng.choice(Person.Sex.values),
            birth_date=birth,
            nationality=rng.choice(nationalities),
            origin_department=rng.choice(departments),
            document_number=f"R{n:07d}",
        )
        persons.append(person)

        for _arrival in range(rng.choice([1, 1, 2, 3])):
            center = rng.choice(centers)
            if rng.random() < 0.35:
                day = rng.choice(around_new_year)
                hour, minute = rng.choice([(0, 10), (23, 50), (12, 0)])
            else:
                day = date(2025, 6, 1) + timedelta(days=rng.randrange(400))
                hour, minute = rng.randrange(24), rng.randrange(60)
            Arrival.objects.create(
                person=person,
                center=center,
                arrived_at=_local(day, hour, minute, center.time_zone),
                mode=rng.choice(Arrival.Mode.values),
                returned_from=rng.choice(returned_from),
                travel_group=rng.choice(Arrival.TravelGroup.values),
                registered_by=staff,
            )

        for case_center in rng.sample(centers, rng.choice([0, 0, 1, 2])):
            case = Case.objects.create(
                number=f"T-{case_center.code}-{n}",
                person=person,
                center=case_center,
                opened_by=staff,
            )
            # Two cases can share a vulnerability: the person still counts once in its cell.
            case.vulnerabilities.set(rng.sample(vulnerabilities, rng.choice([0, 1, 2])))

        for _delivery in range(rng.choice([0, 1, 2, 4])):
            service_type = rng.choice(service_types)
            voided = rng.random() < 0.15
            ServiceDelivery.objects.create(
                person=person,
                center=rng.choice(centers),
                service_type=service_type,
                delivered_on=rng.choice(around_new_year)
                if rng.random() < 0.3
                else date(2025, 6, 1) + timedelta(days=rng.randrange(400)),
                quantity=rng.randrange(1, 4),
                status=rng.choice(
                    [ServiceDelivery.Status.COMPLETED] * 3 + list(ServiceDelivery.Status.values)
                ),
                training_completed=rng.choice([True, False, None]),
                voided_at=timezone.now() if voided else None,
                void_reason="error" if voided else "",
                recorded_by=staff,
            )

        answers = rng.choice([[], [], [True], [False], [False, True], [True, False]])
        if not answers or answers[-1]:
            counted.append(person)
        for i, granted in enumerate(answers):
            Consent.objects.create(
                person=person,
                kind=Consent.Kind.ANONYMISED_STATISTICS,
                granted=granted,
                recorded_at=timezone.now() - timedelta(days=10 - i),
                recorded_by=staff,
            )
        # Another kind of consent refused says nothing about statistics.
        if rng.random() < 0.2:
            Consent.objects.create(
                person=person, kind=Consent.Kind.FOLLOW_UP_CONTACT, granted=False, recorded_by=staff
            )
    # Every rule meets rows on both sides of the turn of the fiscal year, whatever the dice said.
    by_code = {st.code: st for st in service_types}
    for n, (code, day) in enumerate(
        (code, day)
        for code in ("vocational_training", "skills_certification", "job_placement")
        for day in around_new_year
    ):
        ServiceDelivery.objects.create(
            person=counted[n],
            center=centers[n % 4],
            service_type=by_code[code],
            delivered_on=day,
            training_completed=True,
            recorded_by=staff,
        )
    return {"centers": centers}


# --- The brute force: loops over every row, in Python, in the test only -----------------------


class Rows:
    """Every row of the dataset, loaded once, for counting by hand."""

    def __init__(self) -> None:
        latest = {}
        for consent in Consent.objects.filter(kind=Consent.Kind.ANONYMISED_STATISTICS).order_by(
            "recorded_at", "pk"
        ):
            latest[consent.person_id] = consent.granted
        self.refusing = {person for person, granted in latest.items() if granted is False}
        self.vulnerabilities = defaultdict(set)
        for person_id, code in Case.vulnerabilities.through.objects.values_list(
            "case__person_id", "vulnerabilitycategory__code"
        ):
            self.vulnerabilities[person_id].add(code)
        self.arrivals = list(
            Arrival.objects.select_related(
                "center", "returned_from", "person__nationality", "person__origin_department"
            )
        )
        self.deliveries = list(
            ServiceDelivery.objects.select_related(
                "service_type", "center", "person__nationality", "person__origin_department"
            )
        )


def _arrival_local_date(arrival: Arrival) -> date:
    return arrival.arrived_at.astimezone(zoneinfo.ZoneInfo(arrival.center.time_zone)).date()


def _events(data: Rows, code: str, period) -> list[tuple[object, date]]:
    """(row, local date) of the rows the indicator counts, by hand."""
    rule = INDICATORS[code]
    rows = []
    if rule.event == DELIVERY:
        for delivery in data.deliveries:
            st = delivery.service_type
            if delivery.status != "completed" or delivery.voided_at is not None:
                continue
            if not period.start <= delivery.delivered_on <= period.end:
                continue
            wanted = {
                "received_aid": st.category == "aid",
                "received_reintegration": st.category == "reintegration",
                "services_delivered": True,
                "completed_training": st.code in ("vocational_training", "skills_certification")
                and delivery.training_completed is True,
                "placed_in_jobs": st.code == "job_placement",
                "psychosocial_support": st.dimension == "psychosocial",
            }[code]
            if wanted and delivery.person_id not in data.refusing:
                rows.append((delivery, delivery.delivered_on))
        return rows
    by_person = defaultdict(list)
    for arrival in data.arrivals:
        by_person[arrival.person_id].append(arrival)
    for arrival in data.arrivals:
        day = _arrival_local_date(arrival)
        if not period.start <= day <= period.end or arrival.person_id in data.refusing:
            continue
        others = [a for a in by_person[arrival.person_id] if a.pk != arrival.pk]
        # Both count arrivals that are not the person's first; repeat returnees are the
        # persons with one (by the end of the period, so a later return changes nothing).
        if code in ("repeat_returnees", "repeat_arrivals") and not any(
            (a.arrived_at, a.pk) < (arrival.arrived_at, arrival.pk) for a in others
        ):
            continue
        rows.append((arrival, day))
    return rows


def _values(data: Rows, row, day: date, dim: str) -> list[str]:
    person = row.person
    if dim == "sex":
        return [person.sex]
    if dim == "age_band":
        return [age_band_of(person.age_on(day))]
    if dim == "country":
        return [person.nationality.iso2]
    if dim == "department":
        return [person.origin_department.iso_code if person.origin_department else "unknown"]
    if dim == "center":
        return [row.center.code]
    if dim == "mode":
        return [row.mode]
    if dim == "returned_from":
        return [row.returned_from.iso2]
    if dim == "unaccompanied_minor":
        return ["yes" if row.travel_group == "unaccompanied_minor" else "no"]
    if dim == "vulnerability":
        return sorted(data.vulnerabilities.get(person.pk, ())) or ["none"]
    if dim == "service_type":
        return [row.service_type.code]
    raise AssertionError(dim)


def _keys(data: Rows, row, day: date, dims: tuple[str, ...]) -> tuple[list[str], list[str]]:
    first = _values(data, row, day, dims[0]) if dims else [ALL]
    second = _values(data, row, day, dims[1]) if len(dims) == 2 else [ALL]
    return first, second


def _brute_force(data: Rows, code: str, period, dims: tuple[str, ...]):
    """{key: set of units} for cells, row margins, column margins, and the set for the total."""
    persons = INDICATORS[code].unit == "persons"
    cells, rows, cols, total = defaultdict(set), defaultdict(set), defaultdict(set), set()
    for row, day in _events(data, code, period):
        unit = row.person_id if persons else row.pk
        total.add(unit)
        first, second = _keys(data, row, day, dims)
        for a in first:
            rows[a].add(unit)
            for b in second:
                cells[(a, b)].add(unit)
        for b in second:
            cols[b].add(unit)
    return cells, rows, cols, total


PERIODS = [
    fiscal_year(2026),
    fiscal_year(2025),
    fiscal_quarter(2026, 1),
    month(2025, 9),
    month(2025, 10),
    calendar_year(2025),
    date_range(date(2025, 9, 30), date(2025, 10, 1)),
]


def _dims_for(code: str) -> list[tuple[str, ...]]:
    event = INDICATORS[code].event
    singles = [(d,) for d, spec in DISAGGREGATIONS.items() if event in spec.events]
    pairs = [("sex", "age_band"), ("vulnerability", "center"), ("center", "vulnerability")]
    return [(), *singles, *pairs]


def _assert_matches(data: Rows, table, code: str, period, dims: tuple[str, ...]) -> None:
    cells, rows, cols, total = _brute_force(data, code, period, dims)
    where = f"{code} {period.label} {dims}"
    assert table.total == len(total), where
    for key, units in cells.items():
        assert key[0] in table.rows and key[1] in table.cols, f"{where}: {key} not shown"
        assert table.cells[key] == len(units), f"{where} cell {key}"
    for key, value in table.cells.items():
        assert value == len(cells.get(key, ())), f"{where} cell {key}"
    if len(dims) == 2:
        for r in table.rows:
            assert table.row_totals[r] == len(rows.get(r, ())), f"{where} row {r}"
        for c in table.cols:
            assert table.col_totals[c] == len(cols.get(c, ())), f"{where} col {c}"
    else:
        assert sum(table.col_totals.values()) == table.total
    assert table.suppressed == set()


@pytest.mark.parametrize("source", [BASE, SUMMARY])
@pytest.mark.parametrize("code", list(INDICATORS))
def test_indicator_matches_a_count_by_hand(dataset, code, source):
    """From the base tables, and from the summary: counted from the events the first time,
    read from the kept table the second."""
    data = Rows()
    for period in PERIODS[:4]:
        for dims in _dims_for(code):
            for _again in range(2 if source == SUMMARY else 1):
                table = report_compute(indicator=code, period=period, dims=dims, source=source)
                _assert_matches(data, table, code, period, dims)
    for period in PERIODS[4:]:
        for dims in [(), ("center",), ("age_band",)]:
            table = report_compute(indicator=code, period=period, dims=dims, source=source)
            _assert_matches(data, table, code, period, dims)


def test_the_dataset_is_not_trivial(dataset):
    """The comparison above means something: every indicator counts someone in FY2026."""
    for code in INDICATORS:
        assert report_compute(indicator=code, period=fiscal_year(2026)).total > 0, code
    # and unique-person totals really are less than the sum of the cells somewhere
    table = report_compute(indicator="received", period=fiscal_year(2026), dims=("vulnerability",))
    assert table.total < sum(table.cells.values())


def test_quantities_are_summed_per_cell_and_in_totals(dataset):
    period = fiscal_year(2026)
    data = Rows()
    for dims in [(), ("service_type",), ("vulnerability",), ("service_type", "center")]:
        table = report_compute(indicator="services_delivered", period=period, dims=dims)
        expected = defaultdict(int)
        rows_q, cols_q, total_q = defaultdict(int), defaultdict(int), 0
        for row, day in _events(data, "services_delivered", period):
            first, second = _keys(data, row, day, dims)
            total_q += row.quantity
            for a in first:
                rows_q[a] += row.quantity
                for b in second:
                    expected[(a, b)] += row.quantity
            for b in second:
                cols_q[b] += row.quantity
        for key, value in table.quantities.items():
            assert value == expected.get(key, 0), (dims, key)
        assert table.quantity_total == total_q
        if len(dims) == 2:
            assert table.quantity_row_totals == {r: rows_q.get(r, 0) for r in table.rows}
            assert table.quantity_col_totals == {c: cols_q.get(c, 0) for c in table.cols}


def test_other_indicators_have_no_quantities(dataset):
    assert report_compute(indicator="received", period=fiscal_year(2026)).quantities is None


@pytest.mark.parametrize("source", [BASE, SUMMARY])
def test_counts_are_made_by_the_database_in_a_few_queries(
    dataset, django_assert_max_num_queries, source
):
    # From the summary, the first count also reads its state and keeps the table (11 queries).
    extra = 11 if source == SUMMARY else 0
    with django_assert_max_num_queries(4 + extra):
        report_compute(
            indicator="received", period=fiscal_year(2026), dims=("sex", "age_band"), source=source
        )
    # vulnerability: one query per category and "none", for cells and for the margin
    categories = VulnerabilityCategory.objects.count()
    with django_assert_max_num_queries(2 * (categories + 1) + 4 + extra):
        report_compute(
            indicator="received_aid",
            period=fiscal_year(2026),
            dims=("vulnerability", "sex"),
            source=source,
        )


def test_a_kept_table_is_read_in_two_queries(dataset, django_assert_num_queries):
    """Once counted, a whole period's table is one row of the summary, whatever the data size."""
    report_compute(indicator="received_aid", period=fiscal_year(2026), dims=("sex", "age_band"))
    with django_assert_num_queries(2):
        table = report_compute(
            indicator="received_aid", period=fiscal_year(2026), dims=("sex", "age_band")
        )
    assert (
        table.total
        == report_compute(indicator="received_aid", period=fiscal_year(2026), source=BASE).total
    )


# --- What cannot be computed --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "dims"),
    [
        ("received_aid", ("mode",)),
        ("services_delivered", ("unaccompanied_minor",)),
        ("received", ("service_type",)),
        ("received", ("sex", "sex")),
        ("received", ("sex", "age_band", "center")),
        ("received", ("eye_colour",)),
    ],
)
def test_dimensions_that_do_not_apply_are_refused(code, dims):
    with pytest.raises(ValueError):
        report_compute(indicator=code, period=fiscal_year(2026), dims=dims)


@pytest.mark.django_db
def test_an_unknown_indicator_is_refused():
    with pytest.raises(ValueError):
        report_compute(indicator="happiness", period=fiscal_year(2026))


@pytest.mark.django_db
def test_every_seeded_indicator_has_a_rule_and_both_languages():
    from reporting.models import Indicator

    seeded = {i.code: i for i in Indicator.objects.all()}
    assert set(seeded) == set(INDICATORS)
    for indicator in seeded.values():
        assert indicator.counting_rule in INDICATORS
        assert indicator.name_es and indicator.name_en and indicator.name_es != indicator.name_en
        assert indicator.definition_es and indicator.definition_en


def test_ids_are_uuids_so_persons_never_collide_with_deliveries():
    # the brute force keys unique persons by their UUID and rows by (unit, pk)
    assert isinstance(Person._meta.pk.default(), uuid.UUID)
