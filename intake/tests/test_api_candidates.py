"""The duplicate-candidates API: finds returning persons by Spanish spelling variants, shows only
recognition fields."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from intake.tests.factories import ArrivalFactory
from registry.models import Country, DocumentType
from registry.tests.factories import PersonFactory, ReceptionCenterFactory

URL = "/api/v1/duplicate-candidates/"
RECOGNITION_FIELDS = {
    "person_id",
    "given_names",
    "first_surname",
    "second_surname",
    "sex",
    "birth_date",
    "birth_date_estimated",
    "document_last4",
    "last_arrival_at",
    "last_center_name",
    "visible_to_user",
    "reasons",
}
QUERY = {
    "given_names": "Jose",
    "first_surname": "Ernandez",
    "second_surname": "Lopes",
    "birth_date": "1990-05-17",
}


@pytest.fixture(autouse=True)
def reference_rows(db):
    """The few reference rows these tests use (the data migration provides them too)."""
    Country.objects.get_or_create(
        iso2="GT", defaults={"name": "Guatemala", "is_programme_country": True}
    )
    Country.objects.get_or_create(iso2="US", defaults={"name": "Estados Unidos"})
    DocumentType.objects.get_or_create(
        code="passport", defaults={"name": "Pasaporte", "number_pattern": r"^[A-Z0-9]{5,12}$"}
    )


@pytest.fixture
def api_a(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


@pytest.fixture
def jose(center_a):
    person = PersonFactory(
        given_names="José",
        first_surname="Hernández",
        second_surname="López",
        birth_date=date(1990, 5, 17),
        document_number="A12345678",
        phone="+502 5555 1234",
        centers=[center_a],
    )
    ArrivalFactory(person=person, center=center_a)
    return person


def test_spanish_spelling_variants_find_the_person(api_a, jose):
    response = api_a.get(URL, QUERY)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["person_id"] for row in results] == [str(jose.pk)]
    assert results[0]["document_last4"] == "5678"
    assert results[0]["visible_to_user"] is True
    assert results[0]["last_center_name"] == "Centro A"


def test_post_with_json_answers_the_same(api_a, jose):
    by_get = api_a.get(URL, QUERY).json()

    by_post = api_a.post(URL, QUERY, format="json")

    assert by_post.status_code == 200
    assert by_post.json() == by_get


def test_only_recognition_fields_are_shown(api_a, jose):
    for answer in (api_a.get(URL, QUERY), api_a.post(URL, QUERY, format="json")):
        rows = answer.json()["results"]
        assert rows
        for row in rows:
            assert set(row) == RECOGNITION_FIELDS
        body = answer.content.decode()
        assert "A12345678" not in body
        assert "5555" not in body


def test_person_of_another_centre_in_the_country_is_recognised_but_not_opened(api_a, center_b):
    elsewhere = PersonFactory(
        given_names="José",
        first_surname="Hernández",
        second_surname="López",
        birth_date=date(1990, 5, 17),
        centers=[center_b],
    )

    results = api_a.get(URL, QUERY).json()["results"]

    assert [row["person_id"] for row in results] == [str(elsewhere.pk)]
    assert results[0]["visible_to_user"] is False
    assert set(results[0]) == RECOGNITION_FIELDS


def test_person_of_another_country_is_not_found(api_a):
    honduras, _ = Country.objects.get_or_create(iso2="HN", defaults={"name": "Honduras"})
    PersonFactory(
        given_names="José",
        first_surname="Hernández",
        second_surname="López",
        birth_date=date(1990, 5, 17),
        centers=[ReceptionCenterFactory(code="HN1", country=honduras)],
    )

    assert api_a.get(URL, QUERY).json()["results"] == []


def test_document_number_finds_the_person(api_a, jose):
    results = api_a.post(URL, {"document_number": "a1234-5678"}, format="json").json()["results"]

    assert [row["person_id"] for row in results] == [str(jose.pk)]


def test_without_criteria_nothing_is_found(api_a, jose):
    assert api_a.get(URL).json() == {"results": []}


@pytest.mark.parametrize(
    "params",
    [
        {**QUERY, "birth_date": "17/05/1990"},
        {**QUERY, "given_names": "x" * 10_000},
        {**QUERY, "birth_date_estimated": "perhaps"},
        {"document_number": "9" * 500},
    ],
)
def test_bad_input_is_a_field_error(api_a, params):
    assert api_a.get(URL, params).status_code == 400
    assert api_a.post(URL, params, format="json").status_code == 400


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("0001-01-01", "La fecha de nacimiento no puede ser anterior al 01/01/1900."),
        ("9999-12-31", "La fecha de nacimiento no puede ser futura."),
    ],
)
@pytest.mark.parametrize("estimated", [False, True])
def test_a_date_of_birth_out_of_range_is_a_field_error_in_spanish(
    api_a, jose, birth_date, message, estimated
):
    # The window of years around it once overflowed (a 500) before any query ran.
    params = {**QUERY, "birth_date": birth_date, "birth_date_estimated": estimated}

    for response in (api_a.get(URL, params), api_a.post(URL, params, format="json")):
        assert response.status_code == 400
        assert response.json() == {"birth_date": [message]}


def test_anonymous_gets_nothing(db, jose):
    client = APIClient()

    for response in (client.get(URL, QUERY), client.post(URL, QUERY, format="json")):
        assert response.status_code in (401, 403)
        assert "results" not in response.json()


def test_user_without_centres_finds_nothing(db, jose):
    from registry.tests.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory(username="no_centre"))

    assert client.get(URL, QUERY).json() == {"results": []}
