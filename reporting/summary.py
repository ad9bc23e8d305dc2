"""Summary tables: the counted events (EventFact), and the computed tables (SummaryTable).

Two layers, so that a national-scale report reads a handful of rows:

1. `EventFact` holds one row per counted event (an arrival, or a completed delivery not voided)
   of a person who may be counted (reporting.consent), with every disaggregation value already
   resolved at the event date: the local date at the centre, the age band, the department...
   It is rebuilt a person at a time after each change (`summary_refresh_persons`, a Celery task
   enqueued when the change commits) and in full every night (`summary_rebuild`, by beat).
   `PersonVulnerabilityFact` does the same for the vulnerabilities recorded on a person's cases.
2. `SummaryTable` keeps the raw counts of one indicator × whole period × dimensions × scope,
   computed from the counted events on first use. A change deletes the tables whose period
   contains a date of the person's events (before and after the change), and a Celery task
   computes them again at once; custom date ranges are never kept.

The counts are the same as the base tables give (tests compare both on random data); the
summary only moves the work from each report to the moment of the change. Every table carries
the time its counted events were current as `data_as_of`. Until the first full build the
reports read the base tables (`summary_built`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.models import Case as CasefileModel
from intake.models import Arrival
from registry.models import RECORD_KEY_RANGE, VulnerabilityCategory
from services.models import ServiceDelivery

from .consent import counted_only
from .disaggregations import (
    ARRIVAL,
    DELIVERY,
    NONE,
    age_band_case,
    age_expression,
    dimension_expression,
    dimension_values,
    event_local_date,
)
from .indicators import (
    ALL,
    INDICATORS,
    Counted,
    Rule,
    Table,
    _another_arrival,
    _earlier_arrival,
    table_count,
)
from .models import EventFact, PersonVulnerabilityFact, SummaryState, SummaryTable
from .periods import WHOLE_KINDS, Period, fiscal_year, period_parse

logger = logging.getLogger(__name__)

# The column of EventFact that holds each single-valued dimension (the age band is computed).
FACT_COLUMNS = {
    "sex": "sex",
    "country": "country",
    "department": "department",
    "center": "center_code",
    "mode": "mode",
    "returned_from": "returned_from",
    "unaccompanied_minor": "unaccompanied_minor",
    "service_type": "service_type",
}
_BLANK = Value(None, output_field=CharField())


# --- Layer 1: the counted events -----------------------------------------------------------------


def _common_columns(event: str) -> dict[str, object]:
    return {
        "person_id": F("person_id"),
        "center_id": F("center_id"),
        "source_id": F("pk"),
        "local_date": event_local_date(event),
        "record_key": F("person__record_key"),
        "sex": dimension_expression("sex", event),
        "age": age_expression(event),
        "country": dimension_expression("country", event),
        "department": dimension_expression("department", event),
        "center_code": dimension_expression("center", event),
    }


def _arrival_rows(person_ids: Iterable[int] | None) -> tuple[QuerySet, dict[str, object]]:
    qs = Arrival.objects.all()
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    return counted_only(qs, person_ids=person_ids), {
        "event": Value(EventFact.Event.ARRIVAL, output_field=CharField()),
        **_common_columns(ARRIVAL),
        "mode": dimension_expression("mode", ARRIVAL),
        "returned_from": dimension_expression("returned_from", ARRIVAL),
        "unaccompanied_minor": dimension_expression("unaccompanied_minor", ARRIVAL),
        "service_type": _BLANK,
        "category": _BLANK,
        "dimension": _BLANK,
        "training_completed": Value(False, output_field=BooleanField()),
        "quantity": Value(0, output_field=IntegerField()),
        "earlier_arrival": _earlier_arrival(),
        "another_arrival": _another_arrival(),
    }


def _delivery_rows(person_ids: Iterable[int] | None) -> tuple[QuerySet, dict[str, object]]:
    qs = ServiceDelivery.objects.filter(
        status=ServiceDelivery.Status.COMPLETED, voided_at__isnull=True
    )
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    return counted_only(qs, person_ids=person_ids), {
        "event": Value(EventFact.Event.DELIVERY, output_field=CharField()),
        **_common_columns(DELIVERY),
        "mode": _BLANK,
        "returned_from": _BLANK,
        "unaccompanied_minor": _BLANK,
        "service_type": dimension_expression("service_type", DELIVERY),
        "category": F("service_type__category"),
        "dimension": F("service_type__dimension"),
        "training_completed": Coalesce(
            F("training_completed"), Value(False), output_field=BooleanField()
        ),
        "quantity": F("quantity"),
        "earlier_arrival": Value(False, output_field=BooleanField()),
        "another_arrival": Value(False, output_field=BooleanField()),
    }


def _vulnerability_rows(person_ids: Iterable[int] | None) -> tuple[QuerySet, dict[str, object]]:
    through = CasefileModel.vulnerabilities.through
    qs = through.objects.all()
    if person_ids is not None:
        qs = qs.filter(case__person_id__in=person_ids)
    qs = counted_only(qs, person_field="case__person", person_ids=person_ids)
    return qs.distinct(), {
        "person_id": F("case__person_id"),
        "code": F("vulnerabilitycategory__code"),
    }


def _insert_select(model, rows: QuerySet, columns: dict[str, object]) -> int:
    """INSERT INTO model (columns) SELECT ... : the rows never travel through Python."""
    aliases = {f"x_{name}": expression for name, expression in columns.items()}
    qs = rows.annotate(**aliases).values(*aliases).order_by()
    compiler = qs.query.get_compiler(using=qs.db)
    select_sql, params = compiler.as_sql()
    # The compiler's own order of the selected columns, whatever order values() kept.
    selected = [alias for _expression, _sql, alias in compiler.select]
    columns_by_name = {field.attname: field.column for field in model._meta.concrete_fields}
    names = [columns_by_name[alias.removeprefix("x_")] for alias in selected]
    sql = "INSERT INTO {table} ({columns}) {select}".format(
        table=connection.ops.quote_name(model._meta.db_table),
        columns=", ".join(connection.ops.quote_name(name) for name in names),
        select=select_sql,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _facts_insert(person_ids: Iterable[int] | None) -> int:
    inserted = 0
    for rows, columns in (_arrival_rows(person_ids), _delivery_rows(person_ids)):
        inserted += _insert_select(EventFact, rows, columns)
    rows, columns = _vulnerability_rows(person_ids)
    _insert_select(PersonVulnerabilityFact, rows, columns)
    return inserted


def _state() -> SummaryState:
    state = SummaryState.objects.order_by("pk").first()
    return state or SummaryState.objects.create()


def summary_built() -> bool:
    """Whether the counted events have been built in full at least once."""
    return SummaryState.objects.filter(rebuilt_at__isnull=False).exists()


def summary_data_as_of() -> datetime | None:
    return SummaryState.objects.values_list("refreshed_at", flat=True).order_by("pk").first()


@transaction.atomic
def summary_rebuild(*, warm: Iterable[tuple[str, str, str, str]] = ()) -> dict[str, int]:
    """Rebuild every counted event, drop every computed table, then compute again those that
    existed and those in `warm` (readers see the old rows until the transaction commits)."""
    kept = list(SummaryTable.objects.values_list("indicator", "period", "dims", "scope"))
    kept += list(warm)
    SummaryTable.objects.all().delete()
    EventFact.objects.all().delete()
    PersonVulnerabilityFact.objects.all().delete()
    facts = _facts_insert(None)
    if connection.vendor == "postgresql":
        # The planner must know the new rows at once (a person's refresh uses the person index).
        with connection.cursor() as cursor:
            for model in (EventFact, PersonVulnerabilityFact):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    now = timezone.now()
    state = _state()
    state.rebuilt_at = state.refreshed_at = now
    state.save(update_fields=["rebuilt_at", "refreshed_at"])
    tables = summary_tables_compute(keys=kept)
    return {"facts": facts, "tables": tables}


def _fact_dates(person_ids: list[int]) -> set[date]:
    return set(
        EventFact.objects.filter(person_id__in=person_ids)
        .values_list("local_date", flat=True)
        .distinct()
    )


def _tables_touching(dates: set[date], exclude: Iterable[int] = ()) -> list[SummaryTable]:
    if not dates:
        return []
    touched = Q(pk__in=[])
    for day in sorted(dates):
        touched |= Q(period_start__lte=day, period_end__gte=day)
    return list(SummaryTable.objects.filter(touched).exclude(pk__in=list(exclude)))


@transaction.atomic
def summary_refresh_persons(*, person_ids: Iterable[int]) -> dict[str, int]:
    """Bring the counted events of these persons up to date, and every kept table with them.

    A unique-person count is a sum over persons of "has at least one event in the cell", and a
    row count a sum of each person's rows: so each kept table whose period holds one of their
    events (before or after the change) takes away what these persons counted in it before and
    adds what they count now. The cost depends on the persons and the kept tables touched, not
    on the size of the registry. Does nothing until the summary has been built once.
    """
    person_ids = sorted(set(person_ids))
    state = SummaryState.objects.select_for_update().filter(rebuilt_at__isnull=False).first()
    if not person_ids or state is None:
        return {"persons": 0, "tables": 0}
    tables = _tables_touching(_fact_dates(person_ids))
    counted_in = _counted_in(tables, person_ids)
    before = {table.pk: _share(table, person_ids, counted_in) for table in tables}
    EventFact.objects.filter(person_id__in=person_ids).delete()
    PersonVulnerabilityFact.objects.filter(person_id__in=person_ids).delete()
    _facts_insert(person_ids)
    tables += _tables_touching(_fact_dates(person_ids), exclude=before)
    counted_in = _counted_in(tables, person_ids)
    state.refreshed_at = timezone.now()
    state.save(update_fields=["refreshed_at"])
    for table in tables:
        after = _share(table, person_ids, counted_in)
        table.counts = _counts_moved(table, table.counts, before.get(table.pk), after)
        table.counts["data_as_of"] = state.refreshed_at.isoformat()
        table.computed_at = state.refreshed_at
    SummaryTable.objects.bulk_update(tables, ["counts", "computed_at"], batch_size=500)
    return {"persons": len(person_ids), "tables": len(tables)}


def _share_key(table: SummaryTable) -> str:
    return f"{table.indicator}|{table.period}|{table.scope}"


def _counted_in(tables: list[SummaryTable], person_ids: list[int]) -> set[str]:
    """The (indicator, period, scope) of these tables in which the persons count at all: one
    query, so that the tables they are not in cost nothing more."""
    measures = {}
    for table in tables:
        rule = INDICATORS.get(table.indicator)
        key = _share_key(table)
        if rule is None or key in measures:
            continue
        condition = _fact_condition(
            rule=rule, period=period_parse(table.period), center_ids=_scope_parse(table.scope)
        )
        measures[key] = Count("pk", filter=condition)
    if not measures:
        return set()
    aliases = {f"m{i}": measure for i, measure in enumerate(measures.values())}
    found = EventFact.objects.filter(person_id__in=person_ids).aggregate(**aliases)
    return {key for key, alias in zip(measures, aliases, strict=True) if found[alias]}


def _share(table: SummaryTable, person_ids: list[int], counted_in: set[str]) -> dict | None:
    """What these persons count in a kept table, from their counted events now."""
    rule = INDICATORS.get(table.indicator)
    if rule is None or _share_key(table) not in counted_in:
        return None
    counted = facts_counted(
        rule=rule, period=period_parse(table.period), center_ids=_scope_parse(table.scope)
    )
    counted = dataclasses.replace(counted, rows=counted.rows.filter(person_id__in=person_ids))
    share = table_count(
        indicator=table.indicator,
        rule=rule,
        period=period_parse(table.period),
        dims=_dims_parse(table.dims),
        counted=counted,
        data_as_of=timezone.now(),
    )
    return _table_dump(share)


def _moved(old: list, minus: list, plus: list, width: int) -> dict:
    """{key: n} of old − minus + plus, where each list holds [*key, n] entries."""
    found: dict[tuple, int] = {}
    for sign, entries in ((1, old), (-1, minus), (1, plus)):
        for entry in entries:
            key = tuple(entry[:width])
            found[key] = found.get(key, 0) + sign * (entry[width] or 0)
    return found


def _counts_moved(table: SummaryTable, old: dict, minus: dict | None, plus: dict | None) -> dict:
    """The counts of a kept table after these persons' share moved from `minus` to `plus`."""
    minus, plus = minus or {}, plus or {}
    dims = _dims_parse(table.dims)
    row_totals = _moved(
        old["row_totals"], minus.get("row_totals", []), plus.get("row_totals", []), 1
    )
    col_totals = _moved(
        old["col_totals"], minus.get("col_totals", []), plus.get("col_totals", []), 1
    )
    # Open dimensions list only the values someone is counted in, as a fresh count would.
    rows = (
        [ALL] if not dims else dimension_values(dims[0], (k[0] for k, n in row_totals.items() if n))
    )
    cols = (
        [ALL]
        if len(dims) < 2
        else dimension_values(dims[1], (k[0] for k, n in col_totals.items() if n))
    )
    moved = {"rows": rows, "cols": cols, "data_as_of": old["data_as_of"]}
    names = [("cells", "row_totals", "col_totals", "total")]
    if "quantities" in old:
        names.append(("quantities", "quantity_row_totals", "quantity_col_totals", "quantity_total"))
    names.append(("keys", "key_row_totals", "key_col_totals", "key_total"))
    for cells_name, rows_name, cols_name, total_name in names:
        # Key sums are kept modulo the key range: only the sum modulo it makes the cell key.
        modulo = RECORD_KEY_RANGE if cells_name == "keys" else None

        def reduced(n: int, modulo=modulo) -> int:
            return n % modulo if modulo else n

        cells = _moved(old[cells_name], minus.get(cells_name, []), plus.get(cells_name, []), 2)
        by_row = _moved(old[rows_name], minus.get(rows_name, []), plus.get(rows_name, []), 1)
        by_col = _moved(old[cols_name], minus.get(cols_name, []), plus.get(cols_name, []), 1)
        moved[cells_name] = [[r, c, reduced(cells.get((r, c), 0))] for r in rows for c in cols]
        moved[rows_name] = [[r, reduced(by_row.get((r,), 0))] for r in rows]
        moved[cols_name] = [[c, reduced(by_col.get((c,), 0))] for c in cols]
        moved[total_name] = reduced(
            old[total_name] - (minus.get(total_name) or 0) + (plus.get(total_name) or 0)
        )
    return moved


# --- Layer 2: computed tables ---------------------------------------------------------------------


def _fact_filters(code: str) -> list[tuple[str, Q]]:
    if code != "vulnerability":
        raise ValueError(f"Not a multi-valued dimension: {code}")
    facts = PersonVulnerabilityFact.objects
    filters = [
        (value, Q(Exists(facts.filter(person=OuterRef("person"), code=value))))
        for value in VulnerabilityCategory.objects.values_list("code", flat=True)
    ]
    filters.append((NONE, ~Q(Exists(facts.filter(person=OuterRef("person"))))))
    return filters


def _fact_expression(code: str):
    if code == "age_band":
        return age_band_case(F("age"))
    return F(FACT_COLUMNS[code])


def _fact_condition(*, rule: Rule, period: Period, center_ids: frozenset[int] | None) -> Q:
    event = EventFact.Event.ARRIVAL if rule.event == ARRIVAL else EventFact.Event.DELIVERY
    condition = Q(event=event, local_date__gte=period.start, local_date__lte=period.end)
    condition &= rule.fact_condition()
    if center_ids is not None:
        condition &= Q(center_id__in=center_ids)
    return condition


def facts_counted(
    *, rule: Rule, period: Period, center_ids: frozenset[int] | None = None
) -> Counted:
    """The counted events of the indicator in the period, from the summary."""
    rows = EventFact.objects.filter(
        _fact_condition(rule=rule, period=period, center_ids=center_ids)
    )
    return Counted(
        rows=rows,
        expression=_fact_expression,
        filters=_fact_filters,
        rows_are_unique=True,
        record_key="record_key",
    )


def scope_key(center_ids: frozenset[int] | None) -> str:
    return "" if center_ids is None else ",".join(str(pk) for pk in sorted(center_ids))


def _dims_parse(dims: str) -> tuple[str, ...]:
    return tuple(code for code in dims.split(",") if code)


def _scope_parse(scope: str) -> frozenset[int] | None:
    return None if scope == "" else frozenset(int(pk) for pk in scope.split(",") if pk)


def _pairs(mapping: dict) -> list:
    return [
        [*key, value] if isinstance(key, tuple) else [key, value] for key, value in mapping.items()
    ]


def _table_dump(table: Table) -> dict:
    counts = {
        "rows": table.rows,
        "cols": table.cols,
        "cells": _pairs(table.cells),
        "row_totals": _pairs(table.row_totals),
        "col_totals": _pairs(table.col_totals),
        "total": table.total,
        "data_as_of": table.data_as_of.isoformat(),
        "keys": _pairs({key: n % RECORD_KEY_RANGE for key, n in (table.keys or {}).items()}),
        "key_row_totals": _pairs(
            {key: n % RECORD_KEY_RANGE for key, n in (table.key_row_totals or {}).items()}
        ),
        "key_col_totals": _pairs(
            {key: n % RECORD_KEY_RANGE for key, n in (table.key_col_totals or {}).items()}
        ),
        "key_total": (table.key_total or 0) % RECORD_KEY_RANGE,
    }
    if table.quantities is not None:
        counts["quantities"] = _pairs(table.quantities)
        counts["quantity_row_totals"] = _pairs(table.quantity_row_totals or {})
        counts["quantity_col_totals"] = _pairs(table.quantity_col_totals or {})
        counts["quantity_total"] = table.quantity_total
    return counts


def _table_load(*, indicator: str, rule: Rule, period: Period, dims, counts: dict) -> Table:
    def cells(name: str) -> dict:
        return {(r, c): n for r, c, n in counts[name]}

    def margin(name: str) -> dict:
        return dict(counts[name])

    table = Table(
        indicator=indicator,
        period=period,
        dims=tuple(dims),
        rows=list(counts["rows"]),
        cols=list(counts["cols"]),
        cells=cells("cells"),
        row_totals=margin("row_totals"),
        col_totals=margin("col_totals"),
        total=counts["total"],
        suppressed=set(),
        data_as_of=datetime.fromisoformat(counts["data_as_of"]),
        unit=rule.unit,
        keys=cells("keys"),
        key_row_totals=margin("key_row_totals"),
        key_col_totals=margin("key_col_totals"),
        key_total=counts["key_total"],
    )
    if "quantities" in counts:
        table.quantities = cells("quantities")
        table.quantity_row_totals = margin("quantity_row_totals")
        table.quantity_col_totals = margin("quantity_col_totals")
        table.quantity_total = counts["quantity_total"]
    return table


def _table_from_facts(
    *, indicator: str, rule: Rule, period: Period, dims, center_ids, data_as_of: datetime
) -> Table:
    counted = facts_counted(rule=rule, period=period, center_ids=center_ids)
    return table_count(
        indicator=indicator,
        rule=rule,
        period=period,
        dims=tuple(dims),
        counted=counted,
        data_as_of=data_as_of,
    )


def summary_report(
    *,
    indicator: str,
    rule: Rule,
    period: Period,
    dims: tuple[str, ...],
    center_ids: frozenset[int] | None,
) -> Table:
    """The table from the summary: a computed table when there is one, else counted from the
    events (and kept, for a whole period)."""
    key = {"indicator": indicator, "period": period.label, "dims": ",".join(dims)}
    key["scope"] = scope_key(center_ids)
    if period.kind in WHOLE_KINDS:
        counts = SummaryTable.objects.filter(**key).values_list("counts", flat=True).first()
        # A table kept before the record keys existed is counted again (and kept anew).
        if counts is not None and "keys" in counts:
            return _table_load(
                indicator=indicator, rule=rule, period=period, dims=dims, counts=counts
            )
    data_as_of = summary_data_as_of() or timezone.now()
    table = _table_from_facts(
        indicator=indicator,
        rule=rule,
        period=period,
        dims=dims,
        center_ids=center_ids,
        data_as_of=data_as_of,
    )
    if period.kind in WHOLE_KINDS:
        _table_keep(key=key, period=period, table=table)
    return table


def _table_keep(*, key: dict, period: Period, table: Table) -> None:
    """Keep the table unless the events changed while it was counted (it would be stale)."""
    with transaction.atomic():
        # Locked as the refresh locks it: a table counted before a refresh is never kept after.
        state = SummaryState.objects.select_for_update().order_by("pk").first()
        if state is None or state.refreshed_at != table.data_as_of:
            return
        SummaryTable.objects.update_or_create(
            **key,
            defaults={
                "period_start": period.start,
                "period_end": period.end,
                "counts": _table_dump(table),
                "computed_at": timezone.now(),
            },
        )


def summary_tables_compute(*, keys: Iterable[tuple[str, str, str, str]]) -> int:
    """Compute (again) the tables of these (indicator, period, dims, scope) keys."""
    done = 0
    for indicator, period_label, dims, scope in sorted(set(map(tuple, keys))):
        rule = INDICATORS.get(indicator)
        if rule is None:
            continue
        dims_tuple = _dims_parse(dims)
        summary_report(
            indicator=indicator,
            rule=rule,
            period=period_parse(period_label),
            dims=dims_tuple,
            center_ids=_scope_parse(scope),
        )
        done += 1
    return done


def donor_report_keys(
    periods: Iterable[Period] | None = None, dims_list: Iterable[tuple[str, ...]] | None = None
) -> list[tuple[str, str, str, str]]:
    """The national tables of every indicator for these periods and dimensions: by default the
    donor report (headline and by each export dimension) of this fiscal year and the last."""
    if periods is None:
        this_year = fiscal_year_of(timezone.now().date())
        periods = [fiscal_year(this_year), fiscal_year(this_year - 1)]
    if dims_list is None:
        from .exports import EXPORT_DIMS

        dims_list = [(), *((code,) for code in EXPORT_DIMS)]
    dims_list = list(dims_list)
    return [
        (indicator, period.label, ",".join(dims), "")
        for period in periods
        for indicator in INDICATORS
        for dims in dims_list
        if all(_applies(indicator, code) for code in dims)
    ]


def fiscal_year_of(day: date) -> int:
    """FY2027 runs from 1 October 2026 to 30 September 2027."""
    return day.year + 1 if day.month >= 10 else day.year


def _applies(indicator: str, code: str) -> bool:
    from .disaggregations import applicable

    return applicable(code, INDICATORS[indicator].event)
