"""What a donor reviewer reads on screen: the periods offered, the report, the indicator sheets.

The figures come from `exports.report_build`, the function the XLSX and CSV exports call, which
passes every table through the same disclosure control as the donor API: the screen, the files
and the API show the same protected numbers. Nothing here counts or suppresses anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .api.views import indicators_offered
from .dashboard_forms import fiscal_year_of, period_name
from .disaggregations import ARRIVAL, DELIVERY, DISAGGREGATIONS
from .disclosure import default_k, disclosure_note, donor_combinations
from .exports import (
    EXPORT_DIMS,
    SUPPRESSED_MARK,
    IndicatorReport,
    export_center_scope,
    report_build,
)
from .indicators import ALL, ARRIVALS, DELIVERIES, PERSONS, Table, rule_for
from .models import AggregatePull, Indicator
from .periods import FISCAL_QUARTER, FISCAL_YEAR, MONTH, Period, fiscal_quarter, fiscal_year, month
from .releases import released_periods, scope_note

FISCAL_YEARS_OFFERED = 3  # the current fiscal year and the two before it


# --- periods --------------------------------------------------------------------------------


def _months_of(period: Period) -> list[Period]:
    months, day = [], period.start
    while day <= period.end:
        months.append(month(day.year, day.month))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def donor_periods(today: date) -> list[tuple[str, list[Period]]]:
    """The whole periods offered, grouped by kind, newest first: the last fiscal years, their
    quarters and their months, each once it has started (before, it has nothing to show)."""
    current = fiscal_year_of(today)
    years = [fiscal_year(current - back) for back in range(FISCAL_YEARS_OFFERED)]
    quarters = [fiscal_quarter(current - back, q) for back in range(3) for q in (4, 3, 2, 1)]
    quarters = [q for q in quarters if q.start <= today]
    months = [m for q in quarters for m in reversed(_months_of(q)) if m.start <= today]
    return [
        (gettext("Fiscal years (October to September)"), years),
        (gettext("Fiscal quarters"), quarters),
        (gettext("Months"), months),
    ]


def donor_period_name(period: Period) -> str:
    """A fiscal quarter reads with its months ("Año fiscal 2026, trimestre 1 (octubre a
    diciembre de 2025)"): donors plan by fiscal year, readers think in months."""
    name = period_name(period)
    if period.kind != FISCAL_QUARTER:
        return name
    return gettext("%(quarter)s (%(first)s to %(last)s)") % {
        "quarter": name,
        "first": formats.date_format(period.start, "F"),
        "last": formats.date_format(period.end, "YEAR_MONTH_FORMAT"),
    }


def donor_period_choices(today: date) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (group, [(p.label, donor_period_name(p)) for p in periods])
        for group, periods in donor_periods(today)
    ]


def released_period_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The released periods, grouped as `donor_period_choices` groups them."""
    groups: dict[str, list[tuple[str, str]]] = {FISCAL_YEAR: [], FISCAL_QUARTER: [], MONTH: []}
    for period in released_periods():
        groups[period.kind].append((period.label, donor_period_name(period)))
    names = {
        FISCAL_YEAR: gettext("Fiscal years (October to September)"),
        FISCAL_QUARTER: gettext("Fiscal quarters"),
        MONTH: gettext("Months"),
    }
    return [(names[kind], choices) for kind, choices in groups.items() if choices]


def period_choices_for(user: AbstractBaseUser, today: date):
    """The periods a reader may choose: released ones for a reader of all centres (a donor),
    every whole period for a programme manager (their centres, computed on request)."""
    if export_center_scope(user) is None:
        return released_period_choices()
    return donor_period_choices(today)


def default_period_for(user: AbstractBaseUser, today: date) -> Period | None:
    """The newest released quarter for a donor (None before any release); else the last
    quarter that has ended."""
    if export_center_scope(user) is None:
        quarters = [p for p in released_periods() if p.kind == FISCAL_QUARTER]
        return quarters[0] if quarters else None
    return donor_default_period(today)


def donor_default_period(today: date) -> Period:
    """The last fiscal quarter that has ended (the one a quarterly report is due for)."""
    _name, quarters = donor_periods(today)[1]
    ended = [quarter for quarter in quarters if quarter.end < today]
    return ended[0] if ended else fiscal_year(fiscal_year_of(today))


# --- the report -------------------------------------------------------------------------------


@dataclass
class ShownTable:
    title: str
    # label, code shown beside it (or ""), count, quantity (SUPPRESSED_MARK when withheld)
    rows: list[tuple[str, str, Any, Any]]
    total: Any
    quantity_total: Any


def _shown(value: int | None) -> Any:
    return SUPPRESSED_MARK if value is None else value


def _shown_table(report: IndicatorReport, dim: str) -> ShownTable:
    table: Table = report.by_dim[dim]
    quantities = table.quantities or {}
    # A department reads with its ISO code: "La Paz" is in Honduras and in El Salvador.
    with_code = dim == "department"
    return ShownTable(
        title=str(DISAGGREGATIONS[dim].label),
        rows=[
            (
                report.labels[dim].get(row, row),
                row if with_code and report.labels[dim].get(row, row) != row else "",
                _shown(table.cells[(row, ALL)]),
                _shown(quantities.get((row, ALL))),
            )
            for row in table.rows
        ],
        total=_shown(table.total),
        quantity_total=_shown(table.quantity_total),
    )


def donor_report_get(*, user: AbstractBaseUser, period: Period) -> dict[str, Any]:
    """The report of the period as the user's export would hold it (same scope, same k); every
    table shown is logged as handed out, as the aggregate API logs its tables."""
    k = default_k()
    reports = report_build(period=period, center_ids=export_center_scope(user), k=k)
    AggregatePull.objects.bulk_create(
        AggregatePull(user=user, indicator=report.code, period=period.label, dims=",".join(dims))
        for report in reports
        for dims in [(), *((dim,) for dim in EXPORT_DIMS)]
    )
    return {
        "period": period,
        "period_name": donor_period_name(period),
        "note": scope_note(period, center_ids=export_center_scope(user), k=k),
        "mark": SUPPRESSED_MARK,
        "indicators": [
            {
                "code": report.code,
                "name": report.name,
                "definition": report.definition,
                "quantities": report.headline.quantities is not None,
                "total": _shown(report.headline.total),
                "quantity_total": _shown(report.headline.quantity_total),
                "tables": [_shown_table(report, dim) for dim in EXPORT_DIMS],
            }
            for report in reports
        ],
    }


# --- indicator reference sheets (a PIRS per indicator, USAID ADS 201) -------------------------

DATA_SOURCES = {
    ARRIVAL: _(
        "Arrivals registered in Retorno by the caseworkers of the reception centres: one record "
        "per return event, with the person's sex, date of birth, nationality and department of "
        "origin as recorded at intake."
    ),
    DELIVERY: _(
        "Service deliveries recorded in Retorno by the reception centres: one record per thing "
        "delivered to a person. Only completed deliveries count; a delivery voided as a "
        "correction never counts."
    ),
}
METHODS = {
    PERSONS: _(
        "Number of unique persons: a person counts once in each cell and once in each total, "
        "whatever the number of their events in the period, so a total can be less than the sum "
        "of its cells."
    ),
    ARRIVALS: _("Number of arrivals (return events): a person who returned twice counts twice."),
    DELIVERIES: _(
        "Number of deliveries, and the sum of the quantities delivered: a person who received "
        "two services counts twice."
    ),
}
COMMON_METHOD = _(
    "An event counts in the period that holds its local date at the reception centre. Persons "
    "who did not consent to be counted in anonymised statistics are left out. Computed by the "
    "database from the records in force when the data was read."
)
FREQUENCY = _(
    "Monthly, by US fiscal quarter and by US fiscal year (October to September). Available on "
    "screen, as XLSX and CSV files, and through the aggregate API."
)


def sheets_offered() -> QuerySet[Indicator]:
    """A sheet for every indicator the aggregate API offers."""
    return indicators_offered()


def _combination_name(combination: tuple[str, ...]) -> str:
    return " × ".join(str(DISAGGREGATIONS[code].label) for code in combination)


def indicator_sheet(indicator: Indicator) -> dict[str, Any]:
    """The reference sheet of one indicator, in the active language."""
    rule = rule_for(indicator.counting_rule)
    combinations = donor_combinations(indicator.counting_rule)
    return {
        "indicator": indicator,
        "unit": indicator.get_unit_display(),
        "singles": [_combination_name(c) for c in combinations if len(c) == 1],
        "pairs": [_combination_name(c) for c in combinations if len(c) == 2],
        "source": DATA_SOURCES[rule.event],
        "method": METHODS[rule.unit],
        "common_method": COMMON_METHOD,
        "frequency": FREQUENCY,
        "disclosure": disclosure_note(default_k()),
    }
