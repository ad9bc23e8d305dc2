"""The registry search: one box that finds a person by name (Spanish-aware keys, one typo
allowed), document, phone, or by what a higher app knows about them (a case number, a flight or
bus reference), and the facts shown beside each result (last arrival, open case).

registry imports no higher app: intake and casework register their search terms and facts here
when they start (AppConfig.ready), each scoped to the user, as with the person page's parts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from . import lookups  # noqa: F401  (registers __like and __has_any_word)
from .models import Person
from .names import TYPO_MIN_LENGTH, document_normalise, key_deletions, name_keys, phone_key
from .permissions import User
from .types import StrOrPromise

# A term answers the ids of the persons (`values("person_id")`) that the text names in its app,
# within what the user may see, or None when the text cannot be one of its references.
SearchTerm = Callable[[User, str], "QuerySet[Any] | None"]

PHONE_MIN_DIGITS = 6


@dataclass(frozen=True)
class FactValue:
    text: str
    url: str = ""


@dataclass(frozen=True)
class SearchFact:
    """A column of the results: `values` answers, in one query, the value for each person of the
    page that has one, as the user may see it."""

    order: int
    header: StrOrPromise
    values: Callable[[User, list[uuid.UUID]], dict[uuid.UUID, FactValue]]


_terms: list[SearchTerm] = []
_facts: list[SearchFact] = []


def register_term(term: SearchTerm) -> SearchTerm:
    if term not in _terms:
        _terms.append(term)
    return term


def register_fact(fact: SearchFact) -> SearchFact:
    if all(known.header != fact.header for known in _facts):
        _facts.append(fact)
    return fact


def _name_condition(keys: list[str], prefix: str, *, typos: bool) -> Q:
    """Every word of the text is in the given names or the surnames: a word of TYPO_MIN_LENGTH
    letters or more, with `typos`, as a whole name key one edit away (its deletions and the
    stored ones meet: `name_variant_keys`); a shorter word, or without `typos`, anywhere in a
    key (a part of a name finds it)."""
    condition = Q()
    for key in keys:
        if typos and len(key) >= TYPO_MIN_LENGTH:
            variants = [key, *key_deletions(key)]
            condition &= Q(**{f"{prefix}name_variant_keys__has_any_word": variants})
        else:
            condition &= Q(**{f"{prefix}given_name_keys__like": f"%{key}%"}) | Q(
                **{f"{prefix}surname_keys__like": f"%{key}%"}
            )
    return condition


def phone_condition(text: str, *, prefix: str = "") -> Q:
    """A text of digits and phone separators: the phone's last 8 digits, or a part of them."""
    if not all(ch.isdigit() or ch in " ()-+" for ch in text):
        return Q()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < PHONE_MIN_DIGITS:
        return Q()
    key = phone_key(digits)
    if key:
        return Q(**{f"{prefix}phone_key": key})
    return Q(**{f"{prefix}phone_key__contains": digits})


def person_search_condition(
    text: str, *, prefix: str = "", user: User | None = None, typos: bool = False
) -> Q | None:
    """Match a person by name (Spanish-aware keys, every word), document number or phone, and,
    given the user, by the other apps' references (case number, flight or bus).

    `prefix` reaches the person from another model, e.g. "person__" from an arrival. None means
    the text has nothing searchable in it.
    """
    text = (text or "").strip()
    condition = Q()
    doc_key = document_normalise(text)
    if len(doc_key) >= 4 and any(ch.isdigit() for ch in doc_key):
        condition |= Q(**{f"{prefix}document_key__contains": doc_key})
    condition |= phone_condition(text, prefix=prefix)
    keys = name_keys(text)
    if keys:
        condition |= _name_condition(keys, prefix, typos=typos)
    if user is not None:
        for term in _terms:
            ids = term(user, text)
            if ids is not None:
                condition |= Q(**{f"{prefix}pk__in": ids})
    return condition or None


def person_search(queryset: QuerySet[Person], *, user: User | None, text: str) -> QuerySet[Person]:
    """The persons of `queryset` (already scoped to the user) that the text names, by name.

    Exactly as typed first: when nobody matches so, one typo per word of five letters or more
    is forgiven (a caseworker who typed the name right is not shown every lookalike; one who
    typed it wrong still finds the person). One more query (exists) decides which.
    """
    exact = person_search_condition(text, user=user)
    if exact is None:
        return queryset.none()
    found = queryset.filter(exact)
    if not found.exists():
        typos = person_search_condition(text, user=user, typos=True)
        found = queryset.filter(typos) if typos is not None else queryset.none()
    return found.order_by("first_surname", "second_surname", "given_names", "pk")


def search_facts(
    *, user: User, person_ids: list[uuid.UUID]
) -> list[tuple[SearchFact, dict[uuid.UUID, FactValue]]]:
    """Each registered fact with its values for these persons (one query per fact)."""
    facts = sorted(_facts, key=lambda fact: fact.order)
    return [(fact, fact.values(user, person_ids) if person_ids else {}) for fact in facts]
