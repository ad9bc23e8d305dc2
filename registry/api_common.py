"""Shared API helpers: the JSON parser, error translation, the 409 answer, idempotent responses,
scoped fields, pagination, the access audit of list pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import pagination, parsers, serializers, status
from rest_framework.exceptions import APIException, NotFound, ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from . import errors
from .audit import persons_viewed
from .http import NUL_REFUSED
from .idempotency import IdempotencyConflict
from .middleware import audit_actor as request_audit_actor
from .models import Consent, Person, ReceptionCenter
from .permissions import centers_for, is_donor_reviewer, persons_for, user_center_ids
from .reference_cache import reference_get
from .selectors import person_found


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what no request of this API needs and the stack or the
    database cannot take: nesting deeper than MAX_DEPTH, and NUL characters (PostgreSQL
    raises on them). Used by every API view (DEFAULT_PARSER_CLASSES and parser_classes)."""

    MAX_DEPTH = 20

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # the decoder gave up on a very deep body
            raise ParseError(_("The JSON body is nested too deeply.")) from exc
        # Walked with a list, not by recursion: a body the decoder took may still be deep.
        pending = [(data, 1)]
        while pending:
            value, depth = pending.pop()
            if isinstance(value, str):
                if "\x00" in value:
                    raise ParseError(NUL_REFUSED)
                continue
            if not isinstance(value, dict | list):
                continue
            if depth > self.MAX_DEPTH:
                raise ParseError(_("The JSON body is nested too deeply."))
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
        return data


class DonorReviewersKeptOut(BasePermission):
    """In DEFAULT_PERMISSION_CLASSES: every API view that does not name its own permissions
    answers a donor reviewer 404, lists included (an empty list still says the door is there).
    The aggregate API and the public schema name theirs; this is the API's half of the rule
    the site's DonorReachMiddleware applies to pages (casework.permissions.is_donor_reviewer).
    """

    def has_permission(self, request, view) -> bool:
        if is_donor_reviewer(request.user):
            raise NotFound
        return True


class Conflict(APIException):
    """409: the client identifier was already used for a different submission."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = IdempotencyConflict.message
    default_code = "conflict"


class ConflictSerializer(serializers.Serializer):
    """The body of a 409 answer (for the schema)."""

    detail = serializers.CharField()


def validation_error_to_api(exc: DjangoValidationError) -> serializers.ValidationError:
    """A Django ValidationError as DRF's 400, keeping field names (non-field ones under the DRF key)."""
    if hasattr(exc, "error_dict"):
        detail: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field
            detail.setdefault(key, []).extend(messages)
        return serializers.ValidationError(detail)
    return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})


class PreconditionFailed(APIException):
    """412: the If-Match version is not the stored one."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = errors.VersionConflict.message
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    """428: a change of a versioned record must say which version it starts from."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "Send the If-Match header with the ETag of the record you read, so that nobody's "
        "changes are overwritten."
    )
    default_code = "precondition_required"


class DetailSerializer(serializers.Serializer):
    """The body of a 403, 412 or 428 answer (for the schema)."""

    detail = serializers.CharField()


def if_match_parameter(description: Any) -> Any:
    """The schema of a required If-Match header (the version the change starts from)."""
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        "If-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description=description,
    )


def etag_parameter(description: Any, responses: tuple[int, ...] = (200,)) -> Any:
    """The schema of the ETag header answered with a versioned record."""
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=list(responses),
        description=description,
    )


def with_etag(response: Response, row: Any) -> Response:
    """The row's version as the response's ETag, to send back in If-Match."""
    response["ETag"] = f'"{row.version}"'
    return response


def if_match_versions(request: Request) -> set[int]:
    """The versions named by If-Match ("3", W/"3" or 3); one that names none matches none.

    428 when the header is missing or "*": RFC 9110's "*" matches any version, which would
    overwrite whatever someone else saved in between, so a change must name its version.
    """
    header = (request.headers.get("If-Match") or "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    versions: set[int] = set()
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag.isdigit() and len(tag) < 10:
            versions.add(int(tag))
    return versions


class Forbidden(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = errors.Forbidden.message
    default_code = "permission_denied"


def domain_error_to_api(exc: Exception) -> Exception:
    """The API answer to an action's typed error; other exceptions unchanged."""
    if isinstance(exc, errors.VersionConflict):
        return PreconditionFailed(exc.message)
    if isinstance(exc, errors.Conflict):
        return Conflict(exc.message)
    if isinstance(exc, errors.Forbidden):
        return Forbidden(exc.message)
    if isinstance(exc, errors.NotFound):
        return NotFound()
    if isinstance(exc, DjangoValidationError):
        return validation_error_to_api(exc)
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after translating the actions' typed errors (settings.REST_FRAMEWORK):
    every API door answers them the same way without catching them itself."""
    # Imported here: DRF reads this module's permission class while rest_framework.views loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(domain_error_to_api(exc), context)


@contextmanager
def django_errors_as_api() -> Iterator[None]:
    """An action's ValidationError as 400 with field errors, its IdempotencyConflict as 409."""
    try:
        yield
    except IdempotencyConflict as exc:
        raise Conflict() from exc
    except DjangoValidationError as exc:
        raise validation_error_to_api(exc) from exc


@contextmanager
def audit_actor(request: Request) -> Iterator[None]:
    """Name the API user in audit entries (registry.middleware.audit_actor)."""
    with request_audit_actor(request.user, request._request):
        yield


class PersonsShownMixin:
    """For a list endpoint whose rows show persons: one access entry per person on the page.

    `person_path` reaches the person from a row ("" when the rows are persons). The entries
    are written in one insert, so the query count does not grow with the rows.
    """

    person_path = "person"

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        rows = queryset if page is None else page
        persons_viewed(
            (getattr(row, self.person_path) if self.person_path else row for row in rows),
            actor=self.request.user,  # type: ignore[attr-defined]
        )
        return page


def created_or_replayed(data: Any, *, created: bool) -> Response:
    """201 the first time, 200 with the same body on a replay of the same client identifier."""
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's pages, numbered from 1 as the schema says (a page out of range answers 404)."""

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


@extend_schema_field(OpenApiTypes.UUID)
class UserPersonField(serializers.PrimaryKeyRelatedField):
    """A person known at one of the requesting user's centres, by id; the id of a record merged
    into another stands for the survivor (an offline tablet may send it later). Anyone else,
    or a malformed id, answers like a missing person: no existence oracle."""

    default_error_messages = {
        "does_not_exist": _("This person was not found."),
        "incorrect_type": _("This person was not found."),
    }

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return persons_for(user) if user is not None else Person.objects.none()

    def to_internal_value(self, data: Any) -> Person:
        person = person_found(self.get_queryset(), data)
        if person is None:
            self.fail("does_not_exist")
        return person

    def to_representation(self, value: Any) -> str:
        return str(value.pk)


class ReferenceSlugField(serializers.SlugRelatedField):
    """A reference row by its code, read from the process's copy (registry.reference_cache)
    rather than asked of the database on every submission. `accept` refuses rows that the
    field's queryset leaves out (an inactive reason, say), with the same error as an unknown
    code."""

    def __init__(self, *, accept: Any = None, **kwargs: Any) -> None:
        self.accept = accept
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str | int):
            self.fail("invalid")
        model = self.get_queryset().model
        row = reference_get(model, self.slug_field, str(data), accept=self.accept)
        if row is None:
            self.not_found(str(data)[:40])
        return row

    def not_found(self, value: str) -> None:
        """Raise the field's error for a code that names no row it accepts."""
        self.fail("does_not_exist", slug_name=self.slug_field, value=value)


# What the schema can say of a centre code; which codes are the user's is known at run time.
@extend_schema_field({"type": "string", "pattern": "^[A-Z0-9]{2,10}$"})
class UserCenterField(serializers.SlugRelatedField):
    """A reception centre by code, among the requesting user's centres only.

    An unknown code and another centre's code get the same error: no existence oracle.
    """

    default_error_messages = {
        "does_not_exist": _("Choose one of your reception centres."),
        "invalid": _("Choose one of your reception centres."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return ReceptionCenter.objects.none()
        return centers_for(user)

    def to_internal_value(self, data: Any) -> ReceptionCenter:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not isinstance(data, str):
            self.fail("invalid")
        mine = user_center_ids(user, for_write=True)
        center = reference_get(ReceptionCenter, "code", data, accept=lambda c: c.pk in mine)
        if center is None:
            self.fail("does_not_exist")
        return center


@extend_schema_field(
    {
        "type": "object",
        "properties": {kind: {"type": "boolean"} for kind in Consent.Kind.values},
        "additionalProperties": False,
    }
)
class ConsentsField(serializers.DictField):
    """Consents as {kind: granted}, e.g. {"process_data": true}."""

    default_error_messages = {
        "unknown_kind": _("Unknown consent: %(kind)s."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.BooleanField())
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _(
                "Consents given (true) or refused (false), by kind: process_data, "
                "share_with_partners, follow_up_contact, anonymised_statistics."
            ),
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, bool]:
        value = super().to_internal_value(data)
        for kind in value:
            if kind not in Consent.Kind.values:
                raise serializers.ValidationError(
                    self.error_messages["unknown_kind"] % {"kind": kind[:40]}, code="unknown_kind"
                )
        return value
