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
- every other figure is 0 or at least k (no count from 1 to k-1 is published): a small count
  goes to 0 or to between k and its count + k - 1, a large one stays within the nominal bound
  D of its true count (REPORTING_PERTURBATION_BOUND) unless the relations force more, at a high
  cost in the objective;
- the published figures satisfy every relation that holds between the true counts, in the same
  form (reporting.audit.Published: a margin equals the sum of its cells where the true counts do,
  else it is at most their sum and at least each of them; the same between a period and its
  parts; the same figure in two tables is one value), and keep the figures of an earlier
  release of the same persons as they were;
- as close as possible to the cell-key values (reporting.disclosure.perturb), so the
  adjustments are keyed noise, not a copy of the truth wherever the relations allow.

What that buys (reporting.audit): the published figures are themselves a solution of everything
a reader can write down about the true counts, so for every small count there is a consistent
reading in which it is 0 (if shown as 0) or at least k (if shown at k or more). No small count
is recovered or pinned inside [1, k-1], whatever solver the reader uses.

The bound a reader may rely on is stated with each release: every figure is within
max(k - 1, the largest adjustment made) of its true count, and a 0 means fewer than that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .audit import Cell, Published, components_of, relation_rows

BIG_COST = 1000.0  # per unit beyond the nominal bound: taken only when the relations force it
SOLVE_SECONDS = 120.0  # per indicator and measure


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
) -> dict[Cell, int]:
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

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
        headroom = t + 4 * k + 4 * nominal
        quantity_of_hidden = cell[3] == "q" and counts.get(_count_of(cell)) == 0
        if cell in fixed:
            v = fixed[cell]
            lower[x + i] = upper[x + i] = v
            lower[b + i] = upper[b + i] = 1.0 if v > 0 else 0.0
        elif t == 0 or quantity_of_hidden:
            upper[x + i] = 0.0
            upper[b + i] = 0.0
        else:
            upper[x + i] = headroom
            if cell[3] == "q" and counts.get(_count_of(cell), 0) > 0:
                lower[b + i] = 1.0  # shown where its count is shown, at least the count
                lower[x + i] = max(k, counts[_count_of(cell)])
        # x >= k b and x <= headroom b: 0, or at least k
        add({x + i: 1.0, b + i: -float(k)}, 0.0, np.inf)
        add({x + i: 1.0, b + i: -float(max(headroom, upper[x + i]))}, -np.inf, 0.0)
        # |x - true| <= allowed + s
        allowed = float(k - 1 if 0 < t < k else nominal)
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
    cost = np.concatenate([np.zeros(n), np.zeros(n), np.ones(n), np.full(n, BIG_COST)])
    integrality = np.concatenate([np.ones(n), np.ones(n), np.zeros(n), np.zeros(n)])
    found = milp(
        cost,
        constraints=LinearConstraint(matrix, np.array(row_low), np.array(row_high)),
        bounds=Bounds(lower, upper),
        integrality=integrality,
        options={"time_limit": SOLVE_SECONDS, "mip_rel_gap": 0.05, "disp": False},
    )
    if found.x is None:
        raise ProtectionFailed(f"{members[0][0]} [{members[0][3]}]: {found.message}")
    solution = {cell: int(round(found.x[x + i])) for i, cell in enumerate(members)}
    _check(published, open_relations, solution, k)
    return solution


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
