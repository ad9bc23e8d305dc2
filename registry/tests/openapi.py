"""Test helper: an API answer must be one its operation documents in the OpenAPI schema."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer


@cache
def documented_schema() -> dict[str, Any]:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema's null type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_documented(response, *, path: str, method: str) -> None:
    """The status is documented for the operation (path as in the schema) and the body fits."""
    schema = documented_schema()
    responses = schema["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path} answered an undocumented {status}"
    content = responses[status].get("content", {}).get("application/json")
    if content is None:
        return
    root = {"components": _json_schema(schema["components"]), **_json_schema(content["schema"])}
    jsonschema.validate(response.json(), root)
