"""The answers every /api/v1/ operation shares, added to the OpenAPI schema in one place.

A drf-spectacular postprocessing hook: each operation documents what it can answer besides its
own results, derived from what the operation takes.
- 401 (with WWW-Authenticate) and 403 where a signed-in user is required;
- 404 where a path names a record (missing and not yours answer alike) or a list has pages,
  and on every signed-in operation a donor reviewer may not use (all but DONOR_PATHS);
- 400 where there is anything to validate (query parameters or a body), 415 for a body that
  is not JSON;
- 429 everywhere (throttling).
Error bodies are described once: `Detail` for a refusal, `FieldErrors` for a 400.
"""

from __future__ import annotations

import copy
from typing import Any

DETAIL = {
    "type": "object",
    "description": "Why the request was refused.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": (
        "What is wrong with the request, by field: a list of messages; for a field holding "
        "an object, its own FieldErrors; for a list, the errors of its elements (by position "
        "from 0, or one FieldErrors per element with {} for a valid one). Errors that concern "
        "no single field are under non_field_errors; a body that could not be read at all is "
        "answered with detail only."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {"$ref": "#/components/schemas/FieldError"},
}
FIELD_ERROR = {
    "anyOf": [
        {
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/FieldErrors"}]},
        },
        {"$ref": "#/components/schemas/FieldErrors"},
    ]
}

WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "required": True,
        "description": "Token: send Authorization: Token <key> (POST /api/v1/auth/token/).",
        "schema": {"type": "string"},
    }
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before asking again.",
        "schema": {"type": "integer"},
    }
}

RESPONSES: dict[str, dict[str, Any]] = {
    "400": {"description": "The request is not valid; nothing was changed."},
    "401": {
        "description": (
            "Not signed in, or the token is unknown, expired or revoked: sign in again."
        ),
        "headers": WWW_AUTHENTICATE,
    },
    "403": {
        "description": (
            "Signed in, but not allowed to do this (role, or the case's assignee; or the CSRF "
            "check of a browser session)."
        )
    },
    "404": {
        "description": "Not found, or not yours to see; or no such page of a list; "
        "for a donor reviewer, anything but the aggregates."
    },
    "415": {"description": "The body must be JSON (Content-Type: application/json)."},
    "429": {"description": "Too many requests: try again later.", "headers": RETRY_AFTER},
}


def _requires_sign_in(operation: dict[str, Any]) -> bool:
    security = operation.get("security")
    return bool(security) and {} not in security


# What a donor reviewer may use (registry.api_common.DonorReviewersKeptOut answers 404 elsewhere).
DONOR_PATHS = ("/api/v1/aggregates/", "/api/v1/auth/token/")


def _answers(operation: dict[str, Any], *, path: str) -> set[str]:
    parameters = operation.get("parameters", [])
    answers = {"429"}
    if _requires_sign_in(operation):
        answers |= {"401", "403"}
        if not path.startswith(DONOR_PATHS):
            answers.add("404")
    if any(p["in"] == "path" or (p["in"], p["name"]) == ("query", "page") for p in parameters):
        answers.add("404")
    if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
        answers.add("400")
    if "requestBody" in operation:
        answers.add("415")
    return answers


def _error_body(status: str) -> dict[str, Any]:
    name = "FieldErrors" if status == "400" else "Detail"
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _patch_changes_something(result: dict[str, Any], operation: dict[str, Any]) -> None:
    """A PATCH must change at least one field (an empty one is refused)."""
    for content in operation.get("requestBody", {}).get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        component = result["components"]["schemas"].get(ref.rsplit("/", 1)[-1])
        if component is not None:
            component["minProperties"] = 1


def common_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({"Detail": DETAIL, "FieldErrors": FIELD_ERRORS, "FieldError": FIELD_ERROR})
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _answers(operation, path=path):
                responses.setdefault(status, copy.deepcopy(RESPONSES[status]))
            for status, response in responses.items():
                if status.startswith("4"):
                    response.setdefault("content", _error_body(status))
                    if "headers" in RESPONSES.get(status, {}):
                        response.setdefault("headers", copy.deepcopy(RESPONSES[status]["headers"]))
            operation["responses"] = dict(sorted(responses.items()))
            if method == "patch":
                _patch_changes_something(result, operation)
    return result
