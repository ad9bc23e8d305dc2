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
from .names import document_normalise, key_deletions, name_keys, phone_key
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


# How loosely the words of a search are read, one try after the other until someone matches.
EXACT, TYPOS, STARTS = "exact", "typos", "starts"
NAME_TRIES = (EXACT, TYPOS, STARTS)


def _name_condition(keys: list[str], prefix: str, *, loose: str = EXACT) -> Q:
    """Every word of the text is a name of the person (given names or surnames):

    - EXACT: as a whole name key, or that key with a letter dropped (`name_variant_keys`: one
      index answers every word at once);
    - TYPOS: a word of TYPO_MIN_LENGTH letters or more also one edit away (its deletions and
      the stored ones meet), in the same index;
    - STARTS: as the first letters of a name ("Marroq" finds Marroquín; "ion" does not find
      every Concepción), by the trigram indexes.
    """
    condition = Q()
    for key in keys:
        if loose == STARTS:
            word = Q()
            for field in ("given_name_keys", "surname_keys"):
                word |= Q(**{f"{prefix}{field}__like": f"{key}%"})
                word |= Q(**{f"{prefix}{field}__like": f"% {key}%"})
        else:
            words = [key, *key_deletions(key)] if loose == TYPOS else [key]
            word = Q(**{f"{prefix}name_variant_keys__has_any_word": words})
        condition &= word
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


def person_search_condition(text: str, *, prefix: str = "", loose: str = EXACT) -> Q | None:
    """Match a person by name (Spanish-aware keys, every word), document number or phone.

    `prefix` reaches the person from another model, e.g. "person__" from an arrival. None means
    the text has nothing searchable in it.
    """
    text = (text or "").strip()
    condition = Q()
    doc_key = document_normalise(text)
    if len(doc_key) >= 4 and any(ch.isdigit() for ch in doc_key):
        condition |= Q(**{f"{prefix}document_key__contains": doc_key})
    condition |= phone_condition(text, prefix=prefix)
    keys = search_name_keys(text)
    if keys:
        condition |= _name_condition(keys, prefix, loose=loose)
    return condition or None


def search_name_keys(text: str) -> list[str]:
    """The name keys of a search text: its words without digits (a passport number's letters
    are not a name)."""
    return name_keys(" ".join(w for w in text.split() if not any(ch.isdigit() for ch in w)))


def _named_by_terms(user: User | None, text: str) -> list[uuid.UUID]:
    """The persons the other apps' references in the text name (a case number, a flight),
    read first: as a list beside the name and document conditions, the database can answer
    each by its own index instead of testing every person against a subquery."""
    if user is None:
        return []
    found: list[uuid.UUID] = []
    for term in _terms:
        ids = term(user, (text or "").strip())
        if ids is not None:
            found.extend(ids.values_list("person_id", flat=True)[: SEARCH_LIMIT + 1])
    return found


# A search that names more persons than this keeps this many (and one more, to say "more than")
# and asks for more detail: sorting and counting thousands of namesakes costs a busy centre
# seconds for a list nobody reads to the end.
SEARCH_LIMIT = 200
SEARCH_ORDER = ("first_surname", "second_surname", "given_names", "pk")


def person_search(queryset: QuerySet[Person], *, user: User | None, text: str) -> QuerySet[Person]:
    """The persons of `queryset` (already scoped to the user) that the text names, in name
    order; at most SEARCH_LIMIT + 1 of them.

    Whole names as typed first; when nobody matches so, one typo per word of five letters or
    more; then the first letters of names (a caseworker who typed the name right is not shown
    every lookalike; one who typed it wrong, or only a part of it, still finds the person).
    The persons found are read once, narrowly; the page and its count then read only those.
    A case number or a flight finds its persons too.
    """
    named = _named_by_terms(user, text)
    by_terms = Q(pk__in=named) if named else None
    found: list[uuid.UUID] = []
    for loose in NAME_TRIES if search_name_keys(text) else (EXACT,):
        condition = person_search_condition(text, loose=loose)
        if by_terms is not None:
            condition = by_terms if condition is None else condition | by_terms
        if condition is None:
            return queryset.none()
        found = _found_ids(queryset, condition)
        if found:
            break
    return queryset.filter(pk__in=found).order_by(*SEARCH_ORDER)


def _found_ids(queryset: QuerySet[Person], condition: Q) -> list[uuid.UUID]:
    """The first SEARCH_LIMIT + 1 persons found, in name order: one narrow read of the rows
    found. Ordered, the database reads them through the indexes; unordered with a limit, it
    may walk the whole table hoping to meet enough of them early (it overestimates how many
    persons share a name's variants)."""
    rows = queryset.filter(condition).order_by(*SEARCH_ORDER).values_list("pk", flat=True)
    return list(rows[: SEARCH_LIMIT + 1])


def search_facts(
    *, user: User, person_ids: list[uuid.UUID]
) -> list[tuple[SearchFact, dict[uuid.UUID, FactValue]]]:
    """Each registered fact with its values for these persons (one query per fact)."""
    facts = sorted(_facts, key=lambda fact: fact.order)
    return [(fact, fact.values(user, person_ids) if person_ids else {}) for fact in facts]
