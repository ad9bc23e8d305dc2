"""Indicators: counting rules, computed in the database with GROUP BY and COUNT(DISTINCT).

`report_compute` gives raw counts (no suppression): a table of 0, 1 or 2 dimensions with its
margins. Unique-person margins and totals are distinct counts over the whole population, never
the sum of the cells: a person in two cells (two centres, two vulnerabilities, two age bands
because of a birthday between two arrivals) counts once in the total.

Dates are local to each centre: an arrival counts in the period that contains its date at the
centre's time zone (the period's local bounds are turned into UTC bounds per time zone, so the
index on arrived_at is used); a delivery's date is already a local date.

Persons who refused to be counted in statistics are left out first (see reporting.consent).
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db import connection, connections
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Arrival
from registry.models import TIME_ZONES
from services.models import ServiceDelivery, ServiceType

from .consent import counted_only
from .disaggregations import (
    ARRIVAL,
    DELIVERY,
    DISAGGREGATIONS,
    dimension_expression,
    dimension_filters,
    dimension_values,
    dims_check,
)
from .periods import Period

ALL = "all"  # the only row or column of a dimension that is not there
PERSONS = "persons"
ARRIVALS = "arrivals"
DELIVERIES = "deliveries"
TRAINING_TYPES = ("vocational_training", "skills_certification")
JOB_PLACEMENT_TYPES = ("job_placement",)


@dataclass(frozen=True)
class Rule:
    code: str
    event: str  # ARRIVAL or DELIVERY: the rows the indicator counts from
    unit: str  # PERSONS (distinct persons), ARRIVALS or DELIVERIES (rows)
    label: Any
    condition: Callable[[], Q] = lambda: Q()
    quantities: bool = False  # also sum the quantities delivered
    # The same condition on the counted events of the summary (reporting.models.EventFact).
    fact_condition: Callable[[], Q] = lambda: Q()


def _earlier_arrival() -> Q:
    return Q(
        Exists(
            Arrival.objects.filter(person=OuterRef("person")).filter(
                Q(arrived_at__lt=OuterRef("arrived_at"))
                | Q(arrived_at=OuterRef("arrived_at"), pk__lt=OuterRef("pk"))
            )
        )
    )


def _another_arrival() -> Q:
    return Q(Exists(Arrival.objects.filter(person=OuterRef("person")).exclude(pk=OuterRef("pk"))))


INDICATORS: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("received", ARRIVAL, PERSONS, _("Returned migrants received")),
        Rule(
            "received_aid",
            DELIVERY,
            PERSONS,
            _("Persons who received post-arrival aid"),
            lambda: Q(service_type__category=ServiceType.Category.POST_ARRIVAL_AID),
            fact_condition=lambda: Q(category=ServiceType.Category.POST_ARRIVAL_AID),
        ),
        Rule(
            "received_reintegration",
            DELIVERY,
            PERSONS,
            _("Persons who received reintegration services"),
            lambda: Q(service_type__category=ServiceType.Category.REINTEGRATION),
            fact_condition=lambda: Q(category=ServiceType.Category.REINTEGRATION),
        ),
        Rule(
            "services_delivered",
            DELIVERY,
            DELIVERIES,
            _("Services delivered"),
            quantities=True,
        ),
        Rule(
            "completed_training",
            DELIVERY,
            PERSONS,
            _("Persons who completed training"),
            lambda: Q(service_type__code__in=TRAINING_TYPES, training_completed=True),
            fact_condition=lambda: Q(service_type__in=TRAINING_TYPES, training_completed=True),
        ),
        Rule(
            "placed_in_jobs",
            DELIVERY,
            PERSONS,
            _("Persons placed in jobs"),
            lambda: Q(service_type__code__in=JOB_PLACEMENT_TYPES),
            fact_condition=lambda: Q(service_type__in=JOB_PLACEMENT_TYPES),
        ),
        Rule(
            "psychosocial_support",
            DELIVERY,
            PERSONS,
            _("Persons who received psychosocial support"),
            lambda: Q(service_type__dimension="psychosocial"),
            fact_condition=lambda: Q(dimension="psychosocial"),
        ),
        Rule(
            "repeat_returnees",
            ARRIVAL,
            PERSONS,
            _("Repeat returnees"),
            # By the end of the period: an arrival in the period that is not the person's first
            # (an earlier one, or a second in the same period). A later return never changes a
            # period's figures.
            _earlier_arrival,
            fact_condition=lambda: Q(earlier_arrival=True),
        ),
        Rule(
            "repeat_arrivals",
            ARRIVAL,
            ARRIVALS,
            _("Arrivals of persons returned before"),
            _earlier_arrival,
            fact_condition=lambda: Q(earlier_arrival=True),
        ),
    )
}


@dataclass
class Table:
    """Counts by up to two dimensions. Rows are the first dimension, columns the second.

    A missing dimension has the single row or column "all". A value of None is suppressed
    (only after disclosure_apply).
    """

    indicator: str
    period: Period
    dims: tuple[str, ...]
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], int | None]
    row_totals: dict[str, int | None]
    col_totals: dict[str, int | None]
    total: int | None
    suppressed: set[tuple[str, str]]
    data_as_of: datetime
    # services_delivered: the sum of quantities per cell; None for the other indicators.
    quantities: dict[tuple[str, str], int | None] | None = None
    quantity_row_totals: dict[str, int | None] | None = None
    quantity_col_totals: dict[str, int | None] | None = None
    quantity_total: int | None = None
    unit: str = PERSONS
    k: int | None = None  # the threshold applied, once disclosure control has run
    suppressed_totals: set[tuple[str, str]] = field(default_factory=set)
    # The sum of the record keys of what each entry counts (reporting.disclosure): raw tables
    # only; a published table has none.
    keys: dict[tuple[str, str], int] | None = None
    key_row_totals: dict[str, int] | None = None
    key_col_totals: dict[str, int] | None = None
    key_total: int | None = None


def rule_for(indicator: str) -> Rule:
    """The counting rule of an indicator code (a defined one, or a data row naming a rule)."""
    if indicator in INDICATORS:
        return INDICATORS[indicator]
    from .models import Indicator

    rule_code = (
        Indicator.objects.filter(code=indicator, active=True)
        .values_list("counting_rule", flat=True)
        .first()
    )
    if rule_code not in INDICATORS:
        raise ValueError(f"Unknown indicator: {indicator}")
    return INDICATORS[rule_code]


def local_bounds(period: Period, tz_name: str) -> tuple[datetime, datetime]:
    """[start 00:00, day after end 00:00) at the zone, as aware datetimes."""
    zone = zoneinfo.ZoneInfo(tz_name)
    return (
        datetime.combine(period.start, time.min, tzinfo=zone),
        datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _period_condition(rule: Rule, period: Period) -> Q:
    if rule.event == DELIVERY:
        return Q(delivered_on__gte=period.start, delivered_on__lte=period.end)
    condition = Q(pk__in=[])
    for tz_name, _label in TIME_ZONES:
        start, end = local_bounds(period, tz_name)
        condition |= Q(center__time_zone=tz_name, arrived_at__gte=start, arrived_at__lt=end)
    return condition


def events_counted(
    *, rule: Rule, period: Period, center_ids: frozenset[int] | None = None
) -> QuerySet:
    """The rows the indicator counts: in the period, at the centres, of persons who may be counted."""
    if rule.event == ARRIVAL:
        qs = Arrival.objects.all()
    else:
        qs = ServiceDelivery.objects.filter(
            status=ServiceDelivery.Status.COMPLETED, voided_at__isnull=True
        )
    qs = qs.filter(_period_condition(rule, period)).filter(rule.condition())
    if center_ids is not None:
        qs = qs.filter(center_id__in=center_ids)
    return counted_only(qs)


@dataclass(frozen=True)
class Counted:
    """Where a table is counted from: the rows, each dimension's value, and how to count."""

    rows: QuerySet
    expression: Callable[[str], Any]  # dimension code -> the SQL expression of its value
    filters: Callable[[str], list[tuple[str, Q]]]  # multi-valued dimension -> (value, condition)
    rows_are_unique: bool = False  # one row per counted event: no DISTINCT needed for rows
    record_key: str = "person__record_key"  # the field of the person's statistical record key


def base_counted(
    *, rule: Rule, period: Period, center_ids: frozenset[int] | None = None
) -> Counted:
    """Straight from the base tables: arrivals or deliveries, joined to persons and centres."""
    return Counted(
        rows=events_counted(rule=rule, period=period, center_ids=center_ids),
        expression=lambda code: dimension_expression(code, rule.event),
        filters=dimension_filters,
    )


def _measures(rule: Rule, counted: Counted) -> dict[str, Any]:
    """Row counts: the rows and the sum of their persons' record keys (a row adds its person's
    key once per row). Unique persons are counted by `_persons_grouped`."""
    measures: dict[str, Any] = {
        "n": Count("pk", distinct=not counted.rows_are_unique),
        "ks": Sum(counted.record_key),
    }
    if rule.quantities:
        measures["q"] = Sum("quantity")
    return measures


Grouped = dict[tuple[str, ...], tuple[int, int, int]]  # values -> (count, quantity, key sum)


def _persons_grouped(qs: QuerySet, dims: tuple[str, ...], counted: Counted) -> Grouped:
    """{(value per dim): (persons, 0, sum of their record keys)}: one query, persons grouped
    first (each person's key once per cell), then their cells, so the key sum is exact where a
    SUM(DISTINCT key) would merge two persons who drew the same key."""
    aliases = [f"d{i}" for i in range(len(dims))]
    inner = (
        qs.annotate(
            **{alias: counted.expression(code) for alias, code in zip(aliases, dims, strict=True)}
        )
        .values(*aliases, "person")
        .annotate(rk=Max(counted.record_key))
        .order_by()
    )
    inner_sql, params = inner.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = [quote(alias) for alias in aliases]
    select = ", ".join([*columns, "COUNT(*)", f"SUM({quote('rk')})"])
    sql = f"SELECT {select} FROM ({inner_sql}) {quote('per_person')}"  # noqa: S608
    if columns:
        sql += f" GROUP BY {', '.join(columns)}"
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    width = len(aliases)
    grouped = {tuple(row[:width]): (row[width], 0, int(row[width + 1] or 0)) for row in found}
    if not dims and not grouped:
        grouped[()] = (0, 0, 0)
    return grouped


def _grouped(
    qs: QuerySet,
    dims: tuple[str, ...],
    rule: Rule,
    counted: Counted,
    filters: dict[str, list[tuple[str, Q]]],
) -> Grouped:
    """{(value per dim): (count, quantity, key sum)}: one GROUP BY query, or one per value of a
    multi-valued dimension."""
    multi = [i for i, code in enumerate(dims) if DISAGGREGATIONS[code].multi]
    if multi:
        index = multi[0]
        rest = dims[:index] + dims[index + 1 :]
        found: Grouped = {}
        for value, condition in filters[dims[index]]:
            for key, counts in _grouped(qs.filter(condition), rest, rule, counted, filters).items():
                found[key[:index] + (value,) + key[index:]] = counts
        return found
    if rule.unit == PERSONS:
        return _persons_grouped(qs, dims, counted)
    measures = _measures(rule, counted)
    if not dims:
        row = qs.aggregate(**measures)
        return {(): (row["n"] or 0, row.get("q") or 0, int(row["ks"] or 0))}
    aliases = [f"d{i}" for i in range(len(dims))]
    grouped = (
        qs.annotate(
            **{alias: counted.expression(code) for alias, code in zip(aliases, dims, strict=True)}
        )
        .values(*aliases)
        .annotate(**measures)
        .order_by()
    )
    return {
        tuple(row[alias] for alias in aliases): (row["n"], row.get("q") or 0, int(row["ks"] or 0))
        for row in grouped
    }


BASE, SUMMARY, AUTO = "base", "summary", "auto"
SOURCES = (BASE, SUMMARY, AUTO)


def report_compute(
    *,
    indicator: str,
    period: Period,
    dims: tuple[str, ...] = (),
    center_ids: frozenset[int] | None = None,
    source: str = AUTO,
) -> Table:
    """Raw counts of `indicator` in `period` by `dims`; ValueError for what cannot be computed.

    `source`: BASE counts the base tables; SUMMARY the summary tables (reporting.summary), which
    must have been built; AUTO the summary tables once they have been built, else the base ones.
    """
    if source not in SOURCES:
        raise ValueError(f"Unknown source: {source}")
    rule = rule_for(indicator)
    dims = tuple(dims)
    dims_check(dims, rule.event)
    if source != BASE:
        from . import summary

        if source == SUMMARY or summary.summary_built():
            return summary.summary_report(
                indicator=indicator, rule=rule, period=period, dims=dims, center_ids=center_ids
            )
    counted = base_counted(rule=rule, period=period, center_ids=center_ids)
    return table_count(
        indicator=indicator,
        rule=rule,
        period=period,
        dims=dims,
        counted=counted,
        data_as_of=timezone.now(),
    )


def table_count(
    *,
    indicator: str,
    rule: Rule,
    period: Period,
    dims: tuple[str, ...],
    counted: Counted,
    data_as_of: datetime,
) -> Table:
    """The table of `indicator` by `dims` over the counted rows, with its margins."""
    qs = counted.rows
    filters = {code: counted.filters(code) for code in dims if DISAGGREGATIONS[code].multi}

    def grouped(by: tuple[str, ...]) -> Grouped:
        return _grouped(qs, by, rule, counted, filters)

    none = (0, 0, 0)
    total = grouped(()).get((), none)
    if not dims:
        rows, cols = [ALL], [ALL]
        cells = {(ALL, ALL): total}
        row_totals = {ALL: total}
        col_totals = {ALL: total}
    elif len(dims) == 1:
        found = grouped(dims)
        rows = dimension_values(dims[0], (key[0] for key in found))
        cols = [ALL]
        cells = {(r, ALL): found.get((r,), none) for r in rows}
        row_totals = {r: found.get((r,), none) for r in rows}
        col_totals = {ALL: total}
    else:
        found = grouped(dims)
        by_row = grouped(dims[:1])
        by_col = grouped(dims[1:])
        rows = dimension_values(dims[0], (key[0] for key in by_row))
        cols = dimension_values(dims[1], (key[0] for key in by_col))
        cells = {(r, c): found.get((r, c), none) for r in rows for c in cols}
        row_totals = {r: by_row.get((r,), none) for r in rows}
        col_totals = {c: by_col.get((c,), none) for c in cols}

    table = Table(
        indicator=indicator,
        period=period,
        dims=dims,
        rows=rows,
        cols=cols,
        cells={key: n for key, (n, _q, _k) in cells.items()},
        row_totals={key: n for key, (n, _q, _k) in row_totals.items()},
        col_totals={key: n for key, (n, _q, _k) in col_totals.items()},
        total=total[0],
        suppressed=set(),
        data_as_of=data_as_of,
        unit=rule.unit,
        keys={key: ks for key, (_n, _q, ks) in cells.items()},
        key_row_totals={key: ks for key, (_n, _q, ks) in row_totals.items()},
        key_col_totals={key: ks for key, (_n, _q, ks) in col_totals.items()},
        key_total=total[2],
    )
    if rule.quantities:
        table.quantities = {key: q for key, (_n, q, _k) in cells.items()}
        table.quantity_row_totals = {key: q for key, (_n, q, _k) in row_totals.items()}
        table.quantity_col_totals = {key: q for key, (_n, q, _k) in col_totals.items()}
        table.quantity_total = total[1]
    return table


def table_margin(table: Table, dims: tuple[str, ...]) -> Table:
    """The table by `dims` (one of the table's dimensions, or none) read off the margins of a
    raw table: the same counts and key sums `report_compute` gives for it, with no query (a
    margin of a pair counts the same rows as the single dimension's table)."""
    if not dims:
        total = {ALL: table.total}
        derived = dataclasses.replace(
            table,
            dims=(),
            rows=[ALL],
            cols=[ALL],
            cells={(ALL, ALL): table.total},
            row_totals=dict(total),
            col_totals=dict(total),
            keys={(ALL, ALL): table.key_total or 0},
            key_row_totals={ALL: table.key_total or 0},
            key_col_totals={ALL: table.key_total or 0},
        )
        if table.quantities is not None:
            derived.quantities = {(ALL, ALL): table.quantity_total}
            derived.quantity_row_totals = {ALL: table.quantity_total}
            derived.quantity_col_totals = {ALL: table.quantity_total}
        return derived
    (dim,) = dims
    if len(table.dims) == 1 and table.dims[0] == dim:
        return table
    first = table.dims[0] == dim
    values = table.row_totals if first else table.col_totals
    keys = (table.key_row_totals if first else table.key_col_totals) or {}
    rows = list(table.rows if first else table.cols)
    derived = dataclasses.replace(
        table,
        dims=(dim,),
        rows=rows,
        cols=[ALL],
        cells={(r, ALL): values[r] for r in rows},
        row_totals={r: values[r] for r in rows},
        col_totals={ALL: table.total},
        keys={(r, ALL): keys.get(r, 0) for r in rows},
        key_row_totals={r: keys.get(r, 0) for r in rows},
        key_col_totals={ALL: table.key_total or 0},
    )
    if table.quantities is not None:
        quantities = (table.quantity_row_totals if first else table.quantity_col_totals) or {}
        derived.quantities = {(r, ALL): quantities.get(r) for r in rows}
        derived.quantity_row_totals = {r: quantities.get(r) for r in rows}
        derived.quantity_col_totals = {ALL: table.quantity_total}
    return derived


def period_tables(
    *, indicator: str, period: Period, combinations: list[tuple[str, ...]]
) -> dict[tuple[str, ...], Table]:
    """Raw tables of the indicator for every combination: each pair counted by the database,
    each single dimension and the total read off a pair's margins where a pair holds it."""
    tables: dict[tuple[str, ...], Table] = {}
    for combination in combinations:
        if len(combination) == 2:
            tables[combination] = report_compute(
                indicator=indicator, period=period, dims=combination
            )
    pairs = list(tables.values())
    for combination in combinations:
        if len(combination) == 2:
            continue
        holder = next((t for t in pairs if set(combination) <= set(t.dims)), None)
        if holder is None:
            tables[combination] = report_compute(
                indicator=indicator, period=period, dims=combination
            )
        else:
            tables[combination] = table_margin(holder, combination)
    return tables
