"""The registry search (the header's box and its API twin): anyone registered at the user's
centres, found by a name variant or typo, document, phone, case number or flight, and nobody
else."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from casework.actions import case_open
from intake.tests.factories import ArrivalFactory
from registry.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("person_search")
LAST_MONTH = datetime(2026, 10, 14, 15, 30, tzinfo=UTC)  # 09:30 in Guatemala


@pytest.fixture
def yesenia(caseworker, center_a):
    """Arrived last month on flight AV651, no case."""
    person = PersonFactory(
        given_names="Yesenia Marisol",
        first_surname="Hernández",
        second_surname="Argueta",
        document_number="P70012345",
        phone="+502 5512-3456",
    )
    ArrivalFactory(
        person=person,
        center=center_a,
        arrived_at=LAST_MONTH,
        transport_reference="AV651",
        registered_by=caseworker,
    )
    return person


@pytest.fixture
def other_centre_person(outsider, center_b):
    person = PersonFactory(
        given_names="Yesenia", first_surname="Hernández", document_number="P80012345"
    )
    ArrivalFactory(person=person, center=center_b, arrived_at=LAST_MONTH, registered_by=outsider)
    return person


def found(client, text):
    response = client.get(SEARCH, {"q": text})
    assert response.status_code == 200
    page = response.context["page"]
    return response, ({person.pk for person in page.object_list} if page else set())


@pytest.mark.parametrize(
    "text",
    [
        "Jesenia Ernandes",  # y/j, silent h, z/s
        "yesenia argeta",  # gu/g
        "Hernnadez Yesenia",  # two letters swapped
        "Yesnia Hernandez",  # a letter dropped
        "P7001-2345",  # the document, with a dash
        "5512 3456",  # the phone, without the country code
        "+502 55123456",
        "av651",  # the flight
    ],
)
def test_a_person_without_a_case_is_found_by_name_variant_document_phone_or_flight(
    client_a, yesenia, text
):
    _response, ids = found(client_a, text)
    assert ids == {yesenia.pk}


def test_each_result_shows_the_last_arrival_at_the_centre_and_no_open_case(
    client_a, yesenia, center_a
):
    response, _ids = found(client_a, "Yesenia Hernández")
    body = response.content.decode()
    assert "Yesenia Marisol Hernández Argueta" in body
    assert f"14 de octubre de 2026, {center_a.name}" in body
    assert reverse("person_detail", args=[yesenia.pk]) in body


def test_the_last_arrival_names_the_centre_in_the_readers_language(client_a, yesenia, center_a):
    """Whatever language the centre was last saved in (an administrator working in English)."""
    with translation.override("en"):
        center_a.name_es, center_a.name_en = "Centro de Atención Norte", "North Reception Centre"
        center_a.save()

    spanish = found(client_a, "Yesenia Hernández")[0].content.decode()
    english = client_a.get(SEARCH, {"q": "Yesenia Hernández"}, HTTP_ACCEPT_LANGUAGE="en")

    assert "14 de octubre de 2026, Centro de Atención Norte" in spanish
    assert "North Reception Centre" in english.content.decode()


def test_a_case_number_finds_its_person_and_the_open_case_links_to_it(
    client_a, caseworker, center_a, yesenia
):
    case = case_open(actor=caseworker, person=yesenia, center=center_a).case
    response, ids = found(client_a, case.number.lower())
    assert ids == {yesenia.pk}
    assert reverse("cases:case_detail", args=[case.pk]) in response.content.decode()


def test_another_centres_person_is_never_listed(client_a, yesenia, other_centre_person):
    _response, ids = found(client_a, "Yesenia Hernández")
    assert ids == {yesenia.pk}
    _response, ids = found(client_a, other_centre_person.document_number)
    assert ids == set()


def test_a_restricted_case_neither_finds_its_person_nor_shows_to_a_colleague(
    client, colleague, caseworker, center_a, yesenia
):
    case = case_open(actor=caseworker, person=yesenia, center=center_a, restricted=True).case
    client.force_login(colleague)
    response, ids = found(client, case.number)
    assert ids == set()
    response, ids = found(client, "Yesenia Hernández")
    assert ids == {yesenia.pk}
    assert case.number not in response.content.decode()


def test_short_words_need_the_exact_key_and_typos_only_when_nobody_matches_exactly(
    client_a, caseworker, center_a
):
    ana = PersonFactory(given_names="Ana", first_surname="Pérez", centers=[center_a])
    PersonFactory(given_names="Ena", first_surname="Pérez", centers=[center_a])
    lopes = PersonFactory(given_names="Rosa", first_surname="Lopes", centers=[center_a])
    lopez = PersonFactory(given_names="Rosa", first_surname="Lópiz", centers=[center_a])
    _response, ids = found(client_a, "Ana Pérez")
    assert ids == {ana.pk}
    # typed right: the person so named, not every lookalike
    _response, ids = found(client_a, "Rosa Lopez")
    assert ids == {lopes.pk}
    # typed wrong (nobody is "Lopaz"): both one letter away
    response, ids = found(client_a, "Rosa Lopaz")
    assert [p.pk for p in response.context["page"].object_list] == [lopes.pk, lopez.pk]


def test_the_query_count_does_not_grow_with_the_results(client_a, caseworker, center_a):
    def queries(n):
        for _ in range(n):
            person = PersonFactory(given_names="Marta", first_surname="Cruz")
            ArrivalFactory(person=person, center=center_a, registered_by=caseworker)
            case_open(actor=caseworker, person=person, center=center_a)
        with CaptureQueriesContext(connection) as captured:
            client_a.get(SEARCH, {"q": "Marta Cruz"})
        return len(captured)

    assert queries(1) == queries(6)


def test_the_persons_listed_are_audited_as_viewed(client_a, yesenia):
    from auditlog.models import LogEntry

    before = LogEntry.objects.filter(object_pk=str(yesenia.pk)).count()
    found(client_a, "Yesenia")
    assert LogEntry.objects.filter(object_pk=str(yesenia.pk)).count() == before + 1


def test_the_header_has_the_search_box_for_staff_only(client_a, client, django_user_model):
    assert 'role="search"' in client_a.get(reverse("home")).content.decode()
    admin = django_user_model.objects.create_superuser("root-search", password="x-long-pass-1")
    client.force_login(admin)
    assert f'action="{SEARCH}"' not in client.get(reverse("home")).content.decode()


def test_spanish_labels(client_a, yesenia):
    response = client_a.get(SEARCH, {"q": "Yesenia"}, HTTP_ACCEPT_LANGUAGE="es")
    body = response.content.decode()
    assert "Buscar una persona" in body
    assert "Última llegada" in body


def test_the_api_list_is_the_twin(client_a, caseworker, center_a, yesenia, other_centre_person):
    case = case_open(actor=caseworker, person=yesenia, center=center_a).case
    for text in ("Jesenia Ernandes", case.number, "AV651", "55123456"):
        response = client_a.get(reverse("api-person-list"), {"q": text})
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [str(yesenia.pk)], text


def test_a_part_of_a_name_is_its_first_letters_not_any_letters_inside(client_a, center_a):
    marroquin = PersonFactory(given_names="Concepción", first_surname="Marroquín")
    marroquin.center_links.create(center=center_a)
    assert found(client_a, "Concepción Marroq")[1] == {marroquin.pk}  # the start of a surname
    assert found(client_a, "Conce")[1] == {marroquin.pk}
    assert found(client_a, "Concepción ion")[1] == set()  # "ion" is inside, not a name


def test_a_document_number_with_letters_is_not_read_as_a_name(client_a, center_a):
    guillermo = PersonFactory(given_names="Guillermo", first_surname="Wong", document_number="")
    guillermo.center_links.create(center=center_a)
    # "W" sounds as "Gu": were the number's letters a name, every Guillermo would be listed.
    assert found(client_a, "W01317876")[1] == set()


def test_a_case_number_may_be_typed_without_its_zeros(client_a, caseworker, center_a, yesenia):
    case = case_open(actor=caseworker, person=yesenia, center=center_a).case
    code, year, counter = case.number.split("-")
    assert found(client_a, f"{code.lower()}-{year}-{int(counter)}")[1] == {yesenia.pk}


def test_too_many_namesakes_show_the_limit_and_the_date_of_birth_narrows_them(
    client_a, center_a, monkeypatch
):
    from datetime import date

    monkeypatch.setattr("registry.search.SEARCH_LIMIT", 3)
    monkeypatch.setattr("registry.selectors.SEARCH_LIMIT", 3)
    namesakes = [
        PersonFactory(
            given_names="Marta",
            first_surname="Cruz",
            second_surname=second,
            birth_date=date(1990, 1, day),
            centers=[center_a],
        )
        for day, second in enumerate(["Alas", "Baten", "Coto", "Duarte", "Ek"], start=1)
    ]
    response, ids = found(client_a, "Marta Cruz")
    assert len(ids) == 4  # the limit and one more, in name order
    assert ids == {person.pk for person in namesakes[:4]}
    assert "Más de 3 personas coinciden" in response.content.decode()
    # The last in name order, beyond the limit, is found with the date of birth beside the name.
    response = client_a.get(SEARCH, {"q": "Marta Cruz", "birth_date": "05/01/1990"})
    assert [p.pk for p in response.context["page"].object_list] == [namesakes[4].pk]
    assert "Se encontró 1 persona" in response.content.decode()
    api = client_a.get(reverse("api-person-list"), {"q": "Marta Cruz", "birth_date": "1990-01-05"})
    assert [row["id"] for row in api.json()["results"]] == [str(namesakes[4].pk)]
