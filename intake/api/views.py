"""Arrivals API (scoped list, detail, idempotent registration) and duplicate candidates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.actions import (
    MAY_NOT_REVIEW_DUPLICATES,
    arrival_register,
    arrival_void,
    duplicate_dismiss,
)
from intake.filters import ArrivalFilter
from intake.matching import duplicate_candidates
from intake.selectors import arrival_get, arrival_list, duplicate_queue
from registry.actions import PERSON_FIELDS
from registry.api_common import (
    Conflict,
    ConflictSerializer,
    DetailSerializer,
    JSONParser,
    PersonsShownMixin,
    audit_actor,
    created_or_replayed,
    validation_error_to_api,
)
from registry.api_common import Forbidden as ApiForbidden
from registry.idempotency import IdempotencyConflict, fingerprint

from .serializers import (
    ArrivalCreateInputSerializer,
    ArrivalOutputSerializer,
    ArrivalVoidedOutputSerializer,
    ArrivalVoidInputSerializer,
    CandidateListOutputSerializer,
    CandidateQueryInputSerializer,
    DuplicateQueueOutputSerializer,
)


@contextmanager
def registration_errors_as_api(*, new_person: bool) -> Iterator[None]:
    """400 with field errors (a new person's own errors under `new_person`); 409 on reuse."""
    try:
        yield
    except IdempotencyConflict as exc:
        raise Conflict() from exc
    except DjangoValidationError as exc:
        detail = validation_error_to_api(exc).detail
        if new_person and isinstance(detail, dict):
            person_errors = {
                key: detail.pop(key) for key in list(detail) if key in (*PERSON_FIELDS, "id")
            }
            if person_errors:
                detail["new_person"] = person_errors
        raise serializers.ValidationError(detail) from exc


def _registration_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    """The validated body as arrival_register's keyword arguments."""
    data = dict(data)
    new_person = data.pop("new_person", None)
    new_person = dict(new_person) if new_person else None
    return {
        "center": data.pop("center"),
        "client_uuid": data.pop("client_uuid"),
        "person_id": data.pop("person", None),
        "new_person_id": new_person.pop("id", None) if new_person else None,
        "new_person_data": new_person,
        "reasons": data.pop("reasons", []),
        "consents": data.pop("consents", {}),
        "confirm_repeat": data.pop("confirm_repeat", False),
        "arrival_data": data,
    }


@extend_schema_view(get=extend_schema(summary="Arrivals at your centres"))
class ArrivalListCreateApi(PersonsShownMixin, generics.ListAPIView):
    serializer_class = ArrivalOutputSerializer
    filterset_class = ArrivalFilter
    parser_classes = [JSONParser]

    def get_queryset(self):
        return arrival_list(user=self.request.user)

    @extend_schema(
        summary="Register an arrival",
        request=ArrivalCreateInputSerializer,
        responses={
            201: ArrivalOutputSerializer,
            200: OpenApiResponse(
                ArrivalOutputSerializer, description="Replay of an earlier registration."
            ),
            400: OpenApiResponse(description="Field errors: {field: [messages]}."),
            409: OpenApiResponse(
                ConflictSerializer,
                description="The client_uuid is already used for a different submission.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ArrivalCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        kwargs = _registration_kwargs(serializer.validated_data)
        new_person = kwargs["new_person_data"] is not None
        with registration_errors_as_api(new_person=new_person), audit_actor(request):
            registration = arrival_register(
                actor=request.user, request_fingerprint=fingerprint(request.data), **kwargs
            )
        arrival = arrival_get(user=request.user, arrival_id=registration.arrival.pk)
        return created_or_replayed(
            ArrivalOutputSerializer(arrival).data, created=registration.created
        )


class ArrivalDetailApi(APIView):
    @extend_schema(
        summary="An arrival at one of your centres",
        parameters=[OpenApiParameter("arrival_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ArrivalOutputSerializer, 404: OpenApiResponse(description="Not found.")},
    )
    def get(self, request: Request, arrival_id) -> Response:
        arrival = arrival_get(user=request.user, arrival_id=arrival_id)
        return Response(ArrivalOutputSerializer(arrival).data)


class ArrivalVoidApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Void an arrival registered by mistake (it leaves every list and count)",
        parameters=[OpenApiParameter("arrival_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=ArrivalVoidInputSerializer,
        responses={
            200: ArrivalVoidedOutputSerializer,
            400: OpenApiResponse(description="No reason given, or already voided."),
            403: OpenApiResponse(description="Readable, but not at a centre you work at."),
            404: OpenApiResponse(description="Not found."),
        },
    )
    def post(self, request: Request, arrival_id) -> Response:
        arrival = arrival_get(user=request.user, arrival_id=arrival_id)
        serializer = ArrivalVoidInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            voided = arrival_void(
                actor=request.user,
                arrival_id=arrival.pk,
                reason=serializer.validated_data["reason"],
            )
        return Response(ArrivalVoidedOutputSerializer(voided).data)


class DuplicateCandidatesApi(APIView):
    """Persons who may be the one being registered: recognition fields only."""

    parser_classes = [JSONParser]

    @extend_schema(
        summary="Possible earlier registrations of a person",
        parameters=[CandidateQueryInputSerializer],
        responses={200: CandidateListOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        return self._answer(request.query_params)

    @extend_schema(
        summary="Possible earlier registrations of a person",
        request=CandidateQueryInputSerializer,
        responses={200: CandidateListOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        return self._answer(request.data)

    def _answer(self, data) -> Response:
        serializer = CandidateQueryInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        candidates = duplicate_candidates(user=self.request.user, **serializer.validated_data)
        return Response(CandidateListOutputSerializer({"results": candidates}).data)


class DuplicateQueueApi(APIView):
    """The possible duplicates to review (supervisors): what the queue page shows."""

    @extend_schema(
        summary="Possible duplicate records to review (supervisors)",
        parameters=[OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY)],
        responses={
            200: DuplicateQueueOutputSerializer,
            403: OpenApiResponse(DetailSerializer, description="Supervisors review duplicates."),
        },
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("registry.merge_person"):
            raise ApiForbidden(MAY_NOT_REVIEW_DUPLICATES)
        page = duplicate_queue(user=request.user, page_number=request.query_params.get("page"))
        data = {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": page.object_list,
        }
        return Response(DuplicateQueueOutputSerializer(data).data)


class DuplicateDismissApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Two records are different people: never propose the pair again",
        parameters=[OpenApiParameter("pair_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={
            200: OpenApiResponse(description="Noted (again, if it was already)."),
            403: OpenApiResponse(DetailSerializer, description="Supervisors review duplicates."),
            404: OpenApiResponse(description="Not found."),
        },
    )
    def post(self, request: Request, pair_id) -> Response:
        with audit_actor(request):
            pair = duplicate_dismiss(actor=request.user, pair_id=pair_id)
        return Response({"id": pair.pk, "status": pair.status})
