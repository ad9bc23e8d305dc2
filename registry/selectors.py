"""Reads of persons and reference data, already scoped to the user."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .audit import person_viewed, persons_viewed
from .filters import PersonFilter
from .models import (
    Consent,
    Correction,
    Department,
    Municipality,
    Person,
    PersonMerge,
    ReceptionCenterGroupObjectPermission,
    ReceptionCenterUserObjectPermission,
)
from .permissions import WORK_AT_CENTER, User, persons_for, persons_in, user_center_ids
from .prepared import prefetched, prepared
from .search import SEARCH_LIMIT, FactValue, SearchFact, search_facts


def person_list(*, user: User) -> QuerySet[Person]:
    return _person_rows(persons_for(user))


def _person_rows(persons: QuerySet[Person]) -> QuerySet[Person]:
    """What a person's record shows with it: nationality, document type, place of origin."""
    return persons.select_related(
        "nationality", "document_type", "origin_department", "origin_municipality"
    )


PERSON_SEARCH_PAGE_SIZE = 25


@dataclass(frozen=True)
class PersonSearchResults:
    page: Page[Person] | None  # None until something valid was searched
    facts: list[tuple[SearchFact, dict[uuid.UUID, FactValue]]] = field(default_factory=list)

    @property
    def more_than(self) -> int | None:
        """SEARCH_LIMIT when the search named more persons than it keeps, else None."""
        if self.page is not None and self.page.paginator.count > SEARCH_LIMIT:
            return SEARCH_LIMIT
        return None


def person_search_results(
    *, user: User, person_filter: PersonFilter, page_number: str | None
) -> PersonSearchResults:
    """One page of a registry search (PersonFilter on person_list, as the API list) with the
    facts the apps show beside each result; the persons shown are audited as viewed."""
    if not (person_filter.data.get("q") or "").strip() or not person_filter.is_valid():
        return PersonSearchResults(page=None)
    page = Paginator(person_filter.qs, PERSON_SEARCH_PAGE_SIZE).get_page(page_number)
    persons = list(page.object_list)
    persons_viewed(persons, actor=user)
    facts = search_facts(user=user, person_ids=[person.pk for person in persons])
    return PersonSearchResults(page=page, facts=facts)


def person_get(*, user: User, person_id: uuid.UUID | str) -> Person:
    """The person if the user may see them; Http404 otherwise (missing and not-yours alike).

    The id of a record merged into another stands for the survivor: the survivor is answered
    (the caller compares ids to say so). Every door that shows a person's record reads it
    here, so the access entry is written here.
    """
    center_ids = tuple(sorted(user_center_ids(user)))

    def first_in_scope(pk: Any) -> Person | None:
        wanted = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
        found = _person_in_scope(center_ids=center_ids, person_id=wanted)
        return found[0] if found else None

    person = _found_or_survivor(first_in_scope, person_id)
    if person is None:
        raise Http404
    prefetched(person, "consents", _person_consents(person_id=person.pk))
    person_viewed(person, actor=user)
    return person


@prepared
def _person_in_scope(*, center_ids: tuple[int, ...], person_id: uuid.UUID) -> QuerySet[Person]:
    """person_get's read of the person (person_list's columns), compiled once per process."""
    return _person_rows(persons_in(center_ids)).filter(pk=person_id)[:1]


@prepared
def _person_consents(*, person_id: uuid.UUID) -> QuerySet[Consent]:
    return Consent.objects.filter(person_id=person_id).select_related("recorded_by")


def person_found(persons: QuerySet[Person], person_id: Any) -> Person | None:
    """The person of `persons` with this id, or the survivor a merged id resolves to; None for
    an id that is malformed, unknown or not among `persons` (the same answer)."""
    return _found_or_survivor(lambda pk: persons.filter(pk=pk).first(), person_id)


def _found_or_survivor(first: Callable[[Any], Person | None], person_id: Any) -> Person | None:
    """`first(person_id)`, or `first` of the survivor a merged id resolves to; None for an id
    that is malformed or unknown, or that `first` does not find (the same answer)."""
    try:
        person = first(person_id)
        if person is None:
            survivor = person_id_resolved(person_id)
            if survivor is not None and str(survivor) != str(person_id):
                person = first(survivor)
    except (ValidationError, ValueError, TypeError):
        return None
    return person


MERGE_CHAIN_LIMIT = 20


def person_id_resolved(person_id: object) -> uuid.UUID | None:
    """The record a person id stands for now: itself, or the survivor of the merges it went
    through (an offline tablet may send a merged id later); None for an unknown id."""
    current: Any = person_id
    for _hop in range(MERGE_CHAIN_LIMIT):
        try:
            row = Person.objects.filter(pk=current).values_list("pk", "merged_into").first()
        except (ValidationError, ValueError, TypeError):
            return None
        if row is None:
            return None
        if row[1] is None:
            return row[0]
        current = row[1]
    return None


def person_corrections(person: Person) -> list[CorrectionShown]:
    """The corrections of a person's record, newest first, each change with its field's label
    and the values as the page shows them (read with the person: the caller read them)."""
    rows = _person_corrections(person_id=person.pk)
    return [CorrectionShown(row, [_change_shown(change) for change in row.changes]) for row in rows]


@prepared
def _person_corrections(*, person_id: uuid.UUID) -> QuerySet[Correction]:
    return Correction.objects.filter(person_id=person_id).select_related("corrected_by")


@dataclass(frozen=True)
class CorrectionShown:
    correction: Correction
    changes: list[tuple[str, str, str]]  # (field label, before, after)


# Changes of what other apps record about a person (their corrections name these).
OTHER_RECORDS = {"arrival": _("Arrival"), "delivery": _("Service delivered")}


def _change_shown(change: dict[str, Any]) -> tuple[str, str, str]:
    name = change.get("field", "")
    try:
        field = Person._meta.get_field(name)
    except FieldDoesNotExist:
        label = OTHER_RECORDS.get(name, name)
        before, after = change.get("before"), change.get("after")
        return str(label), str(before or "—"), str(after or "—")
    return (
        str(getattr(field, "verbose_name", name)),
        _value_shown(field, change.get("before")),
        _value_shown(field, change.get("after")),
    )


def _value_shown(field: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    choices = dict(getattr(field, "choices", None) or [])
    if value in choices:
        return str(choices[value])
    if field.get_internal_type() == "DateField":
        try:
            return date_format(date.fromisoformat(value), "DATE_FORMAT")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def consent_history(person: Person, in_force: dict[str, Consent]) -> list[Consent]:
    """Every answer (from a prefetched `consents`), newest first, once any consent was answered
    more than once; empty otherwise."""
    rows = sorted(person.consents.all(), key=lambda row: (row.recorded_at, row.pk), reverse=True)
    return rows if len(rows) > len(in_force) else []


def consents_in_force(person: Person) -> dict[str, Consent]:
    """The latest consent row per kind (from a prefetched `consents`)."""
    latest: dict[str, Consent] = {}
    for consent in person.consents.all():
        current = latest.get(consent.kind)
        if current is None or consent.recorded_at > current.recorded_at:
            latest[consent.kind] = consent
    return latest


def departments_for_country(country_id: int) -> QuerySet[Department]:
    return Department.objects.filter(country_id=country_id).order_by("name")


def municipalities_for_department(department_id: int) -> QuerySet[Municipality]:
    return Municipality.objects.filter(department_id=department_id).order_by("name")


def person_audit_entries(person: Person, *, limit: int = 200) -> QuerySet[LogEntry]:
    """Audit entries (views and changes) of a person's record and consents, newest first."""

    consent_ids = [str(pk) for pk in person.consents.values_list("pk", flat=True)]
    entries: QuerySet[LogEntry] = (
        LogEntry.objects.filter(
            Q(content_type=ContentType.objects.get_for_model(Person), object_pk=str(person.pk))
            | Q(content_type=ContentType.objects.get_for_model(Consent), object_pk__in=consent_ids)
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:limit]
    )
    return entries


# --- staff of a centre: who works there, directly or through a group ---------------------------


def center_staff(*, center_ids: Iterable[int]) -> QuerySet[Any]:
    """Active users who work at any of these centres, by a centre permission of their own or of
    one of their groups: who may be assigned a case there (HTML form, API field, action alike)."""
    ids = list(center_ids)
    direct = ReceptionCenterUserObjectPermission.objects.filter(
        content_object_id__in=ids, permission__codename=WORK_AT_CENTER
    ).values("user_id")
    via_group = ReceptionCenterGroupObjectPermission.objects.filter(
        content_object_id__in=ids, permission__codename=WORK_AT_CENTER
    ).values("group__user")
    return get_user_model().objects.filter(Q(pk__in=direct) | Q(pk__in=via_group), is_active=True)


def display_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def center_staff_rows(*, center_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The same staff as center_staff, one row per (centre, user) with the name shown, in one
    query (the supervisors' caseload table)."""
    ids = list(center_ids)
    direct = ReceptionCenterUserObjectPermission.objects.filter(
        content_object_id__in=ids,
        permission__codename=WORK_AT_CENTER,
        user__is_active=True,
    ).values_list(
        "content_object_id", "user_id", "user__first_name", "user__last_name", "user__username"
    )
    via_groups = ReceptionCenterGroupObjectPermission.objects.filter(
        content_object_id__in=ids,
        permission__codename=WORK_AT_CENTER,
        group__user__is_active=True,
    ).values_list(
        "content_object_id",
        "group__user__id",
        "group__user__first_name",
        "group__user__last_name",
        "group__user__username",
    )
    return [
        {"center_id": c, "user_id": u, "name": display_name(first, last, username)}
        for c, u, first, last, username in direct.union(via_groups)
    ]


# --- merging two records of one person --------------------------------------------------------

MERGE_LABELS = {
    "given_names": _("Given names"),
    "first_surname": _("First surname"),
    "second_surname": _("Second surname"),
    "sex": _("Sex"),
    "gender_identity": _("Gender identity"),
    "birth_date": _("Date of birth"),
    "nationality": _("Nationality"),
    "document": _("Identity document"),
    "origin": _("Place of origin"),
    "indigenous_people": _("Indigenous people"),
    "language": _("Language spoken"),
    "phone": _("Phone"),
}


@dataclass(frozen=True)
class MergeRow:
    choice: str  # a key of registry.actions.MERGE_CHOICES
    label: str
    kept: str
    other: str

    @property
    def differs(self) -> bool:
        return self.kept != self.other


def _choice_shown(person: Person, choice: str) -> str:
    if choice == "birth_date":
        if not person.birth_date:
            return "—"
        shown = date_format(person.birth_date, "DATE_FORMAT")
        return f"{shown} ({_('estimated')})" if person.birth_date_estimated else shown
    if choice == "document":
        return " ".join(p for p in (person.document_type.name, person.document_number) if p)
    if choice == "origin":
        parts = (person.origin_municipality, person.origin_department)
        return ", ".join(str(p) for p in parts if p) or "—"
    if choice == "sex":
        return str(person.get_sex_display())
    if choice == "nationality":
        return str(person.nationality)
    return str(getattr(person, choice) or "—")


def merge_comparison(*, kept: Person, other: Person) -> list[MergeRow]:
    """The two records side by side, a row per choice a merge offers (persons read by
    person_get, which audited them)."""
    return [
        MergeRow(choice, str(label), _choice_shown(kept, choice), _choice_shown(other, choice))
        for choice, label in MERGE_LABELS.items()
    ]


def person_merges(person: Person) -> list[PersonMerge]:
    """The merges that made this record what it is (not undone), newest first."""
    return _person_merges(person_id=person.pk)


@prepared
def _person_merges(*, person_id: uuid.UUID) -> QuerySet[PersonMerge]:
    return PersonMerge.objects.filter(
        survivor_id=person_id, unmerged_at__isnull=True
    ).select_related("merged", "merged_by")


def merge_get(*, user: User, merge_id: int | str) -> PersonMerge:
    """A merge whose kept record the user may see (Http404 otherwise), with both records."""
    if not str(merge_id).isdigit():
        raise Http404
    merge = (
        PersonMerge.objects.filter(pk=merge_id, survivor__in=persons_for(user))
        .select_related("survivor", "merged", "merged_by")
        .first()
    )
    if merge is None:
        raise Http404
    person_viewed(merge.survivor, actor=user)
    return merge
