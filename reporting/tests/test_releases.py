"""Closed periods are frozen: a release is what the donor API answers for a closed period."""

from __future__ import annotations

import json
import zoneinfo
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command

from intake.tests.factories import ArrivalFactory
from registry.models import Person
from registry.tests.factories import PersonFactory
from reporting.audit import AuditResult
from reporting.donor_report import donor_report_get
from reporting.exports import report_build
from reporting.indicators import report_compute
from reporting.models import Indicator, Release, ReleaseTable
from reporting.periods import fiscal_quarter, fiscal_year, month
from reporting.releases import (
    PeriodNotClosed,
    ReleaseAuditFailed,
    release_publish,
    released_table,
)
from services.models import ServiceDelivery, ServiceType

GUATEMALA = zoneinfo.ZoneInfo("America/Guatemala")
# The clock is frozen on 10 March 2026 (root conftest): with the default lag of 45 days,
# December 2025 is closed (31 Dec + 45 days = 14 Feb) and January 2026 is not (17 Mar).
DECEMBER, JANUARY, FEBRUARY = month(2025, 12), month(2026, 1), month(2026, 2)
NOVEMBER = month(2025, 11)


def arrive(center, caseworker, when: date, n: int, prefix: str) -> None:
    for i in range(n):
        person = PersonFactory(
            sex=Person.Sex.FEMALE if i % 3 else Person.Sex.MALE,
            birth_date=date(1995, 6, 1),
            document_number=f"{prefix}{i:05d}",
        )
        ArrivalFactory(
            person=person,
            center=center,
            arrived_at=datetime(when.year, when.month, when.day, 9, 0, tzinfo=GUATEMALA),
            registered_by=caseworker,
        )


def pull(client, indicator: str, period: str, by: str = "", lang: str = "en", status=200):
    response = client.get(
        f"/api/v1/aggregates/{indicator}/",
        {"period": period, "by": by},
        HTTP_ACCEPT_LANGUAGE=lang,
    )
    assert response.status_code == status, response.content
    return response


@pytest.fixture
def registry(frozen_clock, center_a, caseworker):
    # One indicator offered keeps each release to a few seconds; test_protection covers all.
    Indicator.objects.exclude(code="received").update(active=False)
    arrive(center_a, caseworker, date(2025, 12, 10), 12, "DE")
    arrive(center_a, caseworker, date(2026, 2, 10), 12, "FE")
    arrive(center_a, caseworker, date(2025, 11, 3), 4, "NO")  # small cells to protect


def test_a_released_period_does_not_move_after_late_changes(
    registry, donor_api, center_a, caseworker
):
    release_publish(period=DECEMBER)
    pulls = [("received", "", "en"), ("received", "sex", "es"), ("received", "age_band,sex", "en")]
    before = [pull(donor_api, i, DECEMBER.label, by, lang).content for i, by, lang in pulls]

    # Late changes inside both months: new arrivals and a service recorded late.
    arrive(center_a, caseworker, date(2025, 12, 20), 10, "LD")
    arrive(center_a, caseworker, date(2026, 2, 20), 10, "LF")
    ServiceDelivery.objects.create(
        person=Person.objects.first(),
        center=center_a,
        service_type=ServiceType.objects.get(code="food"),
        delivered_on=date(2025, 12, 11),
        quantity=1,
        recorded_by=caseworker,
    )

    after = [pull(donor_api, i, DECEMBER.label, by, lang).content for i, by, lang in pulls]
    assert after == before  # the same bytes
    # The month not released yet is not given at all: no two pulls of it to compare.
    pull(donor_api, "received", FEBRUARY.label, status=400)


def test_a_release_answers_with_its_own_time_and_its_own_rule(registry, donor_api):
    refused = pull(donor_api, "received", DECEMBER.label, "sex", status=400).json()
    assert "not released yet" in refused["period"][0]
    release = release_publish(period=DECEMBER)
    frozen = pull(donor_api, "received", DECEMBER.label, "sex").json()
    stamp = frozen.pop("data_as_of")
    assert [c["key"]["sex"] for c in frozen["cells"]] == ["female", "male", "other", "not_stated"]
    # The release's rule: its bound, and the figures agree with each other.
    assert f"within {release.bound} of its true count" in frozen["notes"][0]
    assert frozen["total"]["count"] == sum(c["count"] for c in frozen["cells"])
    # Every table of the period carries the release's time: it says nothing about a person.
    stamps = {json.loads(t.body)["data_as_of"] for t in ReleaseTable.objects.all()}
    assert stamps == {stamp}
    assert datetime.fromisoformat(stamp) == release.created_at


def test_a_period_not_yet_closed_is_refused(registry):
    for period in (JANUARY, FEBRUARY, fiscal_quarter(2026, 2), fiscal_year(2026)):
        with pytest.raises(PeriodNotClosed):
            release_publish(period=period)
    assert not Release.objects.exists()


def test_the_lag_is_a_setting(registry, settings):
    settings.REPORTING_RELEASE_LAG_DAYS = 70  # 31 Dec + 70 days = 11 Mar, after 10 Mar
    with pytest.raises(PeriodNotClosed):
        release_publish(period=DECEMBER)
    settings.REPORTING_RELEASE_LAG_DAYS = 60  # 1 Mar
    assert release_publish(period=DECEMBER).period == "2025-12"


def test_a_month_is_released_with_its_quarter(registry):
    release_publish(period=DECEMBER)
    assert set(Release.objects.values_list("period", flat=True)) == {
        "2025-10",
        "2025-11",
        "2025-12",
        "FY2026-Q1",
    }
    assert len(set(Release.objects.values_list("created_at", flat=True))) == 1


def test_publishing_twice_returns_the_first_release(registry, caseworker):
    first = release_publish(period=DECEMBER, actor=caseworker)
    tables = first.tables.count()
    assert release_publish(period=DECEMBER) == first
    assert Release.objects.count() == 4 and first.tables.count() == tables
    assert (first.k, first.kind) == (10, "month") and first.bound >= 9
    assert first.published_by == caseworker
    # Every indicator offered, in both languages, each pair in both orders.
    assert set(first.tables.values_list("language", flat=True)) == {"es", "en"}
    dims = set(first.tables.values_list("dims", flat=True))
    assert {"", "sex", "sex,age_band", "age_band,sex"} <= dims


def test_release_close_publishes_each_closed_period_once(frozen_clock, db, monkeypatch):
    audit_finding(monkeypatch, recovered=0, pinned=0)  # the audit itself: the tests above
    call_command("release_close", "--years", "1")
    # FY2026 on 10 March 2026: October to December 2025 and the first quarter are closed.
    assert set(Release.objects.values_list("period", flat=True)) == {
        "2025-10",
        "2025-11",
        "2025-12",
        "FY2026-Q1",
    }
    call_command("release_close", "--years", "1")
    assert Release.objects.count() == 4


def audit_finding(monkeypatch, *, recovered: int, pinned: int) -> None:
    import reporting.audit

    result = AuditResult(
        figures=1, sensitive=1, recovered=recovered, pinned=pinned, seconds=0, findings=[]
    )
    monkeypatch.setattr(reporting.audit, "attack", lambda published, **kw: result)


def test_a_period_whose_audit_recovers_a_figure_is_refused(registry, monkeypatch):
    audit_finding(monkeypatch, recovered=1, pinned=0)
    with pytest.raises(ReleaseAuditFailed):
        release_publish(period=DECEMBER)
    assert not Release.objects.exists()


def test_pinned_figures_refuse_a_release(registry, monkeypatch):
    audit_finding(monkeypatch, recovered=0, pinned=2)
    with pytest.raises(ReleaseAuditFailed):
        release_publish(period=DECEMBER)
    assert not Release.objects.exists()


def test_release_close_goes_on_past_a_refused_period(frozen_clock, db, monkeypatch):
    audit_finding(monkeypatch, recovered=1, pinned=0)
    with pytest.raises(CommandError):
        call_command("release_close", "--years", "1")
    assert not Release.objects.exists()


@pytest.mark.parametrize("dims", [(), ("sex",), ("sex", "age_band"), ("age_band", "sex")])
def test_a_released_table_is_protected_and_adds_up(registry, dims):
    raw = report_compute(indicator="received", period=NOVEMBER, dims=dims)
    release = release_publish(period=NOVEMBER)
    frozen = released_table(period=NOVEMBER, indicator="received", dims=dims)
    assert frozen.data_as_of == release.created_at
    assert (frozen.rows, frozen.cols, frozen.unit, frozen.k) == (raw.rows, raw.cols, raw.unit, 10)
    shown = [*frozen.cells.values(), *frozen.row_totals.values(), *frozen.col_totals.values()]
    assert not [value for value in shown if 0 < value < 10]  # no count from 1 to k-1
    for entry, true in raw.cells.items():
        assert abs(frozen.cells[entry] - true) <= release.bound
    # Sex is fixed per person: the published women and men add up to the published total.
    if dims and dims[0] == "sex":
        assert frozen.total == sum(frozen.row_totals.values())


def test_the_export_and_the_donor_report_read_the_release(registry, donor, center_a, caseworker):
    def shown():
        built = report_build(period=DECEMBER, center_ids=None, k=10)
        page = donor_report_get(user=donor, period=DECEMBER)["indicators"]
        return (
            [(r.headline.total, r.headline.data_as_of, r.by_dim["sex"].cells) for r in built],
            [(i["total"], [t.rows for t in i["tables"]]) for i in page],
        )

    release = release_publish(period=DECEMBER)
    before = shown()
    assert {stamp for _total, stamp, _cells in before[0]} == {release.created_at}
    arrive(center_a, caseworker, date(2025, 12, 20), 10, "LD")
    assert shown() == before


def test_the_audit_of_a_release_recovers_and_pins_nothing(registry, capsys):
    from reporting.audit import disclosure_audit

    result = disclosure_audit(fiscal_quarter(2026, 1), exact=True, check=None)
    assert result.sensitive > 0  # November's 4 arrivals and their cells
    assert (result.recovered, result.pinned, result.changing) == (0, 0, 0)
    assert result.certified == result.solved == result.sensitive
    call_command("disclosure_audit", "--period", "FY2026-Q1")
    out = capsys.readouterr().out
    assert "recovered exactly: 0" in out and "pinned in [1, k-1]: 0" in out


def test_single_tables_read_off_a_pair_are_the_tables_the_database_counts(registry):
    from reporting.disclosure import donor_combinations
    from reporting.indicators import period_tables

    tables = period_tables(
        indicator="received", period=NOVEMBER, combinations=donor_combinations("received")
    )
    for dims, derived in tables.items():
        counted = report_compute(indicator="received", period=NOVEMBER, dims=dims)
        for name in ("rows", "cols", "cells", "row_totals", "col_totals", "total", "keys"):
            assert getattr(derived, name) == getattr(counted, name), (dims, name)


def test_a_later_return_does_not_make_an_earlier_repeat_returnee(registry, center_a, caseworker):
    before = report_compute(indicator="repeat_returnees", period=NOVEMBER).total
    returning = Person.objects.get(document_number="NO00000")
    ArrivalFactory(
        person=returning,
        center=center_a,
        arrived_at=datetime(2026, 2, 25, 9, 0, tzinfo=GUATEMALA),
        registered_by=caseworker,
    )
    assert report_compute(indicator="repeat_returnees", period=NOVEMBER).total == before == 0
    assert report_compute(indicator="repeat_returnees", period=FEBRUARY).total == 1


@pytest.mark.parametrize("change", ["late_service", "return", "withdrawal"])
def test_two_pulls_around_one_change_read_off_nothing(
    registry, donor_api, center_a, caseworker, change
):
    """The three scenarios of the disclosure audit: between two pulls one person changes
    (a service recorded late, a return, a consent to be counted withdrawn). Every table a
    donor can get for the released periods is the same bytes before and after, and the
    period that holds the change is not given at all: no difference to read anything off."""
    from registry.models import Consent
    from reporting.disclosure import donor_combinations

    release_publish(period=NOVEMBER)  # the first quarter of FY2026, with its months
    periods = [NOVEMBER.label, "FY2026-Q1"]  # within the 120 pulls an hour, twice
    combinations = [",".join(c) for c in donor_combinations("received")]

    def everything() -> list[bytes]:
        return [
            pull(donor_api, "received", period, by).content
            for period in periods
            for by in combinations
        ]

    before = everything()
    person = Person.objects.get(document_number="NO00001")  # one of November's 4
    if change == "late_service":
        ServiceDelivery.objects.create(
            person=person,
            center=center_a,
            service_type=ServiceType.objects.get(code="food"),
            delivered_on=date(2025, 11, 4),
            quantity=1,
            recorded_by=caseworker,
        )
    elif change == "return":
        ArrivalFactory(
            person=person,
            center=center_a,
            arrived_at=datetime(2026, 3, 1, 9, 0, tzinfo=GUATEMALA),
            registered_by=caseworker,
        )
    else:
        Consent.objects.create(
            person=person,
            kind=Consent.Kind.ANONYMISED_STATISTICS,
            granted=False,
            recorded_by=caseworker,
        )
    assert everything() == before
    for period in ("2026-03", "FY2026-Q2", "FY2026"):
        pull(donor_api, "received", period, status=400)
