"""Disclosure control: the cell-key method, applied to every count before it leaves for a donor.

Method (the one national statistics offices use for flexible tables and repeated queries):

- Australian Bureau of Statistics, TableBuilder: Fraser & Wooton, "A proposed method for
  confidentialising tabular output to protect against differencing" (UNECE work session on
  statistical data confidentiality, 2005); Thompson, Broadfoot & Elazar, "Methodology for the
  automatic confidentialisation of statistical outputs from remote servers at the Australian
  Bureau of Statistics" (UNECE, 2013).
- Office for National Statistics, Census 2021: "Protecting personal data in Census 2021
  results" (ONS, 2022): cell-key perturbation of every table, with targeted record swapping.
- Eurostat / SDC centre of excellence: the "cell key method" chapter of the Handbook on
  Statistical Disclosure Control, and the ptable/cellKey R packages (sdcTools).

How Retorno applies it:

1. Every person carries a record key: a random integer in [0, 2^20) drawn once when the person
   is created (casework.Person.record_key), never shown, never exported. A stored random key
   rather than an HMAC of the person's UUID: the summary builds its rows with INSERT ... SELECT
   and counts with GROUP BY, so the key must be a column the database can sum; HMAC is not
   available in SQLite and would need a Python pass over every person at each nightly rebuild.
   The one migration that added it draws every existing key with a single UPDATE.
2. A cell's key is the sum of the record keys of what it counts, modulo 2^20 (divided by 2^20
   it is uniform in [0, 1)): for unique-person cells each person in the cell once (margins and
   totals are their own cells, with their own persons); for row counts (arrivals, services
   delivered) each counted row adds its person's key. The summary tables keep, per entry, this
   sum beside the count: it is additive exactly like the count, so a person's refresh moves it
   the same way (reporting.summary).
3. The published value comes from a fixed, published perturbation table, `perturb(value, key)`:
   0 stays 0 (nobody identifies no one); a count from 1 to k-1 becomes 0 or k, k with
   probability value/k over the keys (unbiased); a count v of at least k becomes v + d, where d
   in [-D, D] is read from the key, never below k. So no count from 1 to k-1 is ever published,
   and a published p says: p = 0: the true count is 0 to k-1; p = k: 1 to k+D; p > k: p-D to
   p+D (`published_range`).
4. The same cell (same persons) always has the same key and the same answer, in any table,
   period or pull that shows it; a change of one person moves the key of every cell the person
   is in by that person's key, so the difference of two pulls is noisy, not the person's count.

What this means for a donor (said in the notes of the report, the API and the exports): no
figure is exact, totals included. Every figure, total or cell, is perturbed as its own cell, so
cells do not add up exactly to their totals, months not to quarters, and the same figure in two
tables is the same number. Quantities of services delivered: the sum of quantities of a cell is
perturbed by the same table with the cell's key (shifted by half the key range, so its
adjustment is not the count's), and is 0 when the cell's count is published as 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

from django.conf import settings
from django.utils.translation import gettext

from registry.models import RECORD_KEY_RANGE

from .disaggregations import ARRIVAL, DELIVERY
from .indicators import Table, rule_for
from .periods import FISCAL_QUARTER, FISCAL_YEAR, MONTH

DEFAULT_K = 10
DEFAULT_BOUND = 3  # D: the largest adjustment of a count of at least k

Entry = tuple[Hashable, Hashable]


def default_k() -> int:
    return int(getattr(settings, "REPORTING_DISCLOSURE_K", DEFAULT_K) or DEFAULT_K)


def default_bound() -> int:
    return int(getattr(settings, "REPORTING_PERTURBATION_BOUND", DEFAULT_BOUND))


def is_sensitive(value: int | None, k: int) -> bool:
    return value is not None and 0 < value < k


def perturb(value: int, key_sum: int, k: int, bound: int | None = None) -> int:
    """The published value of a cell of true `value` whose record keys add up to `key_sum`."""
    bound = default_bound() if bound is None else bound
    if value <= 0:
        return 0
    position = key_sum % RECORD_KEY_RANGE  # the cell key, as an integer in [0, range)
    if value < k:
        # Rounded to k with probability value / k over the keys: unbiased.
        return k if position * k < value * RECORD_KEY_RANGE else 0
    adjustment = position * (2 * bound + 1) // RECORD_KEY_RANGE - bound
    return max(k, value + adjustment)


def published_range(published: int, k: int, bound: int | None = None) -> tuple[int, int]:
    """What a reader who knows the perturbation table can tell of the true count."""
    bound = default_bound() if bound is None else bound
    if published == 0:
        return 0, k - 1
    if published == k:
        return 1, k + bound
    return max(k, published - bound), published + bound


def disclosure_note(k: int, bound: int | None = None) -> str:
    """The rule, for a donor: in the API notes, the export notes and the donor report."""
    bound = default_bound() if bound is None else bound
    return gettext(
        "Every figure, totals included, is adjusted by the cell-key method: the same figure is "
        "always given the same adjustment, at most %(bound)s either way; counts from 1 to "
        "%(k_minus_one)s are shown as 0 or %(k)s, and 0 is exact. No figure is exact, so cells "
        "do not add up exactly to their totals, nor months to quarters or years."
    ) % {"bound": bound, "k_minus_one": k - 1, "k": k}


def release_note(k: int, bound: int) -> str:
    """The rule of a release (reporting.protection), for a donor: in every released table, the
    donor report and the exports of released periods."""
    return gettext(
        "Figures are adjusted together to protect the persons counted, and agree with each "
        "other: every figure is within %(bound)s of its true count (most within %(nominal)s), and counts "
        "from 1 to %(k_minus_one)s are shown as 0 or as at least %(k)s, so a 0 means fewer than "
        "%(k)s. Cells add up to their totals where each person counts in one cell only, months "
        "to their quarter and quarters to their fiscal year. A released period never changes."
    ) % {"bound": bound, "nominal": default_bound(), "k_minus_one": k - 1, "k": k}


def _perturb_quantity(quantity: int | None, published_count: int | None, key_sum: int, k: int):
    if quantity is None or not published_count:
        return 0 if quantity is not None else None
    return perturb(quantity, key_sum + RECORD_KEY_RANGE // 2, k)


def published_copy(
    table: Table, cells: dict, row_totals: dict, col_totals: dict, total: int, *, k: int
) -> Table:
    """A copy of a raw table showing the given published counts, and no record keys."""
    return dataclasses.replace(
        table,
        cells=cells,
        row_totals=row_totals,
        col_totals=col_totals,
        total=total,
        suppressed=set(),
        suppressed_totals=set(),
        k=k,
        keys=None,
        key_row_totals=None,
        key_col_totals=None,
        key_total=None,
    )


def disclosure_apply(table: Table, *, k: int | None = None) -> Table:
    """A copy of `table` safe to publish: every count replaced by its published value.

    The table must carry its key sums (report_compute gives them); the copy carries none."""
    k = default_k() if k is None else k
    if table.keys is None:
        raise ValueError("A table without record key sums cannot be published.")

    def shown(values: dict, keys: dict) -> dict:
        return {
            entry: perturb(value or 0, keys.get(entry, 0), k) for entry, value in values.items()
        }

    cells = shown(table.cells, table.keys)
    row_totals = shown(table.row_totals, table.key_row_totals or {})
    col_totals = shown(table.col_totals, table.key_col_totals or {})
    total = perturb(table.total or 0, table.key_total or 0, k)
    out = published_copy(table, cells, row_totals, col_totals, total, k=k)
    if table.quantities is not None:
        out.quantities = {
            entry: _perturb_quantity(q, cells[entry], table.keys.get(entry, 0), k)
            for entry, q in table.quantities.items()
        }
        out.quantity_row_totals = {
            r: _perturb_quantity(q, row_totals[r], (table.key_row_totals or {}).get(r, 0), k)
            for r, q in (table.quantity_row_totals or {}).items()
        }
        out.quantity_col_totals = {
            c: _perturb_quantity(q, col_totals[c], (table.key_col_totals or {}).get(c, 0), k)
            for c, q in (table.quantity_col_totals or {}).items()
        }
        out.quantity_total = _perturb_quantity(table.quantity_total, total, table.key_total or 0, k)
    return out


# --- What may leave for a donor: whole periods and these disaggregations only -----------------

# What a donor can obtain: released periods (reporting.releases), fiscal years, quarters and
# months, protected together. Never a custom range (it could isolate a single arrival), nor a
# calendar year, whose months belong to two fiscal years' releases.
RELEASE_PERIOD_KINDS = (FISCAL_YEAR, FISCAL_QUARTER, MONTH)
DONOR_PERIOD_KINDS = RELEASE_PERIOD_KINDS
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
