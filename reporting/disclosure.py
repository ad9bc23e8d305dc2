"""Disclosure control: the suppression every aggregate passes before it leaves for a donor.

Primary suppression: every count from 1 to k-1 is withheld, cells and totals alike (0 is shown:
"nobody" identifies no one).

Complementary suppression, so that no withheld count can be worked out from what is shown.
Margins are treated as sums of their cells, although unique-person margins are distinct counts
(never more than the sum): what protects sums protects them too.

- 2-D table: take the table with its margins, (rows + 1) x (columns + 1) entries, where every
  row and every column of that extended table is a linear relation (cells add up to the margin).
  Draw the withheld entries as edges of a bipartite graph between extended rows and extended
  columns. A withheld entry is safe when its edge lies on a cycle of withheld entries: adding
  and taking 1 in turn around the cycle keeps every relation true, so its value is not unique.
  (A row with exactly one withheld entry, or an entry that only bridges two groups of withheld
  entries, is recoverable by differencing.) While some withheld entry is on no cycle, the
  cheapest rectangle through it is withheld too: three more entries, all non-zero, preferring
  cells to totals, then fewer new entries, then the smallest values.
- 1-D table: the cells and the total form one relation: if exactly one is withheld, the smallest
  non-zero shown cell is withheld as well (the total if there is none).
- Withheld entries are never zero, so every cycle can move by 1 in either direction.

Quantities (services delivered) are withheld wherever their counts are: the same pattern, with
values of at least 1, protects them by the same cycles.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Hashable

from django.conf import settings

from .disaggregations import ARRIVAL, DELIVERY
from .indicators import Table, rule_for
from .periods import WHOLE_KINDS

DEFAULT_K = 10
MARGIN = ("__margin__",)  # the extended row/column of totals; not a string, so never a value

Entry = tuple[Hashable, Hashable]


def default_k() -> int:
    return int(getattr(settings, "REPORTING_DISCLOSURE_K", DEFAULT_K) or DEFAULT_K)


def is_sensitive(value: int | None, k: int) -> bool:
    return value is not None and 0 < value < k


def _on_cycle(entry: Entry, withheld: set[Entry]) -> bool:
    """Is the edge `entry` on a cycle of withheld entries (rows and columns alternating)?"""
    row, col = entry
    adjacency: dict[tuple, set[tuple]] = {}
    for r, c in withheld:
        if (r, c) == entry:
            continue
        adjacency.setdefault(("r", r), set()).add(("c", c))
        adjacency.setdefault(("c", c), set()).add(("r", r))
    start, goal = ("r", row), ("c", col)
    seen = {start}
    queue = deque([start])
    while queue:
        vertex = queue.popleft()
        if vertex == goal:
            return True
        for nxt in adjacency.get(vertex, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def protect_2d(values: dict[Entry, int], rows: list, cols: list, k: int) -> set[Entry]:
    """The entries to withhold from an extended table (rows/cols include MARGIN)."""
    order = {entry: i for i, entry in enumerate(values)}
    withheld = {entry for entry, value in values.items() if is_sensitive(value, k)}
    while True:
        exposed = [
            entry for entry in sorted(withheld, key=order.get) if not _on_cycle(entry, withheld)
        ]
        if not exposed:
            return withheld
        row, col = exposed[0]
        best: tuple | None = None
        for other_row in rows:
            if other_row == row:
                continue
            for other_col in cols:
                if other_col == col:
                    continue
                corners = [(row, other_col), (other_row, col), (other_row, other_col)]
                if any(not values[corner] for corner in corners):
                    continue  # zero: shown as is, cannot hide a move of the cycle
                new = [corner for corner in corners if corner not in withheld]
                cost = (
                    sum(1 for r, c in new if r == MARGIN or c == MARGIN),
                    len(new),
                    sum(values[corner] for corner in new),
                    max((order[corner] for corner in new), default=0),
                )
                if best is None or cost < best[0]:
                    best = (cost, new)
        if best is None or not best[1]:
            # Cannot happen with consistent margins (the margins are never zero here);
            # withholding the whole table is the safe answer if it ever does.
            withheld |= {entry for entry, value in values.items() if value}
            return withheld
        withheld |= set(best[1])


def protect_1d(cells: dict[Hashable, int], total: int, k: int) -> tuple[set[Hashable], bool]:
    """(cells to withhold, whether to withhold the total) for one relation: cells add to total."""
    withheld = {key for key, value in cells.items() if is_sensitive(value, k)}
    total_withheld = is_sensitive(total, k)
    if len(withheld) + total_withheld == 1:
        shown = [(value, i, key) for i, (key, value) in enumerate(cells.items())]
        shown = [item for item in shown if item[0] and item[2] not in withheld]
        if shown:
            withheld.add(min(shown)[2])
        elif total and not total_withheld:
            total_withheld = True
    return withheld, total_withheld


def disclosure_apply(table: Table, *, k: int | None = None) -> Table:
    """A copy of `table` safe to publish: withheld counts are None, listed in `suppressed`."""
    k = default_k() if k is None else k
    out = dataclasses.replace(
        table,
        cells=dict(table.cells),
        row_totals=dict(table.row_totals),
        col_totals=dict(table.col_totals),
        suppressed=set(),
        suppressed_totals=set(),
        quantities=dict(table.quantities) if table.quantities is not None else None,
        quantity_row_totals=(
            dict(table.quantity_row_totals) if table.quantity_row_totals is not None else None
        ),
        quantity_col_totals=(
            dict(table.quantity_col_totals) if table.quantity_col_totals is not None else None
        ),
        k=k,
    )
    if len(table.dims) == 2:
        values: dict[Entry, int] = {}
        for r in table.rows:
            for c in table.cols:
                values[(r, c)] = table.cells[(r, c)] or 0
            values[(r, MARGIN)] = table.row_totals[r] or 0
        for c in table.cols:
            values[(MARGIN, c)] = table.col_totals[c] or 0
        values[(MARGIN, MARGIN)] = table.total or 0
        withheld = protect_2d(values, [*table.rows, MARGIN], [*table.cols, MARGIN], k)
        cells = {entry for entry in withheld if MARGIN not in entry}
        rows_out = {r for r, c in withheld if c == MARGIN and r != MARGIN}
        cols_out = {c for r, c in withheld if r == MARGIN and c != MARGIN}
        total_out = (MARGIN, MARGIN) in withheld
    elif len(table.dims) == 1:
        column = table.cols[0]
        cell_rows, total_out = protect_1d(
            {r: table.cells[(r, column)] or 0 for r in table.rows}, table.total or 0, k
        )
        cells = {(r, column) for r in cell_rows}
        rows_out = set(cell_rows)  # a 1-D row total is its cell
        cols_out = {column} if total_out else set()
    else:  # no dimension: the total is the only number, in every position
        total_out = is_sensitive(table.total, k)
        cells = {(r, c) for r in table.rows for c in table.cols} if total_out else set()
        rows_out = set(table.rows) if total_out else set()
        cols_out = set(table.cols) if total_out else set()

    out.suppressed = cells
    out.suppressed_totals = (
        {("row", r) for r in rows_out}
        | {("col", c) for c in cols_out}
        | ({("total", "total")} if total_out else set())
    )
    for entry in cells:
        out.cells[entry] = None
    for r in rows_out:
        out.row_totals[r] = None
    for c in cols_out:
        out.col_totals[c] = None
    if total_out:
        out.total = None
    if out.quantities is not None:
        for entry in cells:
            out.quantities[entry] = None
        for r in rows_out:
            out.quantity_row_totals[r] = None
        for c in cols_out:
            out.quantity_col_totals[c] = None
        if total_out:
            out.quantity_total = None
    return out


# --- What may leave for a donor: whole periods and these disaggregations only -----------------

DONOR_PERIOD_KINDS = WHOLE_KINDS  # never a custom range: it could isolate a single arrival
DONOR_DIMENSIONS: dict[str, tuple[str, ...]] = {
    ARRIVAL: (
        "sex",
        "age_band",
        "country",
        "department",
        "center",
        "mode",
        "returned_from",
        "unaccompanied_minor",
        "vulnerability",
    ),
    DELIVERY: (
        "sex",
        "age_band",
        "country",
        "department",
        "center",
        "vulnerability",
        "service_type",
    ),
}
DONOR_PAIRS: tuple[tuple[str, str], ...] = (
    ("sex", "age_band"),
    ("sex", "country"),
    ("sex", "department"),
    ("sex", "center"),
    ("age_band", "center"),
    ("sex", "mode"),
    ("sex", "returned_from"),
    ("sex", "unaccompanied_minor"),
    ("age_band", "unaccompanied_minor"),
    ("sex", "vulnerability"),
    ("sex", "service_type"),
    ("service_type", "center"),
)


def donor_combinations(indicator: str) -> list[tuple[str, ...]]:
    """The disaggregations a donor may ask for: none, one, or one of the defined pairs."""
    event = rule_for(indicator).event
    singles = DONOR_DIMENSIONS[event]
    pairs = [pair for pair in DONOR_PAIRS if all(code in singles for code in pair)]
    return [(), *((code,) for code in singles), *pairs]


def donor_dims_allowed(indicator: str, dims: tuple[str, ...]) -> bool:
    """A defined combination, in either order for a pair."""
    allowed = {frozenset(combination) for combination in donor_combinations(indicator)}
    return len(set(dims)) == len(dims) and frozenset(dims) in allowed
