"""The disclosure audit: the attack a donor could run on everything published for a period.

It gathers every table a donor can obtain for a period (every indicator, every offered
disaggregation, the period and its quarters and months), as published (cell-key method,
reporting.disclosure), and for every figure whose true count is from 1 to k-1 it asks a real
solver (scipy's HiGHS, integer variables) for the smallest and largest true count consistent
with all of it:

- each published figure p bounds its true count (`published_range`): 0 to k-1 for 0, 1 to k+D
  for k, p-D to p+D above k; true counts are integers;
- relations that hold between true counts, each in the strongest form that holds in the data
  (a reader may know the structure): a margin equals the sum of its cells where it does (row
  counts, a person's fixed sex), else it is at most their sum and at least each of them (unique
  persons in several cells: centres, age bands, vulnerabilities); the same between a year and
  its quarters and a quarter and its months;
- the same figure shown in several tables (a margin of a pair, the cell of a single dimension)
  is one unknown, as it is the same cell with the same key.

A figure is recovered when its smallest and largest possible counts are equal, and pinned when
both lie within [1, k-1]. Not modelled yet: relations between different indicators (e.g. repeat
returnees are at most those received), and the two-pulls scenario.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .disclosure import default_bound, default_k, disclosure_apply, donor_combinations
from .indicators import ALL, INDICATORS, Table, report_compute
from .periods import (
    CALENDAR_YEAR,
    FISCAL_QUARTER,
    FISCAL_YEAR,
    Period,
    fiscal_quarter,
    month,
)

Cell = tuple  # (indicator, period label, frozenset of (dimension, value), measure)


def period_parts(period: Period) -> list[Period]:
    """The whole periods a period is made of, one level down: quarters of a fiscal year, months
    of a quarter or a calendar year; none for a month."""
    if period.kind == FISCAL_YEAR:
        fy = int(period.label[2:])
        return [fiscal_quarter(fy, q) for q in (1, 2, 3, 4)]
    if period.kind in (FISCAL_QUARTER, CALENDAR_YEAR):
        first = period.start.year * 12 + period.start.month - 1
        last = period.end.year * 12 + period.end.month - 1
        return [month(n // 12, n % 12 + 1) for n in range(first, last + 1)]
    return []


def donor_periods(period: Period) -> list[Period]:
    """The period and every whole period inside it a donor can ask for."""
    found = [period]
    for part in period_parts(period):
        found += donor_periods(part)
    return found


@dataclass
class Published:
    """Every figure published (true count and published value), and the relations among them."""

    k: int
    bound: int
    true: dict[Cell, int] = field(default_factory=dict)
    shown: dict[Cell, int] = field(default_factory=dict)
    # (whole, parts): the whole relates to the sum of its parts
    relations: list[tuple[Cell, list[Cell]]] = field(default_factory=list)

    def add(self, raw: Table, safe: Table) -> None:
        measures = [("n", raw, safe)]
        if raw.quantities is not None:
            measures.append(("q", _quantity_view(raw), _quantity_view(safe)))
        for measure, r, s in measures:
            self._add(r, s, measure)

    def _add(self, raw: Table, safe: Table, measure: str) -> None:
        def cell(*pairs: tuple[str, str]) -> Cell:
            return (raw.indicator, raw.period.label, frozenset(pairs), measure)

        def put(key: Cell, true: int | None, shown: int | None) -> Cell:
            self.true[key] = true or 0
            self.shown[key] = shown or 0
            return key

        total = put(cell(), raw.total, safe.total)
        dims = raw.dims
        if len(dims) == 1:
            parts = [
                put(cell((dims[0], r)), raw.cells[(r, ALL)], safe.cells[(r, ALL)]) for r in raw.rows
            ]
            self.relations.append((total, parts))
        elif len(dims) == 2:
            a, b = dims
            rows = {r: put(cell((a, r)), raw.row_totals[r], safe.row_totals[r]) for r in raw.rows}
            cols = {c: put(cell((b, c)), raw.col_totals[c], safe.col_totals[c]) for c in raw.cols}
            cells = {
                (r, c): put(cell((a, r), (b, c)), raw.cells[(r, c)], safe.cells[(r, c)])
                for r in raw.rows
                for c in raw.cols
            }
            for r in raw.rows:
                self.relations.append((rows[r], [cells[(r, c)] for c in raw.cols]))
            for c in raw.cols:
                self.relations.append((cols[c], [cells[(r, c)] for r in raw.rows]))
            self.relations.append((total, list(rows.values())))
            self.relations.append((total, list(cols.values())))

    def periods_relate(self, periods: Iterable[Period]) -> None:
        """Each figure of a period relates to the same figure in the period's parts."""
        by_period: dict[str, dict[tuple, Cell]] = {}
        for key in self.true:
            indicator, label, pairs, measure = key
            by_period.setdefault(label, {})[(indicator, pairs, measure)] = key
        for period in periods:
            labels = [part.label for part in period_parts(period)]
            if not labels:
                continue
            for identity, whole in by_period.get(period.label, {}).items():
                parts = [by_period.get(label, {}).get(identity) for label in labels]
                self.relations.append((whole, [part for part in parts if part is not None]))


def _quantity_view(table: Table) -> Table:
    """The quantities of a table, laid out as a table of counts."""
    return Table(
        indicator=table.indicator,
        period=table.period,
        dims=table.dims,
        rows=table.rows,
        cols=table.cols,
        cells=dict(table.quantities or {}),
        row_totals=dict(table.quantity_row_totals or {}),
        col_totals=dict(table.quantity_col_totals or {}),
        total=table.quantity_total,
        suppressed=set(),
        data_as_of=table.data_as_of,
    )


@dataclass
class AuditResult:
    figures: int
    sensitive: int  # figures whose true count is from 1 to k-1
    recovered: int
    pinned: int
    seconds: float
    findings: list[tuple[Cell, int, int]]  # (figure, smallest, largest) recovered or pinned

    @property
    def passed(self) -> bool:
        return self.recovered == 0 and self.pinned == 0


def attack(published: Published, *, exact: bool = False) -> AuditResult:
    """Bound every small figure's true count over all that is shown.

    By default the linear relaxation, its bounds rounded inwards to integers (fast: one HiGHS
    LP per bound); `exact` solves the integer program instead (HiGHS branch and bound), whose
    bounds can only be tighter: the audit that must pass before a release uses it."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    started = time.monotonic()
    k, bound = published.k, published.bound
    from .disclosure import published_range

    cells = list(published.true)
    index = {key: i for i, key in enumerate(cells)}
    # Components: figures tied by relations are solved together, the others apart.
    parent = list(range(len(cells)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for whole, parts in published.relations:
        for part in parts:
            parent[find(index[part])] = find(index[whole])
    components: dict[int, list[int]] = {}
    for i in range(len(cells)):
        components.setdefault(find(i), []).append(i)
    relations_of: dict[int, list[tuple[Cell, list[Cell]]]] = {}
    for whole, parts in published.relations:
        relations_of.setdefault(find(index[whole]), []).append((whole, parts))

    recovered = pinned = sensitive = 0
    findings: list[tuple[Cell, int, int]] = []
    for root, members in components.items():
        targets = [i for i in members if 0 < published.true[cells[i]] < k]
        if not targets:
            continue
        sensitive += len(targets)
        local = {i: j for j, i in enumerate(members)}
        bounds = [published_range(published.shown[cells[i]], k, bound) for i in members]
        eq_rows, ub_rows = [], []  # lists of {column: coefficient}
        for whole, parts in relations_of.get(root, []):
            w = local[index[whole]]
            ps = [local[index[p]] for p in dict.fromkeys(parts)]
            total = sum(published.true[p] for p in dict.fromkeys(parts))
            if published.true[whole] == total:
                row = {w: -1.0}
                for p in ps:
                    row[p] = row.get(p, 0.0) + 1.0
                eq_rows.append(row)
            else:
                row = {w: 1.0}  # whole <= sum of parts
                for p in ps:
                    row[p] = row.get(p, 0.0) - 1.0
                ub_rows.append(row)
                ub_rows.extend({p: 1.0, w: -1.0} for p in ps if p != w)  # part <= whole

        def matrix(rows: list[dict[int, float]], width: int = len(members)):
            if not rows:
                return None
            data = [(r, c, v) for r, row in enumerate(rows) for c, v in row.items()]
            r_idx, c_idx, vals = zip(*data, strict=True)
            return coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), width)).tocsr()

        a_eq, a_ub = matrix(eq_rows), matrix(ub_rows)
        b_eq = np.zeros(len(eq_rows)) if eq_rows else None
        b_ub = np.zeros(len(ub_rows)) if ub_rows else None
        integrality = np.ones(len(members)) if exact else None
        for i in targets:
            objective = np.zeros(len(members))
            objective[local[i]] = 1.0
            low_high = []
            for sign in (1.0, -1.0):
                found = linprog(
                    sign * objective,
                    A_ub=a_ub,
                    b_ub=b_ub,
                    A_eq=a_eq,
                    b_eq=b_eq,
                    bounds=bounds,
                    integrality=integrality,
                    method="highs",
                )
                if found.status != 0:  # cannot happen: the true counts are a solution
                    raise RuntimeError(f"The audit's program failed: {found.message}")
                value = sign * found.fun
                # Integer counts: round a relaxed bound inwards (a tolerance for the solver's).
                low_high.append(math.ceil(value - 1e-6) if sign > 0 else math.floor(value + 1e-6))
            low, high = low_high
            if low == high:
                recovered += 1
                findings.append((cells[i], low, high))
            elif low >= 1 and high <= k - 1:
                pinned += 1
                findings.append((cells[i], low, high))
    return AuditResult(
        figures=len(cells),
        sensitive=sensitive,
        recovered=recovered,
        pinned=pinned,
        seconds=time.monotonic() - started,
        findings=findings,
    )


def publication_gather(period: Period, *, k: int | None = None) -> Published:
    """Everything a donor can obtain for the period, as the donor API publishes it."""
    k = default_k() if k is None else k
    published = Published(k=k, bound=default_bound())
    periods = donor_periods(period)
    for part in periods:
        for indicator in INDICATORS:
            for dims in donor_combinations(indicator):
                raw = report_compute(indicator=indicator, period=part, dims=dims)
                published.add(raw, disclosure_apply(raw, k=k))
    published.periods_relate(periods)
    return published


def disclosure_audit(period: Period, *, k: int | None = None, exact: bool = False) -> AuditResult:
    started = time.monotonic()
    result = attack(publication_gather(period, k=k), exact=exact)
    result.seconds = time.monotonic() - started
    return result
