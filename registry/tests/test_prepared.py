"""Prepared reads (registry.prepared): compiled once per shape, they answer what their queryset
answers for every value, in each language and on each database; a build that reads anything
besides its values is refused."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone, translation

from registry.models import Consent, Country, PersonCenter
from registry.permissions import persons_in
from registry.prepared import prefetched, prepared
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, consent_given


@dataclass(frozen=True)
class Reach:
    center_ids: tuple[int, ...]
    named: bool


@prepared
def persons_at(*, reach: Reach, seen_since: datetime.datetime, born_before: datetime.date):
    persons = persons_in(reach.center_ids).filter(
        center_links__first_seen_at__gte=seen_since, birth_date__lt=born_before
    )
    if reach.named:
        persons = persons.exclude(given_names="")
    return persons.order_by("first_surname", "pk")


@pytest.fixture
def three_centres(db):
    centres = [ReceptionCenterFactory(code=f"P{n}", name=f"Centro {n}") for n in range(3)]
    for n, centre in enumerate(centres):
        for person in PersonFactory.create_batch(n + 1, centers=[centre]):
            person.birth_date = datetime.date(1980 + n, 1, 1)
            person.save(update_fields=["birth_date"])
    return centres


def _compiles() -> mock._patch:
    return mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql)


def test_every_value_answers_what_the_queryset_answers(three_centres):
    a, b, c = (centre.pk for centre in three_centres)
    seen = timezone.now() - datetime.timedelta(days=1)
    cases = [
        (Reach((a,), True), seen, datetime.date(2000, 1, 1)),
        (Reach((b,), True), seen, datetime.date(2000, 1, 1)),
        (Reach((a, c), True), seen, datetime.date(1982, 1, 1)),
        (Reach((b, c), False), seen, datetime.date(2000, 1, 1)),
        (
            Reach((a, b), True),
            timezone.now() + datetime.timedelta(days=1),
            datetime.date(2000, 1, 1),
        ),
    ]
    for reach, since, born in cases:
        expected = list(persons_at.build(reach=reach, seen_since=since, born_before=born))
        assert persons_at(reach=reach, seen_since=since, born_before=born) == expected
    assert [len(persons_at(reach=r, seen_since=s, born_before=d)) for r, s, d in cases] == [
        1,
        2,
        1,
        5,
        0,
    ]


def test_a_shape_is_compiled_once_then_only_bound(three_centres):
    a, b, c = (centre.pk for centre in three_centres)
    seen = timezone.now() - datetime.timedelta(days=1)
    born = datetime.date(2000, 1, 1)
    persons_at(reach=Reach((a,), True), seen_since=seen, born_before=born)  # compiled here

    with _compiles() as compiled:
        assert len(persons_at(reach=Reach((b,), True), seen_since=seen, born_before=born)) == 2
        assert len(persons_at(reach=Reach((c,), True), seen_since=seen, born_before=born)) == 3
    assert compiled.call_count == 0

    with _compiles() as compiled:  # two centres, unnamed: new shapes, each built twice
        persons_at(reach=Reach((a, b), True), seen_since=seen, born_before=born)
        persons_at(reach=Reach((a,), False), seen_since=seen, born_before=born)
    assert compiled.call_count == 4


def test_no_centre_selects_nobody_without_a_query(three_centres, django_assert_num_queries):
    seen = timezone.now() - datetime.timedelta(days=1)
    persons_at(reach=Reach((), True), seen_since=seen, born_before=datetime.date(2000, 1, 1))
    with django_assert_num_queries(0):
        assert (
            persons_at(reach=Reach((), True), seen_since=seen, born_before=datetime.date.max) == []
        )


@prepared
def countries_by_name(*, codes: tuple[str, ...]) -> QuerySet[Country]:
    return Country.objects.filter(iso2__in=codes).order_by("name", "pk")


def test_each_language_has_its_own_sql(db):
    Country.objects.create(iso2="QA", name_es="Zacapa del Norte", name_en="Alpha Land")
    Country.objects.create(iso2="QB", name_es="Alta Tierra", name_en="Zulu Coast")
    codes = ("QA", "QB")
    orders = {}
    for language in ("es", "en"):
        with translation.override(language):
            rows = countries_by_name(codes=codes)
            assert rows == list(countries_by_name.build(codes=codes))
            orders[language] = [country.iso2 for country in rows]
    assert orders == {"es": ["QB", "QA"], "en": ["QA", "QB"]}


def test_a_build_that_reads_the_clock_is_refused(db):
    @prepared
    def seen_today(*, center_ids: tuple[int, ...]) -> QuerySet[PersonCenter]:
        return PersonCenter.objects.filter(
            center_id__in=center_ids, first_seen_at__lt=timezone.now()
        )

    with pytest.raises(ImproperlyConfigured, match="depends on something besides its values"):
        seen_today(center_ids=(1,))


def test_a_value_the_sql_does_not_carry_as_itself_is_refused(db):
    @prepared
    def named_like(*, text: str) -> QuerySet[Consent]:
        return Consent.objects.filter(person__given_names__icontains=text)

    with pytest.raises(ImproperlyConfigured, match="not bound as parameters"):
        named_like(text="Ana")


def test_values_of_another_kind_are_refused(db):
    with pytest.raises(TypeError):
        countries_by_name(codes=["GT"])  # a list: mutable, so no shape


@prepared
def consents_of(*, person_id: uuid.UUID) -> QuerySet[Consent]:
    return Consent.objects.filter(person_id=person_id).select_related("recorded_by")


def test_rows_handed_over_as_prefetched_are_read_without_a_query(
    db, center_a, caseworker, django_assert_num_queries
):
    person = PersonFactory(centers=[center_a])
    given = consent_given(person, Consent.Kind.PROCESS_DATA, by=caseworker)
    prefetched(person, "consents", consents_of(person_id=person.pk))
    with django_assert_num_queries(0):
        assert list(person.consents.all()) == [given]
        assert person.consents.all()[0].recorded_by == caseworker
