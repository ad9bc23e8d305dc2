"""Recognising a returnee: each Spanish name variant is found, unrelated people are not."""

import uuid
from datetime import date

import pytest

from intake.matching import duplicate_candidates
from intake.tests.factories import ArrivalFactory
from registry.models import DocumentType, Person
from registry.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

DOB = date(1994, 3, 17)


@pytest.fixture
def known(center_a):
    """María José Hernández Velásquez, returned once through centre A."""
    person = PersonFactory(
        given_names="María José",
        first_surname="Hernández",
        second_surname="Velásquez",
        birth_date=DOB,
        document_type=DocumentType.objects.get(code="dpi"),
        document_number="2345 67890 0101",
        centers=[center_a],
    )
    ArrivalFactory(person=person, center=center_a)
    return person


def _ids(candidates):
    return [c.person_id for c in candidates]


@pytest.mark.parametrize(
    ("given", "first", "second"),
    [
        ("Maria Jose", "Hernandez", "Velasquez"),  # no accents
        ("MARÍA JOSÉ", "HERNÁNDEZ", "VELÁSQUEZ"),  # capitals
        ("María José", "Ernandez", "Belasquez"),  # silent h, b/v
        ("María José", "Hernández", "Velázquez"),  # s/z
        ("María José", "Velásquez", "Hernández"),  # surnames in the other order
        ("María José", "Hernández", ""),  # second surname missing
        ("María", "Hernández", "Velásquez"),  # one of the compound given names
        ("José", "Hernández", "Velásquez"),
        ("Majo María José", "Hernández", "de Velásquez"),  # extra given name, particle
    ],
)
def test_spanish_variants_with_same_birth_date_are_proposed(
    caseworker, known, given, first, second
):
    found = duplicate_candidates(
        user=caseworker,
        given_names=given,
        first_surname=first,
        second_surname=second,
        birth_date=DOB,
    )
    assert _ids(found) == [known.pk]


def test_variants_with_ll_y_and_c_s(caseworker, center_a):
    person = PersonFactory(
        given_names="Cecilia Yanira",
        first_surname="Castillo",
        second_surname="Quiroa",
        birth_date=DOB,
        centers=[center_a],
    )
    found = duplicate_candidates(
        user=caseworker,
        given_names="Sesilia Llanira",
        first_surname="Castiyo",
        second_surname="Kiroa",
        birth_date=DOB,
    )
    assert _ids(found) == [person.pk]


def test_same_document_is_proposed_whatever_the_name(caseworker, known):
    found = duplicate_candidates(
        user=caseworker,
        given_names="Otra",
        first_surname="Persona",
        document_number="2345-67890-0101",
    )
    assert _ids(found) == [known.pk]
    assert found[0].document_last4 == "0101"


def test_unrelated_people_are_not_proposed(caseworker, known, center_a):
    PersonFactory(
        given_names="Juan",
        first_surname="Pérez",
        second_surname="López",
        birth_date=DOB,
        centers=[center_a],
    )
    # same names, another birth date (not one a typist could have meant: 1994-03-17)
    assert (
        duplicate_candidates(
            user=caseworker,
            given_names="María José",
            first_surname="Hernández",
            second_surname="Velásquez",
            birth_date=date(1994, 7, 25),
        )
        == []
    )
    # same birth date, other names
    assert (
        _ids(
            duplicate_candidates(
                user=caseworker,
                given_names="Ana Lucía",
                first_surname="García",
                second_surname="Morales",
                birth_date=DOB,
            )
        )
        == []
    )


def test_an_age_only_matches_within_the_estimate_window(caseworker, known):
    found = duplicate_candidates(
        user=caseworker,
        given_names="María José",
        first_surname="Hernández",
        birth_date=date(1995, 7, 1),
        birth_date_estimated=True,
    )
    assert _ids(found) == [known.pk]
    assert (
        duplicate_candidates(
            user=caseworker,
            given_names="María José",
            first_surname="Hernández",
            birth_date=date(1985, 7, 1),
            birth_date_estimated=True,
        )
        == []
    )


def test_an_estimated_date_has_no_typing_slips_to_forgive(caseworker, center_a):
    """An age-derived date (1 July of a year) was never typed: a day or a digit off it is not a
    slip, so it needs the whole name, as any estimate does. A typed date keeps its slips."""
    estimated = PersonFactory(
        given_names="Selvin Omar",
        first_surname="Ajú",
        second_surname="Tzul",
        birth_date=date(1990, 7, 1),
        birth_date_estimated=True,
        document_number="",
        centers=[center_a],
    )

    def asked(given, born, *, estimated=False):
        return _ids(
            duplicate_candidates(
                user=caseworker,
                given_names=given,
                first_surname="Ajú",
                second_surname="Pérez",  # another second surname: not the whole name
                birth_date=born,
                birth_date_estimated=estimated,
            )
        )

    assert asked("Selvin", date(1990, 7, 2)) == []  # a day off an estimate
    assert asked("Selvin", date(1991, 7, 1), estimated=True) == []
    assert asked("Selvin", date(1990, 7, 1), estimated=True) == [estimated.pk]  # the same
    estimated.birth_date_estimated = False
    estimated.save()
    assert asked("Selvin", date(1990, 7, 2)) == [estimated.pk]  # typed: a day off is a slip


def test_candidate_shows_the_last_return_and_its_centre(caseworker, known, center_a):
    found = duplicate_candidates(user=caseworker, document_number="2345678900101")
    assert found[0].last_arrival_at == known.arrivals.get().arrived_at
    assert found[0].last_center_name == center_a.name
    assert found[0].visible_to_user is True


def test_matching_searches_the_country_but_not_other_countries(db, known, center_a):
    from registry.models import Country
    from registry.tests.factories import ReceptionCenterFactory, UserFactory

    same_country = ReceptionCenterFactory(code="GT2")
    honduras = ReceptionCenterFactory(
        code="HN1", country=Country.objects.get(iso2="HN"), time_zone="America/Tegucigalpa"
    )
    national = UserFactory(centers=[same_country])
    foreign = UserFactory(centers=[honduras])
    nobody = UserFactory()

    found = duplicate_candidates(user=national, document_number="2345678900101")
    assert _ids(found) == [known.pk]
    # recognition only: the person is not visible to this user's centre yet
    assert found[0].visible_to_user is False
    assert duplicate_candidates(user=foreign, document_number="2345678900101") == []
    assert duplicate_candidates(user=nobody, document_number="2345678900101") == []


def test_lookup_makes_a_fixed_number_of_queries(
    caseworker, known, center_a, django_assert_max_num_queries
):
    for _ in range(5):
        PersonFactory(
            given_names="María José", first_surname="Hernández", birth_date=DOB, centers=[center_a]
        )
    with django_assert_max_num_queries(5):
        found = duplicate_candidates(
            user=caseworker, given_names="María José", first_surname="Hernández", birth_date=DOB
        )
    assert len(found) == 6
    assert Person.objects.count() == 6


def test_the_right_person_is_found_among_many_with_estimated_birth_dates(caseworker, center_a):
    """Many people of the same surnames with an estimated date of birth (a year from the one
    typed: a date variant too) do not hide the match."""
    for n in range(60):
        PersonFactory(
            given_names=f"Persona{n}",
            first_surname="López",
            second_surname="García",
            birth_date=date(1990, 7, 1),
            birth_date_estimated=True,
            centers=[center_a],
        )
    wanted = PersonFactory(
        # the last id of all: a cut by id alone would leave her out
        id=uuid.UUID(int=2**128 - 1),
        given_names="Wendy Yamileth",
        first_surname="López",
        second_surname="García",
        birth_date=date(1990, 7, 1),
        birth_date_estimated=True,
        centers=[center_a],
    )
    found = duplicate_candidates(
        user=caseworker,
        given_names="Wendi Yamilet",
        first_surname="Lopes",
        second_surname="Garsia",
        birth_date=date(1991, 7, 1),
        birth_date_estimated=True,
    )
    assert _ids(found) == [wanted.pk]
