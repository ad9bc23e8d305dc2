"""Periods: US fiscal years and quarters, months, years and ranges, and parsing them."""

from datetime import date

import pytest

from reporting.periods import (
    Period,
    calendar_year,
    date_range,
    fiscal_quarter,
    fiscal_year,
    month,
    period_parse,
)


def test_fiscal_year_runs_from_october_to_september():
    fy = fiscal_year(2026)
    assert (fy.start, fy.end, fy.label, fy.kind) == (
        date(2025, 10, 1),
        date(2026, 9, 30),
        "FY2026",
        "fiscal_year",
    )
    assert date(2025, 9, 30) not in fy
    assert date(2025, 10, 1) in fy


@pytest.mark.parametrize(
    ("q", "start", "end"),
    [
        (1, date(2025, 10, 1), date(2025, 12, 31)),
        (2, date(2026, 1, 1), date(2026, 3, 31)),
        (3, date(2026, 4, 1), date(2026, 6, 30)),
        (4, date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_fiscal_quarters_tile_the_fiscal_year(q, start, end):
    quarter = fiscal_quarter(2026, q)
    assert (quarter.start, quarter.end, quarter.label) == (start, end, f"FY2026-Q{q}")
    assert quarter.kind == "fiscal_quarter"


def test_quarters_cover_the_year_without_gaps():
    total = sum(fiscal_quarter(2024, q).days for q in (1, 2, 3, 4))
    assert total == fiscal_year(2024).days == 366  # FY2024 holds 29 February 2024


def test_month_and_calendar_year():
    assert month(2024, 2).end == date(2024, 2, 29)
    assert month(2026, 12).label == "2026-12"
    year = calendar_year(2026)
    assert (year.start, year.end, year.label, year.kind) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        "2026",
        "calendar_year",
    )


@pytest.mark.parametrize(
    "text", ["FY2026", "FY2026-Q1", "FY2026-Q4", "2026-03", "2026", "2026-01-01..2026-02-15"]
)
def test_the_label_parses_back_to_the_same_period(text):
    period = period_parse(text)
    assert period.label == text
    assert period_parse(period.label) == period


def test_parse_gives_the_kinds():
    assert period_parse("fy2026-q2") == fiscal_quarter(2026, 2)
    assert period_parse("2026-03") == month(2026, 3)
    assert period_parse(" 2026 ") == calendar_year(2026)
    assert period_parse("2026-01-01..2026-02-15") == date_range(date(2026, 1, 1), date(2026, 2, 15))
    assert period_parse("2026-01-01..2026-02-15").kind == "range"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "FY26",
        "FY2026-Q5",
        "FY2026-Q0",
        "2026-13",
        "2026-00",
        "2026-02-30..2026-03-01",
        "2026-03-01..2026-02-01",
        "yesterday",
        "2026-01-01..",
    ],
)
def test_parse_refuses_what_is_not_a_period(text):
    with pytest.raises(ValueError):
        period_parse(text)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 31), "x", "range")
