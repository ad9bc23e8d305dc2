"""The disclosure audit: the attack a donor could run on everything published for a period.

It gathers every figure a donor can obtain for a period (every indicator, every offered
disaggregation, the period and its quarters and months) as released (reporting.releases,
reporting.protection), and for every figure whose true count is from 1 to k-1 asks a real
solver (scipy's HiGHS, integer variables) for the smallest and largest true count consistent
with all of it:

- each published figure p bounds its true count: for a release (`release_range`), 0 to k-1
  for 0, and within the release's bound of p (at least 1) above 0; for cell-key values alone
  (`published_range`), 0 to k-1 for 0, 1 to k+D for k, p-D to p+D above k; true counts are
  integers;
- relations that hold between true counts, each in the strongest form that holds in the data
  (a reader may know the structure): a margin equals the sum of its cells where it does (row
  counts, a person's fixed sex), else it is at most their sum and at least each of them (unique
  persons in several cells: centres, age bands, vulnerabilities); the same between a year and
  its quarters and a quarter and its months;
- the same figure shown in several tables (a margin of a pair, the cell of a single dimension)
  is one unknown, as it is one figure with one value.

A figure is recovered when its smallest and largest possible counts are equal, and pinned when
both lie within [1, k-1]. Where the published values themselves satisfy all of the above (a
release does, by construction), they are a witness that clears every small figure at once; the
solver still bounds a sample of them, and all of them where no witness holds.

Two pulls: a donor obtains a period only from its release, frozen once published, so the same
request never gets two answers; the audit counts the figures a donor could obtain that do not
come from a release or from the release being prepared (`changing`, 0 by construction, and
checked). Not modelled: relations between different indicators (e.g. repeat returnees are at
most those received).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .disclosure import (
    default_bound,
    default_k,
    disclosure_apply,
    donor_combinations,
    published_copy,
    published_range,
)
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


def release_range(published: int, k: int, bound: int) -> tuple[int, int]:
    """What a reader can tell of a true count from a released figure (reporting.protection):
    every figure is within `bound` (at least k - 1) of its true count, a 0 means fewer than k
    persons or none, and a figure above 0 means at least one."""
    if published == 0:
        return 0, k - 1
    return max(1, published - bound), published + bound


def figure_cell(table: Table, kind: str, key: Any = None, measure: str = "n") -> Cell:
    """The figure an entry of a table shows: the same figure in any table that shows it (a
    margin of a pair is the cell of the single dimension, a 0-dimension cell is the total)."""
    dims = table.dims
    if kind == "total" or not dims:
        pairs: frozenset = frozenset()
    elif kind == "row":
        pairs = frozenset({(dims[0], key)})
    elif kind == "col":
        pairs = frozenset({(dims[1], key)})
    elif len(dims) == 1:
        pairs = frozenset({(dims[0], key[0])})
    else:
        pairs = frozenset({(dims[0], key[0]), (dims[1], key[1])})
    return (table.indicator, table.period.label, pairs, measure)


def table_figures(table: Table) -> list[tuple[Cell, int | None]]:
    """Every figure a table shows, counts and (if any) quantities, with its value."""
    found: list[tuple[Cell, int | None]] = []
    views = [("n", table)]
    if table.quantities is not None:
        views.append(("q", _quantity_view(table)))
    for measure, view in views:
        found.append((figure_cell(view, "total", measure=measure), view.total))
        if len(view.dims) >= 1:
            for entry, value in view.cells.items():
                found.append((figure_cell(view, "cell", entry, measure), value))
        if len(view.dims) == 2:
            for r, value in view.row_totals.items():
                found.append((figure_cell(view, "row", r, measure), value))
            for c, value in view.col_totals.items():
                found.append((figure_cell(view, "col", c, measure), value))
    return found


def figures_apply(raw: Table, values: dict[Cell, int], *, k: int) -> Table:
    """A copy of `raw` showing the given published values (reporting.protection) and no keys."""

    def shown(kind: str, key: Any = None, measure: str = "n") -> int:
        return values[figure_cell(raw, kind, key, measure)]

    def layout(measure: str) -> tuple[dict, dict, dict, int]:
        if not raw.dims:
            total = shown("total", measure=measure)
            return {(ALL, ALL): total}, {ALL: total}, {ALL: total}, total
        cells = {entry: shown("cell", entry, measure) for entry in raw.cells}
        if len(raw.dims) == 1:
            rows = {r: cells[(r, ALL)] for r in raw.rows}
            total = shown("total", measure=measure)
            return cells, rows, {ALL: total}, total
        rows = {r: shown("row", r, measure) for r in raw.row_totals}
        cols = {c: shown("col", c, measure) for c in raw.col_totals}
        return cells, rows, cols, shown("total", measure=measure)

    cells, rows, cols, total = layout("n")
    out = published_copy(raw, cells, rows, cols, total, k=k)
    if raw.quantities is not None:
        q_cells, q_rows, q_cols, q_total = layout("q")
        out.quantities, out.quantity_row_totals = q_cells, q_rows
        out.quantity_col_totals, out.quantity_total = q_cols, q_total
    return out


@dataclass
class Published:
    """Every figure published (true count and published value), and the relations among them.

    `protected`: the values are a release's (reporting.protection), read with `release_range`
    and the release's bound; otherwise the cell-key values, read with `published_range`."""

    k: int
    bound: int
    true: dict[Cell, int] = field(default_factory=dict)
    shown: dict[Cell, int] = field(default_factory=dict)
    # (whole, parts): the whole relates to the sum of its parts
    relations: list[tuple[Cell, list[Cell]]] = field(default_factory=list)
    protected: bool = False

    def range_of(self, value: int) -> tuple[int, int]:
        if self.protected:
            return release_range(value, self.k, self.bound)
        return published_range(value, self.k, self.bound)

    def add(self, raw: Table, safe: Table) -> None:
        shown = dict(table_figures(safe))
        for cell, value in table_figures(raw):
            if self.true.get(cell, value or 0) != (value or 0):
                raise ValueError(f"{cell} has two true counts: {self.true[cell]} and {value}")
            self.true[cell] = value or 0
            self.shown[cell] = shown[cell] or 0
        views = [("n", raw)]
        if raw.quantities is not None:
            views.append(("q", _quantity_view(raw)))
        for measure, view in views:
            self._relate(view, measure)

    def _relate(self, raw: Table, measure: str) -> None:
        def cell(kind: str, key: Any = None) -> Cell:
            return figure_cell(raw, kind, key, measure)

        total = cell("total")
        if len(raw.dims) == 1:
            self.relations.append((total, [cell("cell", (r, ALL)) for r in raw.rows]))
        elif len(raw.dims) == 2:
            for r in raw.rows:
                self.relations.append((cell("row", r), [cell("cell", (r, c)) for c in raw.cols]))
            for c in raw.cols:
                self.relations.append((cell("col", c), [cell("cell", (r, c)) for r in raw.rows]))
            self.relations.append((total, [cell("row", r) for r in raw.rows]))
            self.relations.append((total, [cell("col", c) for c in raw.cols]))

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

    def witness_holds(self, cells: Iterable[Cell] | None = None) -> bool:
        """Whether the published values are themselves a reading of the true counts that
        agrees with everything shown: each value within its own range, every relation kept in
        the form it holds between the true counts."""
        wanted = None if cells is None else set(cells)
        for cell, value in self.shown.items():
            if wanted is not None and cell not in wanted:
                continue
            low, high = self.range_of(value)
            if not low <= value <= high:
                return False
        for whole, parts in self.relations:
            if wanted is not None and whole not in wanted:
                continue
            unique = list(dict.fromkeys(parts))
            if not unique:
                continue
            if self.true[whole] == sum(self.true[p] for p in unique):
                if self.shown[whole] != sum(self.shown[p] for p in unique):
                    return False
            elif not (
                max(self.shown[p] for p in unique)
                <= self.shown[whole]
                <= sum(self.shown[p] for p in unique)
            ):
                return False
        return True


def components_of(
    published: Published, *, only: set[Cell] | None = None
) -> list[tuple[list[Cell], list[tuple[Cell, list[Cell]]]]]:
    """Figures tied by relations, solved together: (members, their relations), optionally
    limited to the figures in `only` (relations reaching outside it are left out)."""
    cells = [c for c in published.true if only is None or c in only]
    index = {key: i for i, key in enumerate(cells)}
    parent = list(range(len(cells)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    kept = [
        (whole, parts)
        for whole, parts in published.relations
        if whole in index and all(p in index for p in parts)
    ]
    for whole, parts in kept:
        for part in parts:
            parent[find(index[part])] = find(index[whole])
    members: dict[int, list[Cell]] = {}
    for i, cell in enumerate(cells):
        members.setdefault(find(i), []).append(cell)
    relations: dict[int, list[tuple[Cell, list[Cell]]]] = {}
    for whole, parts in kept:
        relations.setdefault(find(index[whole]), []).append((whole, parts))
    return [(group, relations.get(root, [])) for root, group in members.items()]


def relation_rows(
    published: Published,
    relations: Iterable[tuple[Cell, list[Cell]]],
    local: dict[Cell, int],
) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
    """The relations as linear rows over the columns `local` gives: equalities (= 0) and
    inequalities (<= 0), each in the strongest form that holds between the true counts."""
    eq_rows: list[dict[int, float]] = []
    ub_rows: list[dict[int, float]] = []
    for whole, parts in relations:
        w = local[whole]
        unique = list(dict.fromkeys(parts))
        if not unique:
            continue
        ps = [local[p] for p in unique]
        total = sum(published.true[p] for p in unique)
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
    return eq_rows, ub_rows


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
    certified: int = 0  # small figures cleared by the published values themselves (a witness)
    solved: int = 0  # small figures bounded by the solver
    changing: int = 0  # figures a donor could get twice with different values (two pulls)

    @property
    def passed(self) -> bool:
        return self.recovered == 0 and self.pinned == 0 and self.changing == 0


def attack(published: Published, *, exact: bool = False, check: int | None = None) -> AuditResult:
    """Bound every small figure's true count over all that is shown.

    Where the published values are themselves a reading of the true counts that agrees with
    everything shown (`Published.witness_holds`, component by component), that reading proves
    each small figure shown as 0 could be 0 and each shown at k or more could be at least k:
    neither recovered nor pinned, with no solver needed. Every other small figure, and `check`
    of the certified ones (all if None), is bounded by HiGHS: by default the linear relaxation,
    its bounds rounded inwards; `exact` solves the integer program, whose bounds can only be
    tighter."""
    started = time.monotonic()
    k = published.k
    recovered = pinned = sensitive = certified = solved = 0
    findings: list[tuple[Cell, int, int]] = []
    for members, relations in components_of(published):
        targets = [c for c in members if 0 < published.true[c] < k]
        if not targets:
            continue
        sensitive += len(targets)
        witnessed = all(
            not 0 < published.shown[c] < k for c in targets
        ) and published.witness_holds(members)
        if witnessed:
            certified += len(targets)
            if check is not None:
                targets = targets[: max(0, check - solved)]
            if not targets:
                continue
        local, program = _component_program(published, members, relations, exact=exact)
        for cell in targets:
            low, high = _cell_range(local[cell], len(members), program)
            solved += 1
            if low == high:
                recovered += 1
                findings.append((cell, low, high))
            elif low >= 1 and high <= k - 1:
                pinned += 1
                findings.append((cell, low, high))
    return AuditResult(
        figures=len(published.true),
        sensitive=sensitive,
        recovered=recovered,
        pinned=pinned,
        seconds=time.monotonic() - started,
        findings=findings,
        certified=certified,
        solved=solved,
    )


def _component_program(
    published: Published,
    members: list[Cell],
    relations: Iterable[tuple[Cell, list[Cell]]],
    *,
    exact: bool,
) -> tuple[dict[Cell, int], dict[str, Any]]:
    """A component's column of each figure, and its program's constraints (linprog arguments)."""
    import numpy as np

    local = {cell: j for j, cell in enumerate(members)}
    bounds = [published.range_of(published.shown[c]) for c in members]
    eq_rows, ub_rows = relation_rows(published, relations, local)
    program = {
        "A_eq": _sparse(eq_rows, len(members)),
        "b_eq": np.zeros(len(eq_rows)) if eq_rows else None,
        "A_ub": _sparse(ub_rows, len(members)),
        "b_ub": np.zeros(len(ub_rows)) if ub_rows else None,
        "bounds": bounds,
        "integrality": np.ones(len(members)) if exact else None,
    }
    return local, program


def _sparse(rows: list[dict[int, float]], width: int) -> Any:
    """The rows as a sparse matrix of `width` columns (None without rows)."""
    from scipy.sparse import coo_matrix

    if not rows:
        return None
    data = [(r, c, v) for r, row in enumerate(rows) for c, v in row.items()]
    r_idx, c_idx, vals = zip(*data, strict=True)
    return coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), width)).tocsr()


def _cell_range(column: int, width: int, program: dict[str, Any]) -> tuple[int, int]:
    """The smallest and largest true count of one figure: minimise, then maximise it."""
    import numpy as np
    from scipy.optimize import linprog

    objective = np.zeros(width)
    objective[column] = 1.0
    low_high = []
    for sign in (1.0, -1.0):
        found = linprog(sign * objective, method="highs", **program)
        if found.status != 0:  # cannot happen: the true counts are a solution
            raise RuntimeError(f"The audit's program failed: {found.message}")
        value = sign * found.fun
        # Integer counts: round a relaxed bound inwards (a tolerance for the solver's).
        low_high.append(math.ceil(value - 1e-6) if sign > 0 else math.floor(value + 1e-6))
    low, high = low_high
    return low, high


def publication_gather(periods: Iterable[Period], *, k: int | None = None) -> Published:
    """Every figure of the periods a donor can ask for, true and with its cell-key value,
    and the relations among them (within tables and between a period and its parts)."""
    k = default_k() if k is None else k
    periods = list(periods)
    published = Published(k=k, bound=default_bound())
    for part in periods:
        for indicator in INDICATORS:
            for dims in donor_combinations(indicator):
                raw = report_compute(indicator=indicator, period=part, dims=dims)
                published.add(raw, disclosure_apply(raw, k=k))
    published.periods_relate(periods)
    return published


# How many figures cleared by the release's own figures (the witness, a complete proof) are
# also bounded by exact integer programs, as a cross-check of that proof: each program takes
# seconds to minutes at a fiscal year's size.
CROSS_CHECKS = 20


def disclosure_audit(
    period: Period, *, k: int | None = None, exact: bool = False, check: int | None = CROSS_CHECKS
) -> AuditResult:
    """The attack on everything a donor can obtain for the period: the released figures of
    the period and its parts, and for those not released yet the figures their release would
    publish (reporting.releases.release_plan). `check` certified figures are also bounded by
    the solver (None: all of them)."""
    from .releases import release_plan

    started = time.monotonic()
    plan = release_plan(period, k=k)
    result = attack(plan.published, exact=exact, check=check)
    result.changing = plan.changing
    result.seconds = time.monotonic() - started
    return result
