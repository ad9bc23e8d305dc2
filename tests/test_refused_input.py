"""Input refused before any view: NUL characters and absurdly nested JSON answer 400 in the
user's language, at the API and in the pages. Run on PostgreSQL too (DATABASE_URL): SQLite
accepts NUL where PostgreSQL raises."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from intake.models import Arrival
from registry.models import Country, MigrationReason, Person

NUL_ES = "La solicitud contiene un carácter NUL, que no está permitido."
NUL_EN = "The request contains a NUL character, which is not allowed."
TOO_DEEP_ES = "El cuerpo JSON tiene demasiados niveles de anidamiento."


@pytest.fixture
def api_a(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


@pytest.fixture
def arrival_body(center_a):
    Country.objects.get_or_create(iso2="US", defaults={"name": "Estados Unidos"})
    MigrationReason.objects.get_or_create(code="economic", defaults={"name": "economic"})
    return {
        "client_uuid": str(uuid.uuid4()),
        "center": "CA",
        "person": str(uuid.uuid4()),
        "arrived_at": "2026-01-10T08:30:00-06:00",
        "mode": "air",
        "returned_from": "US",
        "reasons": ["economic"],
    }


# --- NUL characters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        # Looked up by code in PostgreSQL, which raised: a 500.
        {"center": "CA\u0000"},
        {"reasons": ["economic\u0000"]},
        {"returned_from": "U\u0000"},
        {"consents": {"process_data\u0000": True}},
        {"needs": "Transporte\u0000"},
    ],
)
def test_a_nul_character_in_a_json_body_is_400_in_spanish(api_a, arrival_body, changes):
    response = api_a.post("/api/v1/arrivals/", {**arrival_body, **changes}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": NUL_ES}
    assert not Arrival.objects.exists()


def test_a_nul_character_in_the_query_string_is_400_on_the_parameter(api_a, center_a):
    response = api_a.get("/api/v1/arrivals/?transport_reference=GUA%00")

    assert response.status_code == 400
    assert response.json() == {"transport_reference": [NUL_ES]}


def test_the_api_answers_in_english_when_asked(api_a, center_a):
    response = api_a.get("/api/v1/deliveries/?center=%00", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json() == {"center": [NUL_EN]}


@pytest.mark.parametrize(
    "query",
    ["?q=Mar%00ta", "?day=%00", "?%00=1"],
)
def test_a_nul_character_in_a_pages_query_string_is_a_400_page_in_spanish(client_a, query):
    response = client_a.get(reverse("intake:arrival_list") + query)

    assert response.status_code == 400
    assert NUL_ES in response.content.decode()
    assert "Solicitud no válida" in response.content.decode()


def test_a_nul_character_in_form_data_is_a_400_page_and_nothing_is_written(client_a, center_a):
    start = client_a.get(reverse("intake:register_start"))
    person_step = start["Location"]

    response = client_a.post(person_step, {"given_names": "Jos\u0000é", "first_surname": "Pérez"})

    assert response.status_code == 400
    assert NUL_ES in response.content.decode()
    assert not Person.objects.exists()


def test_a_nul_character_in_the_path_is_400(client_a):
    assert client_a.get("/intake/arrivals/%00/").status_code == 400


def test_without_a_nul_character_nothing_changes(client_a, api_a, center_a):
    assert client_a.get(reverse("intake:arrival_list"), {"q": "Marta"}).status_code == 200
    assert api_a.get("/api/v1/arrivals/", {"transport_reference": "GUA"}).status_code == 200


# --- deeply nested JSON ------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 1_000, 21])
@pytest.mark.parametrize("url", ["/api/v1/arrivals/", "/api/v1/duplicate-candidates/"])
def test_deeply_nested_json_is_400_in_spanish(api_a, center_a, url, depth):
    # 100,000 levels exhausted the stack while decoding: a RecursionError, a 500.
    body = "[" * depth + "]" * depth

    response = api_a.generic("POST", url, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP_ES}
    assert not Arrival.objects.exists()


def test_nesting_within_the_limit_is_read(api_a, center_a):
    body = "[" * 20 + "]" * 20

    response = api_a.generic(
        "POST", "/api/v1/duplicate-candidates/", body, content_type="application/json"
    )

    # Read, then refused by the serializer for what it is: not an object.
    assert response.status_code == 400
    assert "detail" not in response.json()
