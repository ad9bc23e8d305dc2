"""Releases: a closed period's donor tables published once and frozen.

A period is closed once REPORTING_RELEASE_LAG_DAYS (default 45) have passed after its end: late
records (a delivery entered weeks later) have had time to come in. From then on every donor
door reads the release, never the live data, so two pulls around a later change are the same
bytes (a difference of pulls cannot single anyone out), and `data_as_of` is the release's
time, the same for every table of the period.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from .disclosure import (
    DONOR_PERIOD_KINDS,
    default_bound,
    default_k,
    disclosure_apply,
    donor_combinations,
)
from .indicators import ALL, INDICATORS, Table, report_compute
from .models import Indicator, Release, ReleaseTable
from .periods import Period, fiscal_quarter, fiscal_year, month

DEFAULT_LAG_DAYS = 45
logger = logging.getLogger(__name__)


class PeriodNotClosed(Exception):
    """The period has not ended, or its lag for late records has not passed."""


class ReleaseAuditFailed(Exception):
    """The disclosure audit of the period found figures a donor could recover or pin."""

    def __init__(self, period: str, *, recovered: int, pinned: int) -> None:
        super().__init__(f"{period}: {recovered} recovered, {pinned} pinned in [1, k-1]")
        self.recovered, self.pinned = recovered, pinned


def require_zero_pinned() -> bool:
    """Pinned figures block a release only when set: the cell-key method alone still pins
    some small counts within [1, k-1] (the strict xfail in reporting/tests/test_audit.py)."""
    return bool(getattr(settings, "REPORTING_RELEASE_REQUIRE_ZERO_PINNED", False))


def release_audit(period: Period) -> None:
    """The gate before a release: the donor's attack on everything of the period must fail."""
    from .audit import disclosure_audit

    result = disclosure_audit(period, exact=True)
    if result.recovered or (require_zero_pinned() and result.pinned):
        raise ReleaseAuditFailed(period.label, recovered=result.recovered, pinned=result.pinned)


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


def release_publish(*, period: Period, actor=None) -> Release:
    """Freeze every table the donor API offers for a closed period; the existing release if any.

    PeriodNotClosed if the period is not closed; ReleaseAuditFailed if the disclosure audit of
    the period recovers a figure (or pins one, under REPORTING_RELEASE_REQUIRE_ZERO_PINNED)."""
    from .api.serializers import table_answer  # the API's own formatting, not a copy of it

    if period.kind not in DONOR_PERIOD_KINDS or not period_closed(period):
        raise PeriodNotClosed(period.label)
    existing = Release.objects.filter(period=period.label).first()
    if existing is not None:
        return existing
    release_audit(period)
    created_at = timezone.now()
    k = default_k()
    rows = []
    for indicator in indicators_offered():
        for combination in donor_combinations(indicator.code):
            for dims in _orders(combination):
                raw = report_compute(indicator=indicator.code, period=period, dims=dims)
                table = dataclasses.replace(disclosure_apply(raw, k=k), data_as_of=created_at)
                for language, _name in settings.LANGUAGES:
                    with translation.override(language):
                        body = json.dumps(table_answer(table, indicator), ensure_ascii=False)
                    rows.append(
                        ReleaseTable(
                            language=language,
                            indicator=indicator.code,
                            dims=_dims_key(dims),
                            body=body,
                        )
                    )
    try:
        with transaction.atomic():
            release = Release.objects.create(
                period=period.label,
                kind=period.kind,
                start=period.start,
                end=period.end,
                created_at=created_at,
                k=k,
                bound=default_bound(),
                published_by=actor,
            )
            for row in rows:
                row.release = release
            ReleaseTable.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:  # published meanwhile by another run
        return Release.objects.get(period=period.label)
    return release


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
    """Fiscal years, quarters and months of the last `years` fiscal years, oldest first."""
    today = timezone.localdate() if today is None else today
    last = current_fiscal_year(today)
    periods: list[Period] = []
    for fy in range(last - years + 1, last + 1):
        year = fiscal_year(fy)
        months = []
        day = year.start
        while day <= year.end:
            months.append(month(day.year, day.month))
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        periods += months + [fiscal_quarter(fy, q) for q in (1, 2, 3, 4)] + [year]
    return periods


def releases_close(*, years: int = 2, actor=None) -> dict[str, Release | ReleaseAuditFailed]:
    """Publish every closed, unreleased period of the last `years` fiscal years: each period's
    release, or why its audit refused it (the others go ahead)."""
    released = set(Release.objects.values_list("period", flat=True))
    outcome: dict[str, Release | ReleaseAuditFailed] = {}
    for period in release_candidates(years=years):
        if period.label in released or not period_closed(period):
            continue
        try:
            outcome[period.label] = release_publish(period=period, actor=actor)
        except ReleaseAuditFailed as refused:
            logger.warning("Release refused by the disclosure audit: %s", refused)
            outcome[period.label] = refused
    return outcome
