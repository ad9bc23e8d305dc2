"""Consistent protection of a release: every figure a donor can obtain, adjusted as one system.

Why not the cell-key values alone: each figure perturbed on its own does not add up, and a
reader who knows how figures relate (a margin is the sum of its cells, a quarter the sum of its
months) combines bounded adjustments into bounds on a small cell. The cell-key method stops
exact recovery, but it still lets a reader prove that some small counts lie inside [1, k-1]
(pinned): at least one person is there, fewer than k.

The release therefore publishes figures found by controlled tabular adjustment (CTA; Dandekar &
Cox, "Synthetic tabular data: an alternative to complementary cell suppression", 2002; Castro,
"Minimum-distance controlled perturbation methods for large-scale tabular data protection",
European Journal of Operational Research 171, 2006; the CTA chapter of the Eurostat Handbook on
Statistical Disclosure Control, 2010, implemented in tau-ARGUS and sdcTable). One mixed-integer
program per indicator and measure (scipy's HiGHS) chooses one value per figure so that:

- every figure whose true count is 0 stays 0;
- every other figure is 0 or at least k (no count from 1 to k-1 is published), and within k-1
  of its true count unless the relations force more (at a high cost in the objective);
- the published figures satisfy every relation that holds between the true counts, in the same
  form (reporting.audit.Published: a margin equals the sum of its cells where the true counts do,
  else it is at most their sum and at least each of them; the same between a period and its
  parts; the same figure in two tables is one value), and keep the figures of an earlier
  release of the same persons as they were;
- close to the cell-key values (reporting.disclosure.perturb, within D of the truth), at a small
  cost per unit, so the adjustments are keyed noise, not a copy of the truth, and most figures
  stay within D; the solver stops within 5% of the best such solution, or at
  REPORTING_PROTECTION_SECONDS per indicator and measure with the best found by then.

What that buys (reporting.audit): the published figures are themselves a solution of everything
a reader can write down about the true counts, so for every small count there is a consistent
reading in which it is 0 (if shown as 0) or at least k (if shown at k or more). No small count
is recovered or pinned inside [1, k-1], whatever solver the reader uses.

The bound a reader may rely on is stated with each release: every figure is within
max(k - 1, the largest adjustment made) of its true count, and a 0 means fewer than that.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from .audit import Cell, Published, components_of, relation_rows

logger = logging.getLogger(__name__)
BIG_COST = 1000.0  # per unit beyond k - 1 of the true count: only when the relations force it
MIP_GAP = 0.05


def solve_seconds() -> float:
    """The solver's time per indicator and measure (REPORTING_PROTECTION_SECONDS)."""
    return float(getattr(settings, "REPORTING_PROTECTION_SECONDS", 120))


class ProtectionFailed(Exception):
    """No consistent set of figures was found in time (the release is refused)."""


@dataclass
class Protected:
    values: dict[Cell, int]
    bound: int  # max(k - 1, the largest |published - true| of any figure shown above 0)


def protect(
    published: Published,
    *,
    fixed: dict[Cell, int] | None = None,
    only: set[Cell] | None = None,
) -> Protected:
    """Consistent published values for every figure of `published` (or those in `only`); its
    `shown` values are the cell-key targets; `fixed` figures (released before) keep theirs."""
    fixed = fixed or {}
    values: dict[Cell, int] = {}
    # Counts first: a quantity is shown only where its count is (and is at least the count).
    groups = sorted(components_of(published, only=only), key=lambda group: group[0][0][3] != "n")
    for members, relations in groups:
        if all(cell in fixed for cell in members):
            values.update({cell: fixed[cell] for cell in members})
            continue
        values.update(_solve(published, members, relations, fixed, values))
    k = published.k
    worst = 0
    for cell, value in values.items():
        if cell in fixed:
            continue
        true = published.true[cell]
        if value > 0 or true >= k:
            worst = max(worst, abs(value - true))
    return Protected(values=values, bound=max(k - 1, worst))


def _count_of(cell: Cell) -> Cell:
    indicator, label, pairs, _measure = cell
    return (indicator, label, pairs, "n")


def _solve(
    published: Published,
    members: list[Cell],
    relations: list[tuple[Cell, list[Cell]]],
    fixed: dict[Cell, int],
    counts: dict[Cell, int],
    *,
    relaxed: bool = False,
    shown: dict[Cell, bool] | None = None,
) -> dict[Cell, int]:
    """One indicator and measure, in two passes: first any consistent figures within k - 1
    of the truth (no objective but going beyond: the first such solution ends the search,
    seconds even at national scale); then, which figures are shown (0 or not) kept from the
    first pass, the figures closest to their cell-key values (no more yes-or-no choices: an
    easy program). The second pass's answer if it finds one in time, else the first's."""
    if shown is None:
        first = _solve(published, members, relations, fixed, counts, relaxed=relaxed, shown={})
        pattern = {cell: value > 0 for cell, value in first.items()}
        try:
            return _solve(published, members, relations, fixed, counts, shown=pattern)
        except ProtectionFailed:
            return first
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    started = time.monotonic()
    k, nominal = published.k, published.bound
    n = len(members)
    local = {cell: i for i, cell in enumerate(members)}
    target = np.array([published.shown[c] for c in members], dtype=float)
    # Variables: x (published value), b (shown above 0), e (distance to the cell-key value),
    # s (beyond the nominal bound); 4n columns.
    x, b, e, s = 0, n, 2 * n, 3 * n
    lower = np.zeros(4 * n)
    upper = np.full(4 * n, np.inf)
    upper[b : b + n] = 1.0
    rows: list[dict[int, float]] = []
    row_low: list[float] = []
    row_high: list[float] = []

    def add(row: dict[int, float], low: float, high: float) -> None:
        rows.append(row)
        row_low.append(low)
        row_high.append(high)

    for i, cell in enumerate(members):
        t = published.true[cell]
        # Room above the truth: k - 1, or what sums of figures released before force.
        headroom = 2 * t + 10 * k + 4 * nominal
        lower[x + i], upper[x + i], lower[b + i], upper[b + i] = _figure_bounds(
            cell, t, k, headroom, fixed, counts, relaxed=relaxed, shown=shown
        )
        # x >= k b and x <= headroom b: 0, or at least k
        add({x + i: 1.0, b + i: -float(k)}, 0.0, np.inf)
        add({x + i: 1.0, b + i: -float(max(headroom, upper[x + i]))}, -np.inf, 0.0)
        # |x - true| <= allowed + s
        # Within k - 1 of the true count, every figure (the bound a release states): a bound
        # as tight as the cell-key's D leaves too few consistent solutions to find quickly.
        allowed = float(k - 1)
        add({x + i: 1.0, s + i: -1.0}, -np.inf, t + allowed)
        add({x + i: 1.0, s + i: 1.0}, t - allowed, np.inf)
        # |x - target| <= e
        add({x + i: 1.0, e + i: -1.0}, -np.inf, target[i])
        add({x + i: 1.0, e + i: 1.0}, target[i], np.inf)
    # Relations among figures released before only are as they were published.
    open_relations = [
        (whole, parts)
        for whole, parts in relations
        if whole not in fixed or any(part not in fixed for part in parts)
    ]
    eq_rows, ub_rows = relation_rows(published, open_relations, local)
    for row in eq_rows:
        add(row, 0.0, 0.0)
    for row in ub_rows:
        add(row, -np.inf, 0.0)
    data = [(r, c, v) for r, row in enumerate(rows) for c, v in row.items()]
    r_idx, c_idx, vals = zip(*data, strict=True)
    matrix = coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), 4 * n)).tocsr()
    closeness = 1.0 if shown else 0.0
    cost = np.concatenate([np.zeros(n), np.zeros(n), np.full(n, closeness), np.full(n, BIG_COST)])
    integrality = np.concatenate([np.ones(n), np.ones(n), np.zeros(n), np.zeros(n)])
    found = milp(
        cost,
        constraints=LinearConstraint(matrix, np.array(row_low), np.array(row_high)),
        bounds=Bounds(lower, upper),
        integrality=integrality,
        options={"time_limit": solve_seconds(), "mip_rel_gap": MIP_GAP, "disp": False},
    )
    logger.info(
        "protect %s [%s] pass %d: %d figures, %d relations, %.1f s, %s",
        members[0][0],
        members[0][3],
        2 if shown else 1,
        n,
        len(open_relations),
        time.monotonic() - started,
        found.message,
    )
    if found.x is None:
        if not relaxed and not shown:  # e.g. a year of 12 over quarters released as 0
            return _solve(published, members, relations, fixed, counts, relaxed=True, shown={})
        raise ProtectionFailed(f"{members[0][0]} [{members[0][3]}]: {found.message}")
    solution = {cell: int(round(found.x[x + i])) for i, cell in enumerate(members)}
    _check(published, open_relations, solution, k)
    return solution


def _figure_bounds(
    cell: Cell,
    t: int,
    k: int,
    headroom: float,
    fixed: dict[Cell, int],
    counts: dict[Cell, int],
    *,
    relaxed: bool,
    shown: dict[Cell, bool],
) -> tuple[float, float, float, float]:
    """One figure's bounds: (lowest, highest) published value x, then of its shown flag b."""
    x_low, x_high, b_low, b_high = 0.0, math.inf, 0.0, 1.0
    # A quantity is shown where its count is, and is at least the count (relaxed: only
    # if no such figures exist, which the log says).
    linked = cell[3] == "q" and not relaxed
    quantity_of_hidden = linked and counts.get(_count_of(cell)) == 0
    if cell in fixed:
        v = fixed[cell]
        x_low = x_high = v
        b_low = b_high = 1.0 if v > 0 else 0.0
    elif t == 0 or quantity_of_hidden:
        x_high = 0.0
        b_high = 0.0
    else:
        x_high = headroom
        if t >= k and not relaxed:
            b_low = 1.0  # a count of k or more is shown (unless nothing else works)
        if linked and counts.get(_count_of(cell), 0) > 0:
            b_low = 1.0  # shown where its count is shown, at least the count
            x_low = max(k, counts[_count_of(cell)])
    if shown and cell not in fixed:
        b_low = b_high = 1.0 if shown[cell] else 0.0
    return x_low, x_high, b_low, b_high


def _check(
    published: Published,
    relations: Iterable[tuple[Cell, list[Cell]]],
    solution: dict[Cell, int],
    k: int,
) -> None:
    """The solver's answer, checked as integers: no small value, every relation kept."""
    for cell, value in solution.items():
        if 0 < value < k:
            raise ProtectionFailed(f"{cell}: {value} is below k")
    for whole, parts in relations:
        unique = list(dict.fromkeys(parts))
        total_true = sum(published.true[p] for p in unique)
        total = sum(solution[p] for p in unique)
        if published.true[whole] == total_true:
            if solution[whole] != total:
                raise ProtectionFailed(f"{whole}: {solution[whole]} is not the sum {total}")
        elif not (max((solution[p] for p in unique), default=0) <= solution[whole] <= total):
            raise ProtectionFailed(f"{whole}: {solution[whole]} outside its parts' range")
