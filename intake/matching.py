"""Recognising a person who returned before: possible matches before a new person is created.

Matching searches the national registry (persons known at any centre of the user's countries)
but returns only what recognition needs: names, date of birth, sex, the last four characters
of the document, and the date and centre of the last return (not how many times the person
returned); besides, why each candidate matched and whether its record is open to the user.
The duplicate-candidates API and the intake matches screen show these and nothing more.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType

from django.db.models import Case, Expression, Q, Value, When
from django.utils.translation import gettext_lazy as _

from registry.audit import persons_viewed
from registry.dates import EARLIEST_BIRTH_DATE
from registry.models import Person, ReceptionCenter
from registry.names import TYPO_MIN_LENGTH, document_normalise, key_deletions, name_keys
from registry.permissions import User, person_matching_scope_for, user_center_ids
from registry.selectors import person_found

from .selectors import annotate_last_return

MAX_CANDIDATES = 10
# An estimated date of birth (an age only) is trusted to within this many years.
ESTIMATE_YEARS = 2

# How a candidate is scored (documented in docs/recognition.md): the document, the date of
# birth and each name add points; a candidate needs a reason from the date and the names
# together (or the same document), never a surname alone.
SCORE_DOCUMENT = 100
SCORE_DATES = {
    "same": 40,
    "swapped": 30,  # day and month typed the other way round
    "day": 25,  # one day apart
    "digit": 25,  # one digit of the date typed wrong
    "year": 20,  # the year one apart
    "estimated": 10,  # within ESTIMATE_YEARS of an estimated date
}
SCORE_NAME_EXACT = {"given": 10, "surname": 15}
SCORE_NAME_TYPO = {"given": 7, "surname": 10}
SCORE_WHOLE_NAME = 10

DATE_REASONS = {
    "same": _("same date of birth"),
    "swapped": _("day and month of birth swapped"),
    "day": _("date of birth one day apart"),
    "digit": _("date of birth differs in one digit"),
    "year": _("year of birth one apart"),
    "estimated": _("estimated date of birth within two years"),
}


# Later than any date of birth recorded for years to come (a fixed bound keeps the cache exact).
LATEST_VARIANT = date(2100, 12, 31)


@functools.lru_cache(maxsize=65_536)
def birth_date_variants(day: date) -> Mapping[date, str]:
    """The dates a typist may have meant for `day`, each with how it differs (not "same").

    Kept per date (read-only): the duplicate scan asks for the same dates millions of times."""
    found: dict[date, str] = {}

    def add(candidate: date | None, kind: str) -> None:
        # A date no record can hold (before 1900, or a year like 2995) is left out.
        if candidate is None or not EARLIEST_BIRTH_DATE <= candidate <= LATEST_VARIANT:
            return
        if candidate != day and candidate not in found:
            found[candidate] = kind

    add(_date_or_none(day.year, day.day, day.month), "swapped")
    add(day - timedelta(days=1), "day")
    add(day + timedelta(days=1), "day")
    add(_date_or_none(day.year - 1, day.month, day.day), "year")
    add(_date_or_none(day.year + 1, day.month, day.day), "year")
    text = day.strftime("%Y%m%d")
    for i, typed in enumerate(text):
        for digit in "0123456789":
            if digit != typed:
                changed = text[:i] + digit + text[i + 1 :]
                add(_date_or_none(int(changed[:4]), int(changed[4:6]), int(changed[6:])), "digit")
    return MappingProxyType(found)


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def one_edit_apart(a: str, b: str) -> bool:
    """One letter changed, added or dropped, or two neighbours swapped (not equal)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i, j = (diffs + [0, 0])[:2]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _keys_agree(wanted: list[str], found: list[str]) -> tuple[int, int, bool]:
    """(exact, typo, whole) for two lists of name keys: how many keys of `wanted` are in
    `found` exactly or one edit away (keys of five letters or more), and whether every key of
    the shorter list has its counterpart (a compound name written in part still agrees)."""
    exact = typo = 0
    matched_found: set[str] = set()
    for key in wanted:
        if key in found:
            exact += 1
            matched_found.add(key)
            continue
        near = next(
            (f for f in found if len(key) >= TYPO_MIN_LENGTH and one_edit_apart(key, f)), None
        )
        if near is not None:
            typo += 1
            matched_found.add(near)
    shorter = min(len(wanted), len(found))
    whole = shorter > 0 and exact + typo >= shorter
    return exact, typo, whole


@dataclass(frozen=True)
class Candidate:
    person_id: uuid.UUID
    given_names: str
    first_surname: str
    second_surname: str
    sex: str
    sex_display: str
    birth_date: date | None
    birth_date_estimated: bool
    document_last4: str
    last_arrival_at: datetime | None
    last_center_name: str
    visible_to_user: bool
    score: int
    reasons: list[str] = field(default_factory=list)


def duplicate_candidates(
    *,
    user: User,
    given_names: str = "",
    first_surname: str = "",
    second_surname: str = "",
    birth_date: date | None = None,
    birth_date_estimated: bool = False,
    document_number: str = "",
    limit: int = MAX_CANDIDATES,
) -> list[Candidate]:
    """Persons who may be the one being registered, best first."""
    doc_key = document_normalise(document_number)
    given_keys = name_keys(given_names)
    surname_keys = name_keys(f"{first_surname} {second_surname}")

    condition = _match_condition(
        doc_key=doc_key,
        given_keys=given_keys,
        surname_keys=surname_keys,
        birth_date=birth_date,
        birth_date_estimated=birth_date_estimated,
    )
    if not condition:
        return []

    # Rank in the database before the cut, so that a common surname in a wide window of
    # estimated birth dates cannot push the right person out of the rows scored below.
    rank = _match_rank(
        doc_key=doc_key, given_keys=given_keys, surname_keys=surname_keys, birth_date=birth_date
    )
    rows = list(
        annotate_last_return(person_matching_scope_for(user).filter(condition))
        .annotate(match_rank=rank)
        .order_by("-match_rank", "pk")
        .only(
            "id",
            "given_names",
            "first_surname",
            "second_surname",
            "sex",
            "birth_date",
            "birth_date_estimated",
            "document_key",
            "given_name_keys",
            "surname_keys",
        )[: limit * 5]
    )
    center_names = dict(
        ReceptionCenter.objects.filter(pk__in={r.last_center_id for r in rows}).values_list(
            "pk", "name"
        )
    )
    visible_ids = _visible_person_ids(user, [r.pk for r in rows])
    candidates = []
    for person in rows:
        score, reasons = match_score(
            person,
            doc_key=doc_key,
            given_keys=given_keys,
            surname_keys=surname_keys,
            birth_date=birth_date,
            birth_date_estimated=birth_date_estimated,
        )
        if not reasons:
            continue
        candidates.append(
            Candidate(
                person_id=person.pk,
                given_names=person.given_names,
                first_surname=person.first_surname,
                second_surname=person.second_surname,
                sex=person.sex,
                sex_display=str(person.get_sex_display()),
                birth_date=person.birth_date,
                birth_date_estimated=person.birth_date_estimated,
                document_last4=person.document_last4,
                last_arrival_at=person.last_arrival_at,
                last_center_name=center_names.get(person.last_center_id, ""),
                visible_to_user=person.pk in visible_ids,
                score=score,
                reasons=reasons,
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.first_surname, c.given_names))
    shown = candidates[:limit]
    # Proposing someone shows their names and date of birth: it is a read of their record.
    shown_ids = {candidate.person_id for candidate in shown}
    persons_viewed([p for p in rows if p.pk in shown_ids], actor=user)
    return shown


def _any_word(keys: list[str], *, typos: bool) -> Q:
    """A name word of the person is one of the keys (or, with `typos`, one edit from one):
    their variants meet (registry.names.name_variant_keys), as the registry search does."""
    words = set(keys)
    if typos:
        words.update(variant for key in keys for variant in key_deletions(key))
    return Q(name_variant_keys__has_any_word=sorted(words))


def _match_condition(
    *,
    doc_key: str,
    given_keys: list[str],
    surname_keys: list[str],
    birth_date: date | None,
    birth_date_estimated: bool,
) -> Q:
    """The rows worth scoring: the same document; or a date of birth the typed one may stand
    for with a given name and a surname (one typo each); or, around an estimated date, every surname and a
    given name as typed (keys)."""
    condition = Q()
    if len(doc_key) >= 4:
        condition |= Q(document_key=doc_key)
    if not (birth_date and given_keys and surname_keys):
        return condition
    dates = [birth_date]
    if not birth_date_estimated:  # the slips of a typed date (none for an estimated one)
        dates.extend(birth_date_variants(birth_date))
    # A given name and a surname, each one typo allowed, as match_score asks: both in the one
    # index, whose intersection is small, where a surname alone meets thousands of namesakes.
    names = _any_word(surname_keys, typos=True) & _any_word(given_keys, typos=True)
    condition |= Q(birth_date__in=dates) & names
    whole_surnames = Q(name_variant_keys__has_all_words=surname_keys)
    given_any = _any_word(given_keys, typos=False)
    years = (
        date(birth_date.year - ESTIMATE_YEARS, 1, 1),
        date(birth_date.year + ESTIMATE_YEARS, 12, 31),
    )
    near = Q(birth_date__range=years)
    if not birth_date_estimated:
        near &= Q(birth_date_estimated=True)  # only a stored estimate stretches that far
    condition |= near & whole_surnames & given_any
    return condition


def _match_rank(
    *, doc_key: str, given_keys: list[str], surname_keys: list[str], birth_date: date | None
) -> Expression:
    """The database's first cut, before the rows are scored: the same document, the same date
    of birth, each name key found as typed (so that many namesakes in a wide window of dates
    cannot push the right person out of the rows scored)."""
    rank: Expression = Value(0)
    if doc_key:
        rank += Case(When(document_key=doc_key, then=Value(SCORE_DOCUMENT)), default=Value(0))
    if birth_date:
        rank += Case(When(birth_date=birth_date, then=Value(SCORE_DATES["same"])), default=Value(0))
    for key in surname_keys:
        score = SCORE_NAME_EXACT["surname"]
        rank += Case(When(surname_keys__contains=key, then=Value(score)), default=Value(0))
    for key in given_keys:
        score = SCORE_NAME_EXACT["given"]
        rank += Case(When(given_name_keys__contains=key, then=Value(score)), default=Value(0))
    return rank


def _date_agreement(
    wanted: date | None, wanted_estimated: bool, found: date | None, found_estimated: bool
) -> str | None:
    """How the two dates of birth agree (a key of SCORE_DATES), or None."""
    if wanted is None or found is None:
        return None
    if wanted == found:
        return "same"
    if wanted_estimated or found_estimated:
        # An estimated date was worked out from an age, not typed: no typing slip to forgive.
        return "estimated" if abs(wanted.year - found.year) <= ESTIMATE_YEARS else None
    return birth_date_variants(wanted).get(found)


def match_score(
    person: Person,
    *,
    doc_key: str,
    given_keys: list[str],
    surname_keys: list[str],
    birth_date: date | None,
    birth_date_estimated: bool,
) -> tuple[int, list[str]]:
    """How well one row matches and why (no reasons: it is not proposed).

    A date that agrees (the same, or one of the typing variants) needs a given name and a
    surname to agree too, each exactly or one letter off; an estimated date needs the whole
    name (every key of the shorter name on each side). The same document is enough alone.
    """
    reasons: list[str] = []
    score = 0
    if doc_key and person.document_key == doc_key:
        reasons.append(str(_("same document number")))
        score += SCORE_DOCUMENT
    agreement = _date_agreement(
        birth_date, birth_date_estimated, person.birth_date, person.birth_date_estimated
    )
    given = _keys_agree(given_keys, person.given_name_keys.split())
    surnames = _keys_agree(surname_keys, person.surname_keys.split())
    names_agree = sum(given[:2]) > 0 and sum(surnames[:2]) > 0
    if agreement == "estimated":
        names_agree = given[2] and surnames[2]
    if agreement and names_agree:
        score += SCORE_DATES[agreement]
        score += SCORE_NAME_EXACT["given"] * given[0] + SCORE_NAME_TYPO["given"] * given[1]
        score += SCORE_NAME_EXACT["surname"] * surnames[0]
        score += SCORE_NAME_TYPO["surname"] * surnames[1]
        if given[2] and surnames[2]:
            score += SCORE_WHOLE_NAME
        reasons.append(str(DATE_REASONS[agreement]))
        typos = given[1] + surnames[1]
        reasons.append(
            str(_("same names") if not typos else _("names one letter apart"))
            if given[2] and surnames[2]
            else str(_("a given name and a surname agree"))
        )
    return score, reasons


def _visible_person_ids(user: User, person_ids: list) -> set:
    from registry.models import PersonCenter

    if not person_ids:
        return set()
    return set(
        PersonCenter.objects.filter(
            person_id__in=person_ids, center_id__in=user_center_ids(user)
        ).values_list("person_id", flat=True)
    )


def matchable_person(*, user: User, person_id) -> Person | None:
    """The person to link an arrival to, if they are within the user's matching scope."""
    # A record merged since (a tablet offline at the time) stands for its survivor.
    return person_found(person_matching_scope_for(user), person_id)
