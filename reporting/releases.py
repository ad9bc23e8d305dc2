"""Releases: a closed period's donor tables published once and frozen; a donor gets nothing else.

A period is closed once REPORTING_RELEASE_LAG_DAYS (default 45) have passed after its end: late
records (a delivery entered weeks later) have had time to come in. A fiscal quarter is released
with its three months, a fiscal year after its quarters; every figure of a release is protected
as one system with the releases before it (reporting.protection), audited (reporting.audit), and
stored as the donor API's answers. The donor API, the donor report and the all-centres exports
read releases only: a period not released yet is refused, so two pulls around a later change
are the same bytes (a difference of pulls cannot single anyone out), and `data_as_of` is the
release's time, the same for every table of the period.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .audit import (
    Cell,
    Published,
    donor_periods,
    figures_apply,
    period_parts,
    table_figures,
)
from .disclosure import (
    RELEASE_PERIOD_KINDS,
    default_bound,
    default_k,
    disclosure_apply,
    disclosure_note,
    donor_combinations,
    release_note,
)
from .indicators import ALL, INDICATORS, Table, period_tables
from .models import Indicator, Release, ReleaseTable
from .periods import (
    FISCAL_QUARTER,
    FISCAL_YEAR,
    Period,
    fiscal_quarter,
    fiscal_year,
    period_parse,
)
from .protection import ProtectionFailed, protect

DEFAULT_LAG_DAYS = 45
logger = logging.getLogger(__name__)


class PeriodNotClosed(Exception):
    """The period has not ended, or its lag for late records has not passed."""


class PeriodNotReleased(Exception):
    """A reader of all centres (a donor) asked for a period not released yet: live figures
    never leave for them."""

    def __init__(self, period: str) -> None:
        super().__init__(period)
        self.period = period

    def __str__(self) -> str:
        return release_wait_message()


def release_wait_message() -> str:
    return gettext(
        "This period is not released yet. A fiscal quarter and its months are released "
        "%(days)s days after the quarter ends, a fiscal year after its last quarter."
    ) % {"days": lag_days()}


def period_released(period: Period) -> bool:
    return Release.objects.filter(period=period.label).exists()


def released_periods() -> list[Period]:
    """The released periods, newest first (a fiscal year before its quarters, a quarter
    before its months)."""
    order = {FISCAL_YEAR: 0, FISCAL_QUARTER: 1}
    found = [period_parse(label) for label in Release.objects.values_list("period", flat=True)]
    return sorted(found, key=lambda p: (-p.end.toordinal(), order.get(p.kind, 2)))


def scope_note(period: Period, *, center_ids: frozenset[int] | None, k: int) -> str:
    """The disclosure rule of the figures a reader got: the release's for all centres, the
    cell-key rule for figures computed on request."""
    release = Release.objects.filter(period=period.label).first() if center_ids is None else None
    return disclosure_note(k) if release is None else release_note(release.k, release.bound)


class ReleaseAuditFailed(Exception):
    """The disclosure audit of the period found figures a donor could recover or pin."""

    def __init__(self, period: str, *, recovered: int, pinned: int) -> None:
        super().__init__(f"{period}: {recovered} recovered, {pinned} pinned in [1, k-1]")
        self.recovered, self.pinned = recovered, pinned


def lag_days() -> int:
    return int(getattr(settings, "REPORTING_RELEASE_LAG_DAYS", DEFAULT_LAG_DAYS))


def period_closed(period: Period, *, today: date | None = None) -> bool:
    today = timezone.localdate() if today is None else today
    return period.end + timedelta(days=lag_days()) < today


def indicators_offered():
    """The indicators the donor API answers for (active, with a counting rule in code)."""
    return Indicator.objects.filter(active=True, counting_rule__in=list(INDICATORS))


def _dims_key(dims: tuple[str, ...]) -> str:
    return ",".join(dims)


def _orders(combination: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A pair can be asked for in either order (rows and columns swap): both are released."""
    return [combination, combination[::-1]] if len(combination) == 2 else [combination]


# --- what a release publishes: every figure of a bundle, protected as one system -------------


def quarter_of(period: Period) -> Period:
    """The fiscal quarter a month belongs to (a quarter is its own)."""
    if period.kind == FISCAL_QUARTER:
        return period
    fy = period.start.year + 1 if period.start.month >= 10 else period.start.year
    return fiscal_quarter(fy, ((period.start.month - 10) % 12) // 3 + 1)


def bundle_of(period: Period) -> list[Period]:
    """The periods released together with `period`: a fiscal quarter with its months (a month
    is released with its quarter, so the two never disagree), a fiscal year with its quarters and
    months (those released before keep their figures)."""
    if period.kind == FISCAL_YEAR:
        return donor_periods(period)
    quarter = quarter_of(period)
    return [quarter, *period_parts(quarter)]


@dataclass
class ReleasePlan:
    """Everything a donor can obtain for a bundle: released figures, and those the bundle's
    release would publish, with the true counts (never shown) and the raw tables to publish."""

    published: Published
    periods: list[Period]  # the bundle
    new: list[Period]  # not released yet: this plan's release would publish them
    raw: dict[tuple[str, str, tuple[str, ...]], Table]  # (period, indicator, dims) -> raw table
    bound: int
    changing: int = 0  # figures obtainable but neither released nor in this plan


def _released_figures(releases: dict[str, Release]) -> dict[Cell, int]:
    """The figures of released periods, read back from their released tables."""
    values: dict[Cell, int] = {}
    for period in (period_parse(label) for label in releases):
        for indicator in indicators_offered():
            for dims in donor_combinations(indicator.code):
                table = released_table(period=period, indicator=indicator.code, dims=dims)
                if table is not None:
                    values.update((cell, value or 0) for cell, value in table_figures(table))
    return values


def release_plan(period: Period, *, k: int | None = None) -> ReleasePlan:
    """The figures a donor gets for the bundle of `period` once it is released: those already
    released as they are, the others protected (reporting.protection) consistently with them,
    quarter by quarter and then the year."""
    k = default_k() if k is None else k
    periods = bundle_of(period)
    codes = [indicator.code for indicator in indicators_offered()]
    published = Published(k=k, bound=default_bound())
    raw_tables: dict[tuple[str, str, tuple[str, ...]], Table] = {}
    for part in periods:
        for code in codes:
            tables = period_tables(
                indicator=code, period=part, combinations=donor_combinations(code)
            )
            for combination, raw in tables.items():
                raw_tables[(part.label, code, combination)] = raw
                published.add(raw, disclosure_apply(raw, k=k))
    published.periods_relate(periods)
    releases = {r.period: r for r in Release.objects.filter(period__in=[p.label for p in periods])}
    fixed = _released_figures(releases)
    bound = max([k - 1, *(r.bound for r in releases.values())])
    new = [p for p in periods if p.label not in releases]
    steps = [[q, *period_parts(q)] for q in periods if q.kind == FISCAL_QUARTER]
    if period.kind == FISCAL_YEAR:
        steps.append(periods)
    for step in steps:
        labels = {p.label for p in step}
        if all(label in releases for label in labels):
            continue
        only = {cell for cell in published.true if cell[1] in labels}
        done = protect(published, fixed=fixed, only=only)
        fixed.update(done.values)
        bound = max(bound, done.bound)
    changing = sum(1 for cell in published.true if cell not in fixed)
    published.shown = {cell: fixed.get(cell, 0) for cell in published.true}
    published.protected, published.bound = True, bound
    return ReleasePlan(
        published=published,
        periods=periods,
        new=new,
        raw=raw_tables,
        bound=bound,
        changing=changing,
    )


def release_audit(plan: ReleasePlan) -> None:
    """The gate before a release: the donor's attack on everything of the bundle must fail."""
    from .audit import CROSS_CHECKS, attack

    # The release's own figures are the proof (a witness); exact programs cross-check it.
    result = attack(plan.published, exact=True, check=CROSS_CHECKS)
    if result.recovered or result.pinned or plan.changing:
        raise ReleaseAuditFailed(
            plan.periods[0].label, recovered=result.recovered, pinned=result.pinned
        )


def release_publish(*, period: Period, actor=None) -> Release:
    """Freeze every table the donor API offers for a closed period and the rest of its bundle
    (a month is released with its quarter); the existing release if any.

    PeriodNotClosed if the bundle is not closed; ProtectionFailed if no consistent figures were
    found; ReleaseAuditFailed if the disclosure audit of the bundle recovers or pins a figure."""
    from .api.serializers import table_answer  # the API's own formatting, not a copy of it

    if period.kind not in RELEASE_PERIOD_KINDS:
        raise PeriodNotClosed(period.label)
    existing = Release.objects.filter(period=period.label).first()
    if existing is not None:
        return existing
    if not all(period_closed(part) for part in bundle_of(period)):
        raise PeriodNotClosed(period.label)
    plan = release_plan(period)
    release_audit(plan)
    values = plan.published.shown
    created_at = timezone.now()
    k = plan.published.k
    indicators = list(indicators_offered())
    releases: list[Release] = []
    tables: list[ReleaseTable] = []
    for part in plan.new:
        release = Release(
            period=part.label,
            kind=part.kind,
            start=part.start,
            end=part.end,
            created_at=created_at,
            k=k,
            bound=plan.bound,
            published_by=actor,
        )
        releases.append(release)
        for indicator in indicators:
            for combination in donor_combinations(indicator.code):
                raw = plan.raw[(part.label, indicator.code, combination)]
                shown = dataclasses.replace(figures_apply(raw, values, k=k), data_as_of=created_at)
                for dims in _orders(combination):
                    table = shown if dims == combination else transpose(shown)
                    for language, _name in settings.LANGUAGES:
                        with translation.override(language):
                            answer = table_answer(table, indicator, bound=plan.bound)
                            body = json.dumps(answer, ensure_ascii=False)
                        tables.append(
                            ReleaseTable(
                                release=release,
                                language=language,
                                indicator=indicator.code,
                                dims=_dims_key(dims),
                                body=body,
                            )
                        )
    try:
        with transaction.atomic():
            Release.objects.bulk_create(releases)
            saved = {
                r.period: r for r in Release.objects.filter(period__in=[p.label for p in plan.new])
            }
            for row in tables:
                row.release = saved[row.release.period]
            ReleaseTable.objects.bulk_create(tables, batch_size=500)
    except IntegrityError:  # published meanwhile by another run
        pass
    return Release.objects.get(period=period.label)


def transpose(table: Table) -> Table:
    """The same table with rows and columns swapped (a pair asked for in the other order)."""

    def swap(values: dict | None) -> dict | None:
        return None if values is None else {(c, r): v for (r, c), v in values.items()}

    return dataclasses.replace(
        table,
        dims=table.dims[::-1],
        rows=list(table.cols),
        cols=list(table.rows),
        cells=swap(table.cells),
        row_totals=dict(table.col_totals),
        col_totals=dict(table.row_totals),
        quantities=swap(table.quantities),
        quantity_row_totals=table.quantity_col_totals,
        quantity_col_totals=table.quantity_row_totals,
    )


def release_table_get(
    *, period: Period, indicator: str, dims: tuple[str, ...]
) -> dict[str, Any] | None:
    """The released answer for this table in the active language; None if not released."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        language = translation.get_supported_language_variant(language)
    except LookupError:
        language = settings.LANGUAGE_CODE
    body = (
        ReleaseTable.objects.filter(
            release__period=period.label,
            language=language,
            indicator=indicator,
            dims=_dims_key(dims),
        )
        .values_list("body", flat=True)
        .first()
    )
    return None if body is None else json.loads(body)


def released_table(*, period: Period, indicator: str, dims: tuple[str, ...]) -> Table | None:
    """The released table, as the published Table the exports and the donor report lay out;
    None if the period is not released."""
    answer = release_table_get(period=period, indicator=indicator, dims=dims)
    if answer is None:
        return None
    with_quantity = "quantity" in answer["total"]

    def entries(values: list[dict], key) -> tuple[dict, dict]:
        counts = {key(v): v["count"] for v in values}
        return counts, {key(v): v.get("quantity") for v in values}

    margins = {m["dimension"]: m["values"] for m in answer["margins"]}
    if not dims:
        cells, quantities = (
            {(ALL, ALL): answer["total"]["count"]},
            {(ALL, ALL): answer["total"].get("quantity")},
        )
        rows, cols = [ALL], [ALL]
        row_totals, row_q = {ALL: answer["total"]["count"]}, {ALL: answer["total"].get("quantity")}
        col_totals, col_q = dict(row_totals), dict(row_q)
    elif len(dims) == 1:
        cells, quantities = entries(answer["cells"], lambda v: (v["key"][dims[0]], ALL))
        rows, cols = [row for row, _all in cells], [ALL]
        row_totals, row_q = (
            {r: cells[(r, ALL)] for r in rows},
            {r: quantities[(r, ALL)] for r in rows},
        )
        col_totals, col_q = {ALL: answer["total"]["count"]}, {ALL: answer["total"].get("quantity")}
    else:
        cells, quantities = entries(
            answer["cells"], lambda v: (v["key"][dims[0]], v["key"][dims[1]])
        )
        row_totals, row_q = entries(margins[dims[0]], lambda v: v["key"])
        col_totals, col_q = entries(margins[dims[1]], lambda v: v["key"])
        rows, cols = list(row_totals), list(col_totals)
    table = Table(
        indicator=indicator,
        period=period,
        dims=dims,
        rows=rows,
        cols=cols,
        cells=cells,
        row_totals=row_totals,
        col_totals=col_totals,
        total=answer["total"]["count"],
        suppressed=set(),
        data_as_of=datetime.fromisoformat(answer["data_as_of"]),
        unit=answer["unit"],
        k=answer["k"],
    )
    if with_quantity:
        table.quantities, table.quantity_total = quantities, answer["total"]["quantity"]
        table.quantity_row_totals, table.quantity_col_totals = row_q, col_q
    return table


def current_fiscal_year(today: date) -> int:
    return today.year + 1 if today.month >= 10 else today.year


def release_candidates(*, years: int, today: date | None = None) -> list[Period]:
    """The fiscal quarters (each released with its months) and fiscal years of the last
    `years` fiscal years, oldest first: a year after its quarters."""
    today = timezone.localdate() if today is None else today
    last = current_fiscal_year(today)
    periods: list[Period] = []
    for fy in range(last - years + 1, last + 1):
        periods += [fiscal_quarter(fy, q) for q in (1, 2, 3, 4)] + [fiscal_year(fy)]
    return periods


def releases_close(
    *, years: int = 2, actor=None
) -> dict[str, Release | ReleaseAuditFailed | ProtectionFailed]:
    """Publish every closed, unreleased quarter (with its months) and fiscal year of the last
    `years` fiscal years: each one's release, or why it was refused (the others go ahead; a
    year waits for its quarters)."""
    released = set(Release.objects.values_list("period", flat=True))
    outcome: dict[str, Release | ReleaseAuditFailed | ProtectionFailed] = {}
    for period in release_candidates(years=years):
        if period.label in released or not all(period_closed(p) for p in bundle_of(period)):
            continue
        if period.kind == FISCAL_YEAR and any(
            part.label not in released for part in period_parts(period)
        ):
            continue
        try:
            outcome[period.label] = release_publish(period=period, actor=actor)
        except (ReleaseAuditFailed, ProtectionFailed) as refused:
            logger.warning("Release refused: %s", refused)
            outcome[period.label] = refused
            continue
        released |= {part.label for part in bundle_of(period)}
    return outcome
