"""The OpenAPI schema renders and documents every /api/v1/ endpoint with its answers."""

import json

import pytest

PATHS = (
    "/api/v1/persons/",
    "/api/v1/persons/{person_id}/",
    "/api/v1/arrivals/",
    "/api/v1/arrivals/{arrival_id}/",
    "/api/v1/duplicate-candidates/",
)


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.django_db
def test_schema_lists_every_api_path(schema):
    for path in PATHS:
        assert path in schema["paths"], path


@pytest.mark.django_db
def test_creates_document_request_bodies_replays_and_conflicts(schema):
    for path in ("/api/v1/persons/", "/api/v1/arrivals/"):
        post = schema["paths"][path]["post"]
        assert "application/json" in post["requestBody"]["content"]
        assert {"200", "201", "400", "409"} <= set(post["responses"])


@pytest.mark.django_db
def test_candidate_schema_has_only_recognition_fields(schema):
    from intake.tests.test_api_candidates import RECOGNITION_FIELDS

    assert set(schema["components"]["schemas"]["CandidateOutput"]["properties"]) == (
        RECOGNITION_FIELDS
    )


@pytest.mark.django_db
def test_docs_page_renders(client):
    assert client.get("/api/docs/").status_code == 200
