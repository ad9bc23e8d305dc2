"""Recognising a person who returned before: possible matches before a new person is created.

Matching searches the national registry (persons known at any centre of the user's countries)
but returns only what recognition needs: names, date of birth, sex, the last four characters
of the document, and the date and centre of the last return (not how many times the person
returned); besides, why each candidate matched and whether its record is open to the user.
The duplicate-candidates API and the intake matches screen show these and nothing more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Case, Expression, Q, Value, When
from django.utils.translation import gettext_lazy as _

from registry.audit import persons_viewed
from registry.models import Person, ReceptionCenter
from registry.names import document_normalise, name_keys
from registry.permissions import User, person_matching_scope_for, user_center_ids

from .selectors import annotate_last_return

MAX_CANDIDATES = 10
# An estimated date of birth (an age only) is trusted to within this many years.
ESTIMATE_YEARS = 2


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


def _given_names_agree(query_keys: list[str], person_keys: list[str]) -> bool:
    """Compound given names: 'María José' agrees with 'María' and with 'José María'."""
    return bool(set(query_keys) & set(person_keys))


def _surnames_agree(query_keys: list[str], person_keys: list[str]) -> bool:
    """Two surnames in either order, or one of them missing on either side."""
    if not query_keys or not person_keys:
        return False
    return bool(set(query_keys) & set(person_keys))


def _birth_dates_agree(
    wanted: date | None, wanted_estimated: bool, found: date | None, found_estimated: bool
) -> bool:
    if wanted is None or found is None:
        return False
    if wanted == found:
        return True
    if wanted_estimated or found_estimated:
        return abs(wanted.year - found.year) <= ESTIMATE_YEARS
    return False


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
        score, reasons = _match_score(
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


def _match_condition(
    *,
    doc_key: str,
    given_keys: list[str],
    surname_keys: list[str],
    birth_date: date | None,
    birth_date_estimated: bool,
) -> Q:
    """The filter for possible matches: the same document, or birth date and a surname."""
    condition = Q()
    if len(doc_key) >= 4:
        condition |= Q(document_key=doc_key)
    if birth_date and given_keys and surname_keys:
        surname_q = Q()
        for key in surname_keys:
            surname_q |= Q(surname_keys__contains=key)
        window = ESTIMATE_YEARS if birth_date_estimated else 0
        dates = Q(birth_date=birth_date) | Q(
            birth_date_estimated=True,
            birth_date__range=(
                date(birth_date.year - ESTIMATE_YEARS, 1, 1),
                date(birth_date.year + ESTIMATE_YEARS, 12, 31),
            ),
        )
        if window:
            dates = Q(
                birth_date__range=(
                    date(birth_date.year - window, 1, 1),
                    date(birth_date.year + window, 12, 31),
                )
            )
        condition |= dates & surname_q
    return condition


def _match_rank(
    *, doc_key: str, given_keys: list[str], surname_keys: list[str], birth_date: date | None
) -> Expression:
    """The database expression ranking the rows: document, birth date, then each shared name."""
    rank: Expression = Value(0)
    if doc_key:
        rank += Case(When(document_key=doc_key, then=Value(100)), default=Value(0))
    if birth_date:
        rank += Case(When(birth_date=birth_date, then=Value(10)), default=Value(0))
    for key in surname_keys:
        rank += Case(When(surname_keys__contains=key, then=Value(5)), default=Value(0))
    for key in given_keys:
        rank += Case(When(given_name_keys__contains=key, then=Value(3)), default=Value(0))
    return rank


def _match_score(
    person: Person,
    *,
    doc_key: str,
    given_keys: list[str],
    surname_keys: list[str],
    birth_date: date | None,
    birth_date_estimated: bool,
) -> tuple[int, list[str]]:
    """How well one row matches and why (no reasons: it does not match)."""
    reasons: list[str] = []
    score = 0
    if doc_key and person.document_key == doc_key:
        reasons.append(str(_("same document number")))
        score += 100
    dates_agree = _birth_dates_agree(
        birth_date, birth_date_estimated, person.birth_date, person.birth_date_estimated
    )
    p_given = person.given_name_keys.split()
    p_surnames = person.surname_keys.split()
    names_agree = _given_names_agree(given_keys, p_given) and _surnames_agree(
        surname_keys, p_surnames
    )
    if dates_agree and names_agree:
        reasons.append(str(_("same date of birth and similar names")))
        score += 50 + 5 * len(set(surname_keys) & set(p_surnames))
        score += 3 * len(set(given_keys) & set(p_given))
        if birth_date == person.birth_date:
            score += 10
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
    try:
        return person_matching_scope_for(user).get(pk=person_id)
    except (Person.DoesNotExist, ValidationError, ValueError, TypeError):
        return None
