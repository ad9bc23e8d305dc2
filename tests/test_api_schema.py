"""The OpenAPI schema renders and documents every /api/v1/ endpoint with its answers: every status
an operation can answer, and bodies that match (tests/test_api_fuzz.py fuzzes all of them)."""

import json

import jsonschema
import pytest
from rest_framework.test import APIClient

from registry.tests.openapi import assert_documented, documented_schema

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


# --- every status an operation can answer is documented, with its body ----------------------

ALL_OPERATIONS = [
    (path, method, operation)
    for path, methods in documented_schema()["paths"].items()
    for method, operation in methods.items()
]


@pytest.mark.parametrize(
    ("path", "method", "operation"),
    ALL_OPERATIONS,
    ids=[f"{method.upper()} {path}" for path, method, _operation in ALL_OPERATIONS],
)
def test_every_operation_documents_the_common_answers(path, method, operation):
    responses = operation["responses"]
    parameters = operation.get("parameters", [])
    assert "429" in responses
    if operation.get("security"):
        assert {"401", "403"} <= set(responses)
        assert responses["401"]["headers"]["WWW-Authenticate"]["required"]
    if any(p["in"] == "path" or p["name"] == "page" for p in parameters):
        assert "404" in responses
    if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
        assert "400" in responses
    if "requestBody" in operation:
        assert "415" in responses
    for status, response in responses.items():
        if status.startswith("4"):
            assert "application/json" in response.get("content", {}), (path, method, status)


def test_list_pages_start_at_1():
    parameters = documented_schema()["paths"]["/api/v1/cases/"]["get"]["parameters"]
    page = next(p for p in parameters if p["name"] == "page")
    assert page["schema"]["minimum"] == 1


# --- what the schema allows, the API accepts (and the other way round) -----------------------


def request_schema(name: str) -> dict:
    return documented_schema()["components"]["schemas"][name]


def test_the_schema_refuses_an_empty_centre_as_the_api_does():
    center = request_schema("PersonCreateInputRequest")["properties"]["center"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("", center)
    jsonschema.validate("CA", center)


def test_the_schema_refuses_unknown_consents_as_the_api_does():
    consents = request_schema("PersonCreateInputRequest")["properties"]["consents"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"process_data": True, "marketing": True}, consents)
    jsonschema.validate({"process_data": True, "anonymised_statistics": False}, consents)


def test_the_schema_refuses_an_empty_patch_as_the_api_does():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({}, request_schema("PatchedCaseUpdateInputRequest"))


# --- answers the fuzzer found undocumented ----------------------------------------------------


@pytest.fixture
def api_a(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/persons/", "/api/v1/deliveries/"])
def test_page_0_answers_a_documented_404(api_a, path):
    response = api_a.get(path, {"page": 0})

    assert response.status_code == 404
    assert_documented(response, path=path, method="GET")


@pytest.mark.django_db
def test_a_bad_filter_answers_a_documented_400(api_a):
    response = api_a.get("/api/v1/cases/", {"opened_from": "yesterday"})

    assert response.status_code == 400
    assert_documented(response, path="/api/v1/cases/", method="GET")


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_duplicate_candidates_answer_a_documented_400(api_a, method):
    data = {"document_number": "9" * 41}
    if method == "GET":
        response = api_a.get("/api/v1/duplicate-candidates/", data)
    else:
        response = api_a.post("/api/v1/duplicate-candidates/", data, format="json")

    assert response.status_code == 400
    assert_documented(response, path="/api/v1/duplicate-candidates/", method=method)


@pytest.mark.django_db
def test_a_body_that_is_not_json_answers_a_documented_415(api_a):
    response = api_a.post("/api/v1/persons/", {"given_names": "Ana"}, format="multipart")

    assert response.status_code == 415
    assert_documented(response, path="/api/v1/persons/", method="POST")


@pytest.mark.django_db
def test_a_path_the_api_does_not_route_answers_a_json_404(api_a):
    response = api_a.get("/api/v1/cases/not-a-number/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert_documented(response, path="/api/v1/cases/{case_id}/", method="GET")


@pytest.mark.django_db
def test_an_unknown_page_outside_the_api_keeps_the_html_404(client_a):
    response = client_a.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
