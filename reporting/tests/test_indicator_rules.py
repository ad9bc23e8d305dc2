"""Counting rules on small hand-made cases: local dates at the turn of the fiscal year, ages at
the local date, restriction to centres, and persons who refused to be counted in statistics.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from intake.models import Arrival
from registry.models import TIME_ZONES, Consent, Country, Person
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory
from reporting import disaggregations, indicators
from reporting.indicators import ALL, report_compute
from reporting.periods import fiscal_year, month

TOKYO = "Asia/Tokyo"
GUATEMALA = zoneinfo.ZoneInfo("America/Guatemala")


@pytest.fixture
def tokyo(monkeypatch):
    """A fourth time zone, nine hours ahead of UTC, known to the reporting code for the test."""
    zones = [*TIME_ZONES, (TOKYO, TOKYO)]
    monkeypatch.setattr(indicators, "TIME_ZONES", zones)
    monkeypatch.setattr(disaggregations, "TIME_ZONES", zones)


@pytest.fixture
def at_midnight(db, tokyo):
    staff = UserFactory(username="recorder")
    gua = ReceptionCenterFactory(code="GUA", time_zone="America/Guatemala")
    tyo = ReceptionCenterFactory(code="TYO", time_zone=TOKYO)

    def arrive(center, when: datetime) -> Arrival:
        return Arrival.objects.create(
            person=PersonFactory(),
            center=center,
            arrived_at=when,
            mode="air",
            returned_from=Country.objects.get(iso2="US"),
            registered_by=staff,
        )

    return arrive, gua, tyo


def test_an_arrival_counts_in_the_fiscal_year_of_its_local_date(at_midnight):
    arrive, gua, tyo = at_midnight
    # 23:50 on 30 September in Guatemala is already 1 October in UTC: still FY2025.
    arrive(gua, datetime(2025, 9, 30, 23, 50, tzinfo=GUATEMALA))
    # 00:10 on 1 October in Guatemala: FY2026.
    arrive(gua, datetime(2025, 10, 1, 0, 10, tzinfo=GUATEMALA))
    # 20:00 UTC on 30 September is 05:00 on 1 October in Tokyo: FY2026 there.
    arrive(tyo, datetime(2025, 9, 30, 20, 0, tzinfo=zoneinfo.ZoneInfo("UTC")))

    fy25 = report_compute(indicator="received", period=fiscal_year(2025), dims=("center",))
    fy26 = report_compute(indicator="received", period=fiscal_year(2026), dims=("center",))
    assert fy25.cells == {("GUA", ALL): 1, ("TYO", ALL): 0} or fy25.cells == {("GUA", ALL): 1}
    assert fy26.cells == {("GUA", ALL): 1, ("TYO", ALL): 1}
    assert (fy25.total, fy26.total) == (1, 2)


def test_age_is_taken_at_the_local_date_of_the_arrival(at_midnight):
    arrive, gua, _tyo = at_midnight
    arrival = arrive(gua, datetime(2025, 9, 30, 23, 50, tzinfo=GUATEMALA))
    # Eighteen on 1 October (the UTC date), still seventeen on 30 September (the local date).
    Person.objects.filter(pk=arrival.person_id).update(birth_date=date(2007, 10, 1))
    table = report_compute(indicator="received", period=fiscal_year(2025), dims=("age_band",))
    assert table.cells[("12-17", ALL)] == 1
    assert table.cells[("18-24", ALL)] == 0


def test_centre_restriction_counts_only_those_centres(at_midnight):
    arrive, gua, tyo = at_midnight
    arrive(gua, datetime(2026, 3, 1, 12, 0, tzinfo=GUATEMALA))
    arrive(tyo, datetime(2026, 3, 1, 12, 0, tzinfo=GUATEMALA))
    table = report_compute(
        indicator="received",
        period=month(2026, 3),
        dims=("center",),
        center_ids=frozenset({gua.pk}),
    )
    assert (table.rows, table.total) == (["GUA"], 1)
    assert report_compute(indicator="received", period=month(2026, 3)).total == 2


# --- Consent ------------------------------------------------------------------------------


@pytest.fixture
def two_persons(db):
    staff = UserFactory(username="recorder")
    center = ReceptionCenterFactory(code="GUA")
    persons = [PersonFactory(document_number=f"C{n}") for n in range(2)]
    for person in persons:
        Arrival.objects.create(
            person=person,
            center=center,
            arrived_at=datetime(2026, 3, 3, 10, tzinfo=GUATEMALA),
            mode="air",
            returned_from=Country.objects.get(iso2="US"),
            registered_by=staff,
        )
    return staff, persons


def _consent(staff, person, granted: bool, days_ago: int) -> None:
    Consent.objects.create(
        person=person,
        kind=Consent.Kind.ANONYMISED_STATISTICS,
        granted=granted,
        recorded_at=timezone.now() - timedelta(days=days_ago),
        recorded_by=staff,
    )


def _received() -> int:
    return report_compute(indicator="received", period=month(2026, 3)).total


def test_a_person_with_no_answer_is_counted(two_persons):
    assert _received() == 2


def test_a_person_who_refused_is_counted_nowhere(two_persons):
    staff, (refusing, _other) = two_persons
    _consent(staff, refusing, False, days_ago=1)
    assert _received() == 1
    for dims in [("sex",), ("center",), ("sex", "age_band")]:
        table = report_compute(indicator="received", period=month(2026, 3), dims=dims)
        assert table.total == 1
        assert sum(v for v in table.cells.values()) == 1


def test_the_latest_answer_is_in_force(two_persons):
    staff, (person, other) = two_persons
    _consent(staff, person, False, days_ago=5)
    _consent(staff, person, True, days_ago=1)  # granted again
    _consent(staff, other, True, days_ago=5)
    _consent(staff, other, False, days_ago=1)  # withdrawn
    assert _received() == 1
    table = report_compute(indicator="received", period=month(2026, 3), dims=("sex",))
    assert table.total == 1
