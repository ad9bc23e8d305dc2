"""The persons API: scoped list and detail, idempotent registration, refusals and bad input."""

import uuid
from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ..models import Consent, Country, Department, DocumentType, Municipality, Person, PersonCenter
from .factories import PersonFactory

LIST_URL = "/api/v1/persons/"


@pytest.fixture(autouse=True)
def reference_rows(db):
    """The few reference rows these tests use (the data migration provides them too)."""
    gt, _ = Country.objects.get_or_create(
        iso2="GT", defaults={"name": "Guatemala", "is_programme_country": True}
    )
    Country.objects.get_or_create(iso2="US", defaults={"name": "Estados Unidos"})
    DocumentType.objects.get_or_create(
        code="passport", defaults={"name": "Pasaporte", "number_pattern": r"^[A-Z0-9]{5,12}$"}
    )
    DocumentType.objects.get_or_create(
        code="dpi",
        defaults={
            "name": "DPI",
            "country": gt,
            "number_pattern": r"^[0-9]{13}$",
            "number_example": "2345 67890 0101",
        },
    )
    DocumentType.objects.get_or_create(
        code="none", defaults={"name": "Sin documento", "requires_number": False}
    )
    for iso_code, pcode, name, muni_pcode, muni_name in (
        ("GT-01", "GT01", "Guatemala", "GT0101", "Guatemala"),
        ("GT-02", "GT02", "El Progreso", "GT0201", "Guastatoya"),
    ):
        department, _ = Department.objects.get_or_create(
            iso_code=iso_code,
            defaults={"country": gt, "pcode": pcode, "national_code": pcode[2:], "name": name},
        )
        Municipality.objects.get_or_create(
            pcode=muni_pcode,
            defaults={"department": department, "national_code": muni_pcode[2:], "name": muni_name},
        )


@pytest.fixture
def api_a(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def person_body(**overrides):
    body = {
        "id": str(uuid.uuid4()),
        "center": "CA",
        "given_names": "José",
        "first_surname": "Hernández",
        "second_surname": "López",
        "sex": "male",
        "birth_date": "1990-05-17",
        "nationality": "GT",
        "document_type": "dpi",
        "document_number": "2345 67890 0101",
        "origin_department": "GT-01",
        "origin_municipality": "GT0101",
        "phone": "+502 5555 1234",
        "consents": {"process_data": True, "follow_up_contact": False},
    }
    body.update(overrides)
    return body


# --- registration and idempotency ---------------------------------------------------------


def test_register_person_answers_201_with_the_record(api_a, caseworker, center_a):
    body = person_body()

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"] == body["id"]
    assert data["full_name"] == "José Hernández López"
    assert data["nationality"] == "GT"
    assert data["document_type"] == "dpi"
    assert data["origin_department"] == "GT-01"
    assert data["origin_municipality"] == "GT0101"
    assert data["consents"] == {"process_data": True, "follow_up_contact": False}
    person = Person.objects.get(pk=body["id"])
    assert person.created_by == caseworker
    assert PersonCenter.objects.filter(person=person, center=center_a).exists()
    assert Consent.objects.filter(person=person, recorded_by=caseworker).count() == 2


def test_replaying_the_same_registration_answers_200_with_the_same_body(api_a):
    body = person_body()
    first = api_a.post(LIST_URL, body, format="json")

    replay = api_a.post(LIST_URL, body, format="json")

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert Person.objects.count() == 1
    assert Consent.objects.count() == 2


def test_replay_with_extra_whitespace_is_still_a_replay(api_a):
    body = person_body()
    api_a.post(LIST_URL, body, format="json")

    replay = api_a.post(LIST_URL, {**body, "given_names": "  José "}, format="json")

    assert replay.status_code == 200


def test_same_id_with_different_details_answers_409_and_changes_nothing(api_a):
    body = person_body()
    api_a.post(LIST_URL, body, format="json")

    response = api_a.post(LIST_URL, {**body, "given_names": "Juan"}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"]
    assert Person.objects.get(pk=body["id"]).given_names == "José"


def test_same_id_with_different_consent_answers_409(api_a):
    body = person_body()
    api_a.post(LIST_URL, body, format="json")

    response = api_a.post(LIST_URL, {**body, "consents": {"process_data": False}}, format="json")

    assert response.status_code == 409


def test_reusing_the_id_of_another_centres_person_answers_409_without_data(
    api_a, outsider, center_b
):
    body = person_body(center="CB")
    assert token_client(outsider).post(LIST_URL, body, format="json").status_code == 201

    response = api_a.post(LIST_URL, {**body, "center": "CA"}, format="json")

    assert response.status_code == 409
    assert "given_names" not in response.json()
    assert not PersonCenter.objects.filter(person_id=body["id"], center__code="CA").exists()


def test_registering_at_a_centre_that_is_not_yours_is_a_field_error(api_a, center_b):
    for code in ("CB", "ZZZ"):
        response = api_a.post(LIST_URL, person_body(center=code), format="json")

        assert response.status_code == 400
        assert "center" in response.json()
    assert Person.objects.count() == 0


# --- scope: other centres' persons are invisible -------------------------------------------


def test_person_of_another_centre_is_404_and_never_listed(api_a, center_a, center_b):
    mine = PersonFactory(centers=[center_a])
    theirs = PersonFactory(centers=[center_b])

    assert api_a.get(f"{LIST_URL}{theirs.pk}/").status_code == 404
    assert api_a.get(f"{LIST_URL}{uuid.uuid4()}/").status_code == 404
    assert api_a.get(f"{LIST_URL}not-a-uuid/").status_code == 404
    listed = [row["id"] for row in api_a.get(LIST_URL).json()["results"]]
    assert listed == [str(mine.pk)]


def test_person_detail_writes_an_access_entry_naming_the_user(caseworker, center_a):
    person = PersonFactory(centers=[center_a])

    response = token_client(caseworker).get(f"{LIST_URL}{person.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == str(person.pk)
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, object_pk=str(person.pk))
    assert entry.actor == caseworker


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_gets_no_data(db, center_a, method):
    person = PersonFactory(centers=[center_a])
    client = APIClient()

    listing = getattr(client, method)(LIST_URL, person_body(), format="json")
    detail = client.get(f"{LIST_URL}{person.pk}/")

    assert listing.status_code in (401, 403)
    assert detail.status_code in (401, 403)
    assert "results" not in listing.json()
    assert "given_names" not in detail.json()
    assert Person.objects.count() == 1


def test_token_authentication_works(caseworker, center_a):
    client = token_client(caseworker)

    created = client.post(LIST_URL, person_body(), format="json")

    assert created.status_code == 201
    assert client.get(LIST_URL).json()["count"] == 1


# --- bad input is 400 with field errors, never 500 -----------------------------------------

LONG = "x" * 10_000
FUTURE = (date.today() + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": None}, "id"),
        ({"given_names": LONG}, "given_names"),
        ({"given_names": ["José"]}, "given_names"),
        ({"given_names": "   "}, "given_names"),
        ({"first_surname": {"a": 1}}, "first_surname"),
        ({"sex": "robot"}, "sex"),
        ({"birth_date": 12345}, "birth_date"),
        ({"birth_date": "17/05/1990"}, "birth_date"),
        ({"birth_date": FUTURE}, "birth_date"),
        ({"birth_date": "1850-01-01"}, "birth_date"),
        ({"birth_date_estimated": "maybe"}, "birth_date_estimated"),
        ({"nationality": "XX"}, "nationality"),
        ({"nationality": LONG}, "nationality"),
        ({"document_type": "license"}, "document_type"),
        ({"document_type": ["dpi"]}, "document_type"),
        ({"document_number": "12AB"}, "document_number"),
        ({"document_number": LONG}, "document_number"),
        ({"document_type": "none", "document_number": "123456"}, "document_number"),
        ({"origin_department": "GT-99"}, "origin_department"),
        ({"origin_municipality": "GT0201"}, "origin_municipality"),
        ({"phone": "call me"}, "phone"),
        ({"needs_help": True, "center": 7}, "center"),
        ({"consents": "yes"}, "consents"),
        ({"consents": {"sell_data": True}}, "consents"),
        ({"consents": {"process_data": "perhaps"}}, "consents"),
    ],
)
def test_bad_input_is_a_field_error_and_creates_nothing(api_a, overrides, field):
    response = api_a.post(LIST_URL, person_body(**overrides), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Person.objects.count() == 0
    assert Consent.objects.count() == 0


def test_a_body_that_is_not_a_json_object_is_refused(api_a):
    assert api_a.post(LIST_URL, ["a", "list"], format="json").status_code == 400
    assert api_a.post(LIST_URL, "{broken", content_type="application/json").status_code == 400
    assert api_a.post(LIST_URL, {"given_names": "x"}).status_code == 415
    assert Person.objects.count() == 0


def test_errors_follow_accept_language(api_a):
    body = person_body()
    del body["first_surname"]

    spanish = api_a.post(LIST_URL, body, format="json")
    english = api_a.post(LIST_URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert spanish.json()["first_surname"] == ["Este campo es obligatorio."]
    assert english.json()["first_surname"] == ["This field is required."]


# --- filters -------------------------------------------------------------------------------


def test_name_search_matches_spanish_spelling_variants(api_a, center_a):
    hernandez = PersonFactory(
        given_names="José", first_surname="Hernández", second_surname="López", centers=[center_a]
    )
    PersonFactory(
        given_names="Ana", first_surname="García", second_surname="Morales", centers=[center_a]
    )

    response = api_a.get(LIST_URL, {"q": "jose ernandez"})

    assert [row["id"] for row in response.json()["results"]] == [str(hernandez.pk)]


def test_document_filter_ignores_spaces_and_dashes(api_a, center_a):
    wanted = PersonFactory(
        document_type=DocumentType.objects.get(code="dpi"),
        document_number="2345 67890 0101",
        centers=[center_a],
    )
    PersonFactory(centers=[center_a])

    response = api_a.get(LIST_URL, {"document": "2345-67890-0101"})

    assert [row["id"] for row in response.json()["results"]] == [str(wanted.pk)]


def test_search_never_reaches_other_centres(api_a, center_b):
    PersonFactory(given_names="José", first_surname="Hernández", centers=[center_b])

    assert api_a.get(LIST_URL, {"q": "Hernández"}).json()["count"] == 0


def test_bad_filter_value_is_400(api_a):
    assert api_a.get(LIST_URL, {"birth_date": "yesterday"}).status_code == 400


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("0001-01-01", "La fecha no puede ser anterior al 01/01/1900."),
        ("9999-12-31", "La fecha no puede ser posterior al "),
    ],
)
def test_a_date_of_birth_out_of_range_in_the_filter_is_400_in_spanish(api_a, birth_date, message):
    response = api_a.get(LIST_URL, {"birth_date": birth_date})

    assert response.status_code == 400
    assert response.json()["birth_date"][0].startswith(message)


# --- query count ---------------------------------------------------------------------------


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(queries)


def test_list_makes_a_fixed_number_of_queries(caseworker, center_a, django_assert_num_queries):
    client = token_client(caseworker)
    PersonFactory.create_batch(2, centers=[center_a])
    with_two = _list_queries(client)
    PersonFactory.create_batch(18, centers=[center_a])

    # token + user, the user's centres, count, page, the page's access entries (one insert)
    with django_assert_num_queries(5):
        response = client.get(LIST_URL)

    assert len(response.json()["results"]) == 20
    assert with_two == 5


def test_a_concurrent_registration_with_the_same_id_is_answered_as_a_replay(
    api_a, caseworker, center_a, monkeypatch
):
    """The other request committed between our replay check and our insert."""
    from registry import actions

    body = person_body()
    first = api_a.post(LIST_URL, body, format="json")
    real_replay = actions._person_replay
    calls = []

    def replay_missing_the_first_time(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_replay(**kwargs)

    monkeypatch.setattr(actions, "_person_replay", replay_missing_the_first_time)

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == first.json()
    assert len(calls) == 2
    assert Person.objects.count() == 1
