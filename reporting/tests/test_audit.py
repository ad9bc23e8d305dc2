"""The disclosure audit (reporting.audit) and the four faults of issue 12 under the cell-key method.

Each fault is replayed with record keys drawn from a seeded generator, 200 draws: the attack
(HiGHS) never recovers a small count exactly any more. It still pins some small counts inside
[1, k-1] (a published k says "at least 1", and a relation caps it below k, or a relation lifts
a published 0 above 0). A release publishes figures protected as one system (reporting.
protection): those pin and recover nothing, on the faults' tables and on generated ones.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.models import RECORD_KEY_RANGE
from reporting.audit import Published, attack, donor_periods, period_parts
from reporting.disclosure import disclosure_apply, published_range
from reporting.indicators import ALL, Table
from reporting.periods import fiscal_quarter, fiscal_year, month
from reporting.protection import protect

K, BOUND, DRAWS = 10, 3, 200


def keys_of(rng: random.Random, n: int) -> int:
    return sum(rng.randrange(RECORD_KEY_RANGE) for _ in range(n))


def table(indicator, period, dims, cells, keys, *, unit="persons", totals=None) -> Table:
    """A table from {(row, col): count} and the same for key sums; margins are the sums unless
    `totals` gives distinct-person margins as (row_totals, col_totals, total, their keys...)."""
    rows = list(dict.fromkeys(r for r, _c in cells))
    cols = list(dict.fromkeys(c for _r, c in cells))

    def by_row(values):
        return {r: sum(v for (rr, _c), v in values.items() if rr == r) for r in rows}

    def by_col(values):
        return {c: sum(v for (_r, cc), v in values.items() if cc == c) for c in cols}

    return Table(
        indicator=indicator,
        period=period,
        dims=dims,
        rows=rows,
        cols=cols,
        cells=dict(cells),
        row_totals=by_row(cells),
        col_totals=by_col(cells),
        total=sum(cells.values()),
        suppressed=set(),
        data_as_of=datetime(2026, 1, 1, tzinfo=UTC),
        keys=dict(keys),
        key_row_totals=by_row(keys),
        key_col_totals=by_col(keys),
        key_total=sum(keys.values()),
        unit=unit,
    )


def publish(*tables: Table, periods=()) -> Published:
    published = Published(k=K, bound=BOUND)
    for raw in tables:
        published.add(raw, disclosure_apply(raw, k=K))
    published.periods_relate(periods)
    return published


def replay(build) -> tuple[int, int, int]:
    """(recovered, pinned, small figures) over DRAWS seeded draws of record keys."""
    rng = random.Random(12)
    results = [attack(build(rng)) for _ in range(DRAWS)]
    return (
        sum(r.recovered for r in results),
        sum(r.pinned for r in results),
        sum(r.sensitive for r in results),
    )


@pytest.fixture(autouse=True)
def _bound(settings):
    settings.REPORTING_PERTURBATION_BOUND = BOUND


def test_fault_1_two_small_cells_of_a_1d_table_no_longer_give_each_other_away():
    # Psychosocial support, 2025-10, by sex: 31 women, 80 men, and two cells of 1 (total 113).
    def build(rng):
        counts = {"female": 31, "male": 80, "other": 1, "not_stated": 1}
        cells = {(sex, ALL): n for sex, n in counts.items()}
        keys = {entry: keys_of(rng, n) for entry, n in cells.items()}
        return publish(table("psychosocial_support", month(2025, 10), ("sex",), cells, keys))

    recovered, pinned, small = replay(build)
    assert small == 2 * DRAWS
    assert recovered == 0


def test_fault_2_a_cycle_through_two_ones_no_longer_pins_them():
    # sex x age band: four cells of 1 on a cycle, beside large cells.
    def build(rng):
        counts = {
            ("female", "0-11"): 1,
            ("female", "12-17"): 1,
            ("female", "25-59"): 40,
            ("male", "0-11"): 1,
            ("male", "12-17"): 1,
            ("male", "25-59"): 55,
        }
        keys = {entry: keys_of(rng, n) for entry, n in counts.items()}
        return publish(table("received", month(2025, 10), ("sex", "age_band"), counts, keys))

    recovered, pinned, small = replay(build)
    assert small == 4 * DRAWS + 2 * DRAWS  # the cells of 1 and the age bands' margins of 2
    assert recovered == 0


def test_fault_3_the_same_number_in_two_tables_is_one_figure_with_one_value():
    # The women of one department: a margin of sex x department and a cell of the sex table.
    rng = random.Random(3)
    counts = {("female", "GT-01"): 4, ("female", "GT-02"): 20, ("male", "GT-01"): 30}
    counts[("male", "GT-02")] = 25
    keys = {entry: keys_of(rng, n) for entry, n in counts.items()}
    pair = table("received", month(2025, 10), ("sex", "department"), counts, keys)
    women = sum(n for (sex, _d), n in counts.items() if sex == "female")
    men = sum(n for (sex, _d), n in counts.items() if sex == "male")
    women_keys = sum(v for (sex, _d), v in keys.items() if sex == "female")
    men_keys = sum(v for (sex, _d), v in keys.items() if sex == "male")
    single = table(
        "received",
        month(2025, 10),
        ("sex",),
        {("female", ALL): women, ("male", ALL): men},
        {("female", ALL): women_keys, ("male", ALL): men_keys},
    )
    shown_pair = disclosure_apply(pair, k=K)
    shown_single = disclosure_apply(single, k=K)
    # The same persons, the same key, the same published value: nothing to play off.
    assert shown_pair.row_totals["female"] == shown_single.cells[("female", ALL)]
    assert shown_pair.total == shown_single.total
    published = publish(pair, single)
    assert len(published.true) == len(set(published.true))
    assert ("received", "2025-10", frozenset({("sex", "female")}), "n") in published.true

    def build(rng):
        keys = {entry: keys_of(rng, n) for entry, n in counts.items()}
        return publish(table("received", month(2025, 10), ("sex", "department"), counts, keys))

    recovered, pinned, small = replay(build)
    assert recovered == 0


def test_fault_4_months_no_longer_difference_out_of_their_quarter():
    # Arrivals (rows: months add up to the quarter): October = quarter - November - December.
    months = {month(2024, 10): 2, month(2024, 11): 12, month(2024, 12): 11}
    quarter = fiscal_quarter(2025, 1)

    def build(rng):
        tables, all_keys = [], 0
        for period, n in months.items():
            key = keys_of(rng, n)
            all_keys += key
            tables.append(table("repeat_arrivals", period, (), {(ALL, ALL): n}, {(ALL, ALL): key}))
        total = sum(months.values())
        tables.append(
            table("repeat_arrivals", quarter, (), {(ALL, ALL): total}, {(ALL, ALL): all_keys})
        )
        return publish(*tables, periods=[quarter])

    recovered, pinned, small = replay(build)
    assert small == DRAWS and recovered == 0


def protected(published: Published) -> Published:
    """The same figures as a release publishes them (reporting.protection)."""
    done = protect(published)
    published.shown = done.values
    published.protected, published.bound = True, done.bound
    return published


def test_no_small_count_is_pinned_once_protected():
    # Fault 1's table: the cell-key values alone pin some of its small cells over 200 draws...
    def build(rng):
        counts = {"female": 31, "male": 80, "other": 1, "not_stated": 1}
        cells = {(sex, ALL): n for sex, n in counts.items()}
        keys = {entry: keys_of(rng, n) for entry, n in cells.items()}
        return publish(table("psychosocial_support", month(2025, 10), ("sex",), cells, keys))

    _recovered, pinned, _small = replay(build)
    assert pinned > 0
    # ... the release's figures pin none, and recover none.
    rng = random.Random(12)
    results = [attack(protected(build(rng)), exact=True) for _ in range(40)]
    assert sum(r.recovered for r in results) == 0
    assert sum(r.pinned for r in results) == 0
    assert sum(r.solved for r in results) == sum(r.sensitive for r in results) == 80


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 14), min_size=4, max_size=4), min_size=2, max_size=3),
    st.integers(0, 2**32),
)
def test_protected_months_and_their_quarter_pin_and_recover_nothing(months, seed):
    """Generated registries: two to three months of a sex x age band table of arrivals (rows:
    months add up to their quarter). Once protected, no figure is from 1 to k-1, every relation
    holds among the published figures, the truth lies within the stated bound, and the exact
    integer attack recovers and pins nothing."""
    rng = random.Random(seed)
    quarter = fiscal_quarter(2026, 1)
    parts = [month(2025, 10), month(2025, 11), month(2025, 12)][: len(months)]
    tables, totals, total_keys = [], {}, {}
    for period, counts in zip(parts, months, strict=False):
        cells = {
            (sex, band): n
            for (sex, band), n in zip(
                [("female", "18-24"), ("female", "25-59"), ("male", "18-24"), ("male", "25-59")],
                counts,
                strict=True,
            )
        }
        keys = {entry: keys_of(rng, n) for entry, n in cells.items()}
        tables.append(
            table("repeat_arrivals", period, ("sex", "age_band"), cells, keys, unit="arrivals")
        )
        for entry in cells:
            totals[entry] = totals.get(entry, 0) + cells[entry]
            total_keys[entry] = total_keys.get(entry, 0) + keys[entry]
    tables.append(
        table("repeat_arrivals", quarter, ("sex", "age_band"), totals, total_keys, unit="arrivals")
    )
    published = protected(publish(*tables, periods=[quarter]))
    assert not [v for v in published.shown.values() if 0 < v < K]
    assert published.witness_holds()
    for cell, true in published.true.items():
        low, high = published.range_of(published.shown[cell])
        assert low <= true <= high
    result = attack(published, exact=True)
    assert (result.recovered, result.pinned) == (0, 0)
    assert result.solved == result.sensitive


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 14), min_size=2, max_size=4),
    st.lists(st.integers(0, 14), min_size=2, max_size=4),
    st.integers(0, 2**32),
)
def test_the_attack_is_sound_on_generated_tables(first, second, seed):
    """Whatever the table, the true count of every small figure lies within the bounds the
    attack gives (the solver never rules out the truth), and published values say no more than
    their range."""
    width = min(len(first), len(second))
    rng = random.Random(seed)
    counts = {("female", f"c{j}"): first[j] for j in range(width)}
    counts |= {("male", f"c{j}"): second[j] for j in range(width)}
    keys = {entry: keys_of(rng, n) for entry, n in counts.items()}
    raw = table("received", month(2025, 10), ("sex", "age_band"), counts, keys)
    published = publish(raw)
    for cell, true in published.true.items():
        low, high = published_range(published.shown[cell], K, BOUND)
        assert low <= true <= high
    result = attack(published)
    truths = published.true
    for cell, low, high in result.findings:
        assert low <= truths[cell] <= high


def test_the_periods_a_donor_can_ask_for():
    labels = [p.label for p in donor_periods(fiscal_year(2026))]
    assert len(labels) == 1 + 4 + 12 and labels[:3] == ["FY2026", "FY2026-Q1", "2025-10"]
    assert [p.label for p in period_parts(fiscal_quarter(2026, 2))] == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert period_parts(month(2026, 1)) == []


@pytest.mark.django_db
def test_the_command_prints_both_numbers_and_fails_unless_both_are_zero(capsys):
    call_command("disclosure_audit", "--period", "2026-01")  # nobody: nothing to find
    out = capsys.readouterr().out
    assert "recovered exactly: 0" in out and "pinned in [1, k-1]: 0" in out


@pytest.mark.django_db
def test_the_command_refuses_a_custom_range():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("disclosure_audit", "--period", "2026-01-01..2026-01-31")
