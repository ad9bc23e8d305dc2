"""Disclosure control: no published count from 1 to k-1, and no withheld count recoverable.

Recoverability is checked independently of the suppression code: for every withheld entry of
the table extended with its margins, the test looks for a cycle of withheld entries through it
(rows and columns alternating) and builds, by moving 1 around the cycle, a second table that
agrees with everything published but differs in that entry. Two tables fit what a reader sees,
so the entry cannot be worked out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.disclosure import default_k, disclosure_apply
from reporting.indicators import ALL, Table
from reporting.periods import fiscal_year

M = "__total__"  # the margin row/column in the test's own extended table

# Many small counts (the interesting ones), some zeros, some large.
counts = st.one_of(st.integers(0, 3), st.integers(0, 12), st.integers(0, 60))
thresholds = st.sampled_from([3, 5, 10])


def table_2d(cells: list[list[int]], *, quantities: bool = False) -> Table:
    rows = [f"r{i}" for i in range(len(cells))]
    cols = [f"c{j}" for j in range(len(cells[0]))]
    values = {(r, c): cells[i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    row_totals = {r: sum(cells[i]) for i, r in enumerate(rows)}
    col_totals = {c: sum(cells[i][j] for i in range(len(rows))) for j, c in enumerate(cols)}
    table = Table(
        indicator="received",
        period=fiscal_year(2026),
        dims=("sex", "age_band"),
        rows=rows,
        cols=cols,
        cells=values,
        row_totals=row_totals,
        col_totals=col_totals,
        total=sum(row_totals.values()),
        suppressed=set(),
        data_as_of=datetime(2026, 1, 1, tzinfo=UTC),
    )
    if quantities:
        table.quantities = {key: 3 * v for key, v in values.items()}
        table.quantity_row_totals = {r: 3 * v for r, v in row_totals.items()}
        table.quantity_col_totals = {c: 3 * v for c, v in col_totals.items()}
        table.quantity_total = 3 * table.total
    return table


def table_1d(cells: list[int], total: int | None = None) -> Table:
    rows = [f"r{i}" for i in range(len(cells))]
    values = {(r, ALL): v for r, v in zip(rows, cells, strict=True)}
    total = sum(cells) if total is None else total
    return Table(
        indicator="received",
        period=fiscal_year(2026),
        dims=("sex",),
        rows=rows,
        cols=[ALL],
        cells=values,
        row_totals=dict(zip(rows, cells, strict=True)),
        col_totals={ALL: total},
        total=total,
        suppressed=set(),
        data_as_of=datetime(2026, 1, 1, tzinfo=UTC),
    )


def published_numbers(table: Table) -> list[int | None]:
    return [
        *table.cells.values(),
        *table.row_totals.values(),
        *table.col_totals.values(),
        table.total,
    ]


# --- The independent check -------------------------------------------------------------------


def extended(raw: Table, safe: Table) -> tuple[dict, set]:
    """(true value of every entry of the extended table, the withheld entries)."""
    values, withheld = {}, set()
    for r in raw.rows:
        for c in raw.cols:
            values[(r, c)] = raw.cells[(r, c)]
            if safe.cells[(r, c)] is None:
                withheld.add((r, c))
        values[(r, M)] = raw.row_totals[r]
        if safe.row_totals[r] is None:
            withheld.add((r, M))
    for c in raw.cols:
        values[(M, c)] = raw.col_totals[c]
        if safe.col_totals[c] is None:
            withheld.add((M, c))
    values[(M, M)] = raw.total
    if safe.total is None:
        withheld.add((M, M))
    return values, withheld


def cycles_through(entry, withheld: set) -> list[list]:
    """Simple cycles of withheld entries through `entry`: lists of entries, rows/cols alternating."""
    found = []
    start_row, start_col = entry

    def walk(path: list, at_row: bool, vertex, visited_rows: set, visited_cols: set) -> None:
        if len(found) > 20:
            return
        for nxt in sorted(withheld - set(path), key=str):
            r, c = nxt
            if at_row and r == vertex:
                if c == start_col and len(path) >= 3:
                    found.append([*path, nxt])
                elif c not in visited_cols:
                    walk([*path, nxt], False, c, visited_rows, visited_cols | {c})
            elif not at_row and c == vertex and r not in visited_rows:
                walk([*path, nxt], True, r, visited_rows | {r}, visited_cols)

    # leave the entry by its row, come back by its column
    walk([entry], True, start_row, {start_row}, {start_col})
    return found


def sign(entry) -> int:
    """+1 for cells and the grand total, -1 for margins: every line then sums to zero."""
    r, c = entry
    return 1 if (r == M) == (c == M) else -1


def another_table(entry, values: dict, withheld: set) -> dict | None:
    """A table that agrees with everything shown but differs in `entry`, or None."""
    for cycle in cycles_through(entry, withheld):
        for direction in (1, -1):
            moved = dict(values)
            for i, e in enumerate(cycle):
                moved[e] += direction * (1 if i % 2 == 0 else -1) * sign(e)
            if all(v >= 0 for v in moved.values()):
                return moved
    return None


def consistent(values: dict, rows: list, cols: list) -> bool:
    for r in [*rows, M]:
        if sum(values[(r, c)] for c in cols) != values[(r, M)]:
            return False
    return all(sum(values[(r, c)] for r in rows) == values[(M, c)] for c in [*cols, M])


def assert_nothing_recoverable(raw: Table, safe: Table) -> None:
    values, withheld = extended(raw, safe)
    for entry in withheld:
        assert values[entry] > 0, "a zero was withheld: zeros are shown"
        other = another_table(entry, values, withheld)
        assert other is not None, f"{entry} = {values[entry]} can be worked out"
        assert other[entry] != values[entry]
        assert consistent(other, raw.rows, raw.cols)
        for key in values:
            if key not in withheld:
                assert other[key] == values[key]


# --- Properties ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 4).flatmap(
        lambda n_rows: st.integers(1, 4).flatmap(
            lambda n_cols: st.lists(
                st.lists(counts, min_size=n_cols, max_size=n_cols),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    ),
    thresholds,
)
def test_2d_tables_show_no_small_count_and_hide_what_they_withhold(cells, k):
    raw = table_2d(cells)
    safe = disclosure_apply(raw, k=k)
    for value in published_numbers(safe):
        assert value is None or value == 0 or value >= k
    # the rule of thumb: in every line with a shown total, 0 or at least 2 withheld cells
    for r in raw.rows:
        if safe.row_totals[r] is not None:
            assert sum(1 for c in raw.cols if (r, c) in safe.suppressed) != 1
    for c in raw.cols:
        if safe.col_totals[c] is not None:
            assert sum(1 for r in raw.rows if (r, c) in safe.suppressed) != 1
    assert_nothing_recoverable(raw, safe)
    # what is shown is the truth
    for key, value in safe.cells.items():
        assert value is None or value == raw.cells[key]
        assert (value is None) == (key in safe.suppressed)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=8), thresholds)
def test_1d_tables_show_no_small_count_and_hide_what_they_withhold(cells, k):
    raw = table_1d(cells)
    safe = disclosure_apply(raw, k=k)
    for value in published_numbers(safe):
        assert value is None or value == 0 or value >= k
    withheld = [key for key in raw.rows if safe.cells[(key, ALL)] is None]
    total_withheld = safe.total is None
    # One relation (cells add up to the total): never exactly one unknown in it.
    assert len(withheld) + total_withheld != 1
    for key in withheld:
        assert raw.cells[(key, ALL)] > 0
        assert safe.row_totals[key] is None  # a 1-D row total is its cell
    assert (safe.col_totals[ALL] is None) == total_withheld


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(counts, min_size=3, max_size=3), min_size=2, max_size=4),
    st.data(),
    thresholds,
)
def test_distinct_count_margins_are_never_shown_small(cells, data, k):
    """Unique-person margins lie between the largest cell and the sum; none shown in 1..k-1."""
    raw = table_2d(cells)
    for r in raw.rows:
        line = [raw.cells[(r, c)] for c in raw.cols]
        raw.row_totals[r] = data.draw(st.integers(max(line), sum(line)))
    for c in raw.cols:
        line = [raw.cells[(r, c)] for r in raw.rows]
        raw.col_totals[c] = data.draw(st.integers(max(line), sum(line)))
    raw.total = data.draw(
        st.integers(max([*raw.row_totals.values(), *raw.col_totals.values()]), sum(sum(cells, [])))
    )
    safe = disclosure_apply(raw, k=k)
    for value in published_numbers(safe):
        assert value is None or value == 0 or value >= k


# --- Examples --------------------------------------------------------------------------------


def test_a_lone_small_cell_takes_a_complement_in_its_row_and_column():
    raw = table_2d([[3, 20, 30], [40, 50, 60], [70, 80, 90]])
    safe = disclosure_apply(raw, k=10)
    assert ("r0", "c0") in safe.suppressed
    assert len(safe.suppressed) == 4  # a rectangle: the cheapest that hides it
    assert safe.total == raw.total  # totals stay when cells can carry the protection
    assert all(v is not None for v in safe.row_totals.values())
    assert_nothing_recoverable(raw, safe)


def test_a_small_total_is_withheld_too():
    raw = table_2d([[1, 2], [0, 0]])
    safe = disclosure_apply(raw, k=10)
    assert safe.total is None
    assert_nothing_recoverable(raw, safe)


def test_zeros_and_large_counts_are_shown():
    raw = table_2d([[0, 15], [12, 0]])
    safe = disclosure_apply(raw, k=10)
    assert safe.suppressed == set()
    assert safe.cells == raw.cells


def test_1d_single_small_cell_takes_the_smallest_other_nonzero_cell():
    safe = disclosure_apply(table_1d([4, 50, 12, 0]), k=10)
    assert safe.suppressed == {("r0", ALL), ("r2", ALL)}
    assert safe.cells[("r3", ALL)] == 0
    assert safe.total == 66


def test_1d_single_small_cell_with_only_zeros_beside_it_withholds_the_total():
    safe = disclosure_apply(table_1d([4, 0, 0]), k=10)
    assert safe.suppressed == {("r0", ALL)}
    assert safe.total is None


def test_no_dimension_small_total_is_withheld():
    raw = table_1d([7])
    raw.dims, raw.rows = (), [ALL]
    raw.cells, raw.row_totals = {(ALL, ALL): 7}, {ALL: 7}
    safe = disclosure_apply(raw, k=10)
    assert safe.total is None and safe.cells[(ALL, ALL)] is None


def test_quantities_follow_the_counts():
    raw = table_2d([[3, 20], [40, 50]], quantities=True)
    safe = disclosure_apply(raw, k=10)
    for key in safe.suppressed:
        assert safe.quantities[key] is None
    for key, value in safe.cells.items():
        if value is not None:
            assert safe.quantities[key] == raw.quantities[key]
    assert (safe.quantity_total is None) == (safe.total is None)


def test_the_raw_table_is_left_as_it_was():
    raw = table_2d([[3, 20], [40, 50]])
    before = dict(raw.cells)
    disclosure_apply(raw, k=10)
    assert raw.cells == before and raw.suppressed == set() and raw.k is None


def test_k_defaults_to_the_setting(settings):
    settings.REPORTING_DISCLOSURE_K = 5
    assert default_k() == 5
    safe = disclosure_apply(table_1d([6, 7]))
    assert safe.k == 5 and safe.suppressed == set()
    del settings.REPORTING_DISCLOSURE_K
    assert default_k() == 10


@pytest.mark.parametrize("k", [1, 2])
def test_tiny_thresholds_still_hold(k):
    safe = disclosure_apply(table_2d([[1, 0], [0, 5]]), k=k)
    for value in published_numbers(safe):
        assert value is None or value == 0 or value >= k


# --- The check itself catches what it must ---------------------------------------------------


def _withholding(raw: Table, withheld: set) -> Table:
    safe = disclosure_apply(raw, k=1)  # a copy with nothing withheld
    for key in withheld:
        safe.cells[key] = None
    safe.suppressed = set(withheld)
    return safe


def test_the_check_catches_a_lone_withheld_cell():
    raw = table_2d([[3, 20], [40, 50]])
    with pytest.raises(AssertionError):
        assert_nothing_recoverable(raw, _withholding(raw, {("r0", "c0")}))


def test_the_check_catches_a_bridge_that_the_rule_of_thumb_lets_through():
    # Two blocks of withheld cells joined by one cell (r1, c2): every row and column has 0 or at
    # least 2 withheld cells, yet (r1, c2) is the difference of two sums of shown numbers.
    raw = table_2d([[5, 5, 0, 0, 9], [5, 5, 5, 0, 9], [0, 0, 5, 5, 9], [0, 0, 5, 5, 9]])
    block = {(f"r{i}", f"c{j}") for i in (0, 1) for j in (0, 1)}
    block |= {(f"r{i}", f"c{j}") for i in (2, 3) for j in (2, 3)}
    with pytest.raises(AssertionError):
        assert_nothing_recoverable(raw, _withholding(raw, block | {("r1", "c2")}))
    assert_nothing_recoverable(raw, disclosure_apply(raw, k=10))
