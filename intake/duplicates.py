"""The duplicate scan: pairs of records at one centre that the recognition would propose for
each other (intake.matching's scoring), kept as DuplicatePair rows for supervisors to review.

Every pair cannot be scored (a centre holds hundreds of thousands of persons), so the scan
reads the centre's persons once and scores only the pairs that share a block: the same
document; a date of birth (as stored, or one of its typing variants) with a surname key and a
given name of the same initial; or the same date of birth with a given-name key and a surname
of the same initial. A block larger than BLOCK_LIMIT (a very common name on a common date) is
left out rather than scored pair by pair. Estimated dates of birth are not blocked on: they
agree with too many people to be proposed without someone typing them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from registry.models import Person, PersonCenter, ReceptionCenter

from .matching import birth_date_variants, match_score
from .models import DuplicatePair

BLOCK_LIMIT = 50
# A pair enters the queue from this score (intake.matching's scale): the whole name with a date
# that agrees as typed or one typing slip apart, or the same document. Weaker agreements (a
# common name with the year one apart) are left to the lookup at registration: in a national
# registry they are mostly namesakes, and a queue of them would not be reviewed.
QUEUE_MIN_SCORE = 75
READ_BATCH = 5000


@dataclass(frozen=True)
class ScanRow:
    """What the scoring reads of a person (the attribute names of Person)."""

    pk: uuid.UUID
    document_key: str
    given_name_keys: str
    surname_keys: str
    birth_date: date | None
    birth_date_estimated: bool


def _rows(center_id: int) -> Iterator[ScanRow]:
    persons = Person.objects.filter(
        pk__in=PersonCenter.objects.filter(center_id=center_id).values("person_id")
    ).values_list(
        "pk",
        "document_key",
        "given_name_keys",
        "surname_keys",
        "birth_date",
        "birth_date_estimated",
    )
    for row in persons.iterator(chunk_size=READ_BATCH):
        yield ScanRow(*row)


def pair_scored(a: ScanRow | Person, b: ScanRow | Person) -> tuple[int, list[str]]:
    """The recognition's score of one record for someone typing the other's details, and its
    reasons (none: it would not be proposed); the better of the two ways round."""

    def one_way(wanted: ScanRow | Person, found: ScanRow | Person) -> tuple[int, list[str]]:
        score, reasons = match_score(
            found,  # type: ignore[arg-type]  # a ScanRow has the attributes read of a Person
            doc_key=wanted.document_key,
            given_keys=wanted.given_name_keys.split(),
            surname_keys=wanted.surname_keys.split(),
            birth_date=wanted.birth_date,
            birth_date_estimated=wanted.birth_date_estimated,
        )
        return (score, reasons) if reasons else (0, [])

    return max(one_way(a, b), one_way(b, a), key=lambda scored: scored[0])


Block = dict[tuple[date, str, str], list[ScanRow]]


def _blocks(rows: list[ScanRow], column: str, other: str) -> Block:
    """The rows by (date of birth, each key of `column`, each initial of the keys of `other`)."""
    blocks: Block = defaultdict(list)
    for row in rows:
        assert row.birth_date is not None
        initials = {key[0] for key in getattr(row, other).split()}
        for key in getattr(row, column).split():
            for initial in initials:
                blocks[(row.birth_date, key, initial)].append(row)
    return blocks


def _block_mates(
    row: ScanRow, blocks: Block, days: Iterable[date], column: str, other: str
) -> Iterator[tuple[ScanRow, ScanRow]]:
    initials = {key[0] for key in getattr(row, other).split()}
    keys = getattr(row, column).split()
    for day in days:
        for key in keys:
            for initial in initials:
                block = blocks.get((day, key, initial), ())
                if len(block) <= BLOCK_LIMIT:
                    yield from ((row, other_row) for other_row in block if other_row.pk != row.pk)


def _candidate_pairs(rows: list[ScanRow]) -> Iterator[tuple[ScanRow, ScanRow]]:
    """The pairs worth scoring: the same document; a date of birth (or one of its typing
    variants) with a surname key and a given name of the same initial; the same date of birth
    with a given-name key and a surname of the same initial (a surname mistyped). Recognition
    needs the date and both names to agree, so other pairs cannot score, except a name whose
    first letter was mistyped, which the scan leaves to the caseworker's lookup."""
    by_document: dict[str, list[ScanRow]] = defaultdict(list)
    for row in rows:
        if len(row.document_key) >= 4:
            by_document[row.document_key].append(row)
    for block in by_document.values():
        if 1 < len(block) <= BLOCK_LIMIT:
            yield from ((a, b) for i, a in enumerate(block) for b in block[i + 1 :])
    dated = [row for row in rows if row.birth_date and not row.birth_date_estimated]
    given, surnames = "given_name_keys", "surname_keys"
    by_surname, by_given = _blocks(dated, surnames, given), _blocks(dated, given, surnames)
    for row in dated:
        assert row.birth_date is not None
        days = (row.birth_date, *birth_date_variants(row.birth_date))
        yield from _block_mates(row, by_surname, days, surnames, given)
        yield from _block_mates(row, by_given, (row.birth_date,), given, surnames)


def _ordered(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    # The order the databases compare UUIDs in (their bytes): the order of their integers.
    return (a, b) if a.int < b.int else (b, a)


def duplicates_find(*, center_ids: Iterable[int]) -> dict[str, int]:
    """Scan the persons of these centres; record each new pair that scores (a pair already
    reviewed as different people, or already queued, is left as it is)."""
    found: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    scanned = 0
    for center_id in center_ids:
        rows = list(_rows(center_id))
        scanned += len(rows)
        for a, b in _candidate_pairs(rows):
            pair = _ordered(a.pk, b.pk)
            if pair in found:
                continue
            score, _reasons = pair_scored(a, b)
            if score >= QUEUE_MIN_SCORE:
                found[pair] = score
    with transaction.atomic():
        before = DuplicatePair.objects.count()
        DuplicatePair.objects.bulk_create(
            [DuplicatePair(first_id=a, second_id=b, score=s) for (a, b), s in found.items()],
            batch_size=1000,
            ignore_conflicts=True,
        )
        offered = DuplicatePair.objects.count() - before
    return {"persons": scanned, "pairs": len(found), "new": offered}


def duplicates_find_country(*, country_iso2: str | None = None) -> dict[str, int]:
    """The nightly scan: every active centre (of one country)."""
    centers = ReceptionCenter.objects.filter(active=True)
    if country_iso2:
        centers = centers.filter(country__iso2=country_iso2.upper())
    return duplicates_find(center_ids=list(centers.order_by("pk").values_list("pk", flat=True)))
