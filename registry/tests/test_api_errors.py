"""The API's one translation of the actions' typed errors (registry.api_common.exception_handler)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from registry.api_common import exception_handler
from registry.errors import Conflict, Forbidden, Invalid, NotFound, VersionConflict
from registry.idempotency import IdempotencyConflict


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (NotFound(), 404, {"detail": "No se encontró."}),
        (Forbidden("Solo un supervisor."), 403, {"detail": "Solo un supervisor."}),
        (
            Invalid("Elija un motivo.", "closure_reason"),
            400,
            {"closure_reason": ["Elija un motivo."]},
        ),
        (Invalid("Ya está cerrado."), 400, {"non_field_errors": ["Ya está cerrado."]}),
        (ValidationError({"phone": "Demasiado largo."}), 400, {"phone": ["Demasiado largo."]}),
        (VersionConflict(4, "Otra persona lo cambió."), 412, {"detail": "Otra persona lo cambió."}),
        (Conflict("Ya se usó."), 409, {"detail": "Ya se usó."}),
    ],
)
def test_each_typed_error_has_its_status_and_body(error, status, body):
    with translation.override("es"):
        response = exception_handler(error, {})

    assert response.status_code == status
    assert response.data == body


def test_a_reused_client_identifier_is_a_409_in_the_users_language():
    with translation.override("es"):
        response = exception_handler(IdempotencyConflict("0b0c…"), {})

    assert response.status_code == 409
    assert response.data["detail"].startswith("Este identificador ya se usó")


def test_any_other_exception_is_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None
