"""Disclosure control by the cell-key method: the perturbation table and its application.

Whether anything can be worked out from everything published together is the disclosure
audit's question (reporting/tests/test_audit.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.models import RECORD_KEY_RANGE
from reporting.disclosure import (
    default_bound,
    default_k,
    disclosure_apply,
    perturb,
    published_range,
)
from reporting.indicators import ALL, Table
from reporting.periods import fiscal_year

counts = st.one_of(st.integers(0, 3), st.integers(0, 12), st.integers(0, 60))
keys = st.integers(0, 5 * RECORD_KEY_RANGE)  # key sums, before reduction
thresholds = st.sampled_from([3, 5, 10])
bounds = st.sampled_from([1, 2, 3])


def table_2d(cells: list[list[int]], key_sums: list[list[int]], *, quantities=False) -> Table:
    rows = [f"r{i}" for i in range(len(cells))]
    cols = [f"c{j}" for j in range(len(cells[0]))]
    values = {(r, c): cells[i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    table_keys = {(r, c): key_sums[i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    row_totals = {r: sum(cells[i]) for i, r in enumerate(rows)}
    col_totals = {c: sum(row[j] for row in cells) for j, c in enumerate(cols)}
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
        keys=table_keys,
        key_row_totals={r: sum(key_sums[i]) for i, r in enumerate(rows)},
        key_col_totals={c: sum(row[j] for row in key_sums) for j, c in enumerate(cols)},
        key_total=sum(map(sum, key_sums)),
    )
    if quantities:
        table.quantities = {key: 3 * v for key, v in values.items()}
        table.quantity_row_totals = {r: 3 * v for r, v in row_totals.items()}
        table.quantity_col_totals = {c: 3 * v for c, v in col_totals.items()}
        table.quantity_total = 3 * table.total
    return table


def published_numbers(table: Table) -> list[int | None]:
    return [
        *table.cells.values(),
        *table.row_totals.values(),
        *table.col_totals.values(),
        table.total,
    ]


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 200), keys, thresholds, bounds)
def test_the_perturbation_table(value, key_sum, k, bound):
    shown = perturb(value, key_sum, k, bound)
    assert shown == perturb(value, key_sum + 7 * RECORD_KEY_RANGE, k, bound)  # the key, mod range
    assert shown == 0 or shown >= k  # never a count from 1 to k-1
    if value == 0:
        assert shown == 0  # nobody stays nobody
    elif value < k:
        assert shown in (0, k)
    else:
        assert max(k, value - bound) <= shown <= value + bound
    low, high = published_range(shown, k, bound)
    assert low <= value <= high  # what the reader is told holds


@pytest.mark.parametrize("value", range(1, 10))
def test_small_counts_go_to_k_in_proportion_over_the_keys(value):
    k, step = 10, 1 << 10
    to_k = sum(perturb(value, key, k, 3) == k for key in range(0, RECORD_KEY_RANGE, step))
    draws = RECORD_KEY_RANGE // step
    assert abs(to_k - draws * value / k) <= 1  # unbiased: value/k of the keys


def test_adjustments_use_the_whole_range_evenly():
    step = 1 << 8
    found = [perturb(50, key, 10, 2) - 50 for key in range(0, RECORD_KEY_RANGE, step)]
    assert {d: found.count(d) for d in set(found)}.keys() == {-2, -1, 0, 1, 2}
    assert max(found.count(d) for d in found) - min(found.count(d) for d in found) <= 1


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda r: st.integers(1, 4).flatmap(
            lambda c: st.tuples(
                st.lists(st.lists(counts, min_size=c, max_size=c), min_size=r, max_size=r),
                st.lists(st.lists(keys, min_size=c, max_size=c), min_size=r, max_size=r),
            )
        )
    ),
    thresholds,
)
def test_2d_tables_publish_every_entry_by_the_table(cells_keys, k):
    cells, key_sums = cells_keys
    raw = table_2d(cells, key_sums, quantities=True)
    safe = disclosure_apply(raw, k=k)
    assert all(v is not None and (v == 0 or v >= k) for v in published_numbers(safe))
    for entry, value in raw.cells.items():
        assert safe.cells[entry] == perturb(value, raw.keys[entry], k)
    for r, value in raw.row_totals.items():
        assert safe.row_totals[r] == perturb(value, raw.key_row_totals[r], k)
    assert safe.total == perturb(raw.total, raw.key_total, k)
    assert safe.suppressed == set() and safe.suppressed_totals == set()
    assert safe.keys is None  # nothing of the keys leaves
    for entry, count in safe.cells.items():
        quantity = safe.quantities[entry]
        assert quantity == 0 if count == 0 else (quantity == 0 or quantity >= k)


def test_the_same_persons_give_the_same_answer_in_any_table():
    # The 1-D cell "r0" and the 2-D row total "r0" count the same persons: the same key sum.
    two = disclosure_apply(table_2d([[4, 3], [30, 20]], [[11, 500], [7, 9]]), k=10)
    rows = {r: two.row_totals[r] for r in two.rows}
    one = Table(
        indicator="received",
        period=fiscal_year(2026),
        dims=("sex",),
        rows=["r0", "r1"],
        cols=[ALL],
        cells={("r0", ALL): 7, ("r1", ALL): 50},
        row_totals={"r0": 7, "r1": 50},
        col_totals={ALL: 57},
        total=57,
        suppressed=set(),
        data_as_of=datetime(2026, 1, 1, tzinfo=UTC),
        keys={("r0", ALL): 511, ("r1", ALL): 16},
        key_row_totals={"r0": 511, "r1": 16},
        key_col_totals={ALL: 527},
        key_total=527,
    )
    safe = disclosure_apply(one, k=10)
    assert {r: safe.cells[(r, ALL)] for r in safe.rows} == rows
    assert safe.total == two.total


def test_the_raw_table_is_left_as_it_was():
    raw = table_2d([[1, 20], [30, 2]], [[1, 2], [3, 4]])
    before = dict(raw.cells)
    disclosure_apply(raw, k=10)
    assert raw.cells == before and raw.keys is not None


def test_a_table_without_key_sums_is_refused():
    raw = table_2d([[1, 20]], [[1, 2]])
    raw.keys = None
    with pytest.raises(ValueError):
        disclosure_apply(raw, k=10)


def test_k_and_the_bound_default_to_the_settings(settings):
    settings.REPORTING_DISCLOSURE_K = 7
    settings.REPORTING_PERTURBATION_BOUND = 1
    assert default_k() == 7 and default_bound() == 1
    safe = disclosure_apply(table_2d([[3, 40]], [[0, 0]]))
    assert safe.k == 7
    assert safe.cells[("r0", "c1")] == 39  # the key 0 reads the lowest adjustment, -1
