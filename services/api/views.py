"""Service catalogue, deliveries (scoped list, detail, idempotent record, void) and bulk distribution."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from registry.api_common import (
    Conflict,
    ConflictSerializer,
    JSONParser,
    audit_actor,
    created_or_replayed,
    validation_error_to_api,
)
from registry.idempotency import IdempotencyConflict, fingerprint
from registry.permissions import can_work_at
from services.actions import (
    REPEATS_TO_CONFIRM,
    BulkValidationError,
    distribution_record_bulk,
    service_delivery_correct,
    service_delivery_record,
    service_delivery_void,
)
from services.filters import DeliveryFilter
from services.models import Provider
from services.selectors import delivery_get, delivery_list, service_types_active

from .serializers import (
    CorrectInputSerializer,
    DeliveryCreateInputSerializer,
    DeliveryOutputSerializer,
    DistributionCreateInputSerializer,
    DistributionErrorSerializer,
    DistributionOutputSerializer,
    ProviderOutputSerializer,
    ServiceTypeOutputSerializer,
    VoidInputSerializer,
)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
CONFLICT_409 = OpenApiResponse(
    ConflictSerializer, description="The client_uuid is already used for a different submission."
)
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@contextmanager
def recording_errors_as_api(*, rename: dict[str, str] | None = None) -> Iterator[None]:
    """400 with field errors (action field names renamed to the API's); 409 on a reused key."""
    try:
        yield
    except IdempotencyConflict as exc:
        raise Conflict() from exc
    except DjangoValidationError as exc:
        detail = validation_error_to_api(exc).detail
        for old, new in (rename or {}).items():
            if isinstance(detail, dict) and old in detail:
                detail[new] = detail.pop(old)
        raise serializers.ValidationError(detail) from exc


class ServiceTypeListApi(generics.ListAPIView):
    """The active catalogue; names and descriptions follow Accept-Language (es, en)."""

    serializer_class = ServiceTypeOutputSerializer
    pagination_class = None

    def get_queryset(self):
        return service_types_active()

    @extend_schema(summary="The service catalogue")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ProviderListApi(generics.ListAPIView):
    serializer_class = ProviderOutputSerializer
    pagination_class = None

    def get_queryset(self):
        return Provider.objects.filter(active=True).select_related("country")

    @extend_schema(summary="Active providers (the organisations that deliver)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema_view(get=extend_schema(summary="Service deliveries at your centres"))
class DeliveryListCreateApi(generics.ListAPIView):
    serializer_class = DeliveryOutputSerializer
    filterset_class = DeliveryFilter
    parser_classes = [JSONParser]

    def get_queryset(self):
        return delivery_list(user=self.request.user)

    @extend_schema(
        summary="Record a service delivered to a person",
        request=DeliveryCreateInputSerializer,
        responses={
            201: DeliveryOutputSerializer,
            200: OpenApiResponse(
                DeliveryOutputSerializer, description="Replay of an earlier record."
            ),
            400: OpenApiResponse(description="Field errors: {field: [messages]}."),
            409: CONFLICT_409,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = DeliveryCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with recording_errors_as_api(), audit_actor(request):
            recorded = service_delivery_record(
                actor=request.user,
                request_fingerprint=fingerprint(request.data),
                **serializer.action_kwargs(),
            )
        delivery = delivery_get(user=request.user, delivery_id=recorded.delivery.pk)
        return created_or_replayed(
            DeliveryOutputSerializer(delivery).data, created=recorded.created
        )


class DeliveryDetailApi(APIView):
    @extend_schema(
        summary="A service delivery at one of your centres",
        parameters=[DELIVERY_ID],
        responses={200: DeliveryOutputSerializer, 404: OpenApiResponse(description="Not found.")},
    )
    def get(self, request: Request, delivery_id) -> Response:
        delivery = delivery_get(user=request.user, delivery_id=delivery_id)
        return Response(DeliveryOutputSerializer(delivery).data)


class DeliveryVoidApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Void a delivery recorded in error (it stays in history, never counted)",
        parameters=[DELIVERY_ID],
        request=VoidInputSerializer,
        responses={
            200: DeliveryOutputSerializer,
            400: OpenApiResponse(description="Already voided, or no reason given."),
            403: OpenApiResponse(description="Readable, but not at a centre you work at."),
            404: OpenApiResponse(description="Not found."),
        },
    )
    def post(self, request: Request, delivery_id) -> Response:
        delivery = delivery_get(user=request.user, delivery_id=delivery_id)
        if not can_work_at(request.user, delivery.center_id):
            # Readable (e.g. a programme manager) but not theirs to change.
            raise PermissionDenied(_("You cannot change services recorded at this centre."))
        serializer = VoidInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with recording_errors_as_api(rename={"void_reason": "reason"}), audit_actor(request):
            service_delivery_void(
                actor=request.user, delivery=delivery, reason=serializer.validated_data["reason"]
            )
        delivery = delivery_get(user=request.user, delivery_id=delivery.pk)
        return Response(DeliveryOutputSerializer(delivery).data)


class DeliveryCorrectApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Correct a delivery: void it and record the replacement with the changes",
        parameters=[DELIVERY_ID],
        request=CorrectInputSerializer,
        responses={
            201: DeliveryOutputSerializer,
            400: OpenApiResponse(description="No reason, already voided, or a refused value."),
            403: OpenApiResponse(description="Readable, but not at a centre you work at."),
            404: OpenApiResponse(description="Not found."),
        },
    )
    def post(self, request: Request, delivery_id) -> Response:
        delivery = delivery_get(user=request.user, delivery_id=delivery_id)
        serializer = CorrectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        with audit_actor(request):
            replacement = service_delivery_correct(
                actor=request.user, delivery=delivery, reason=reason, **changes
            )
        replacement = delivery_get(user=request.user, delivery_id=replacement.pk)
        return Response(DeliveryOutputSerializer(replacement).data, status=201)


def _bulk_errors(exc: BulkValidationError) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if exc.persons:
        detail["persons"] = exc.persons
    if exc.items:
        detail["items"] = {str(index): messages for index, messages in exc.items.items()}
    if exc.general:
        detail[NON_FIELD] = exc.general
    if exc.repeats:
        detail["confirm_repeat"] = [str(REPEATS_TO_CONFIRM)]
    return detail


def _messages(detail: Any) -> list[str]:
    """Every message of an error detail, however nested."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


def _input_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """Serializer errors, with each item's messages by its position, as the action reports them.

    DRF reports a list of objects by position ({"0": {"service_type": [...]}}; before DRF 3.18
    as a list with {} for a valid item). Errors of the list as a whole (a list of messages, or
    {"non_field_errors": [...]}) stay as they are.
    """
    errors = dict(errors)
    items = errors.get("items")
    if isinstance(items, list) and any(isinstance(detail, dict) for detail in items):
        items = {index: detail for index, detail in enumerate(items) if detail}
    if isinstance(items, dict):
        errors["items"] = {str(key): _messages(detail) for key, detail in items.items()}
    return errors


class DistributionCreateApi(APIView):
    """Items handed to a group (a flight, a bus): every item to every person, all or nothing."""

    parser_classes = [JSONParser]

    @extend_schema(
        summary="Record a bulk distribution",
        request=DistributionCreateInputSerializer,
        responses={
            201: DistributionOutputSerializer,
            200: OpenApiResponse(
                DistributionOutputSerializer, description="Replay of an earlier distribution."
            ),
            400: OpenApiResponse(
                DistributionErrorSerializer,
                description="Nothing was saved: messages by person, by item and overall.",
            ),
            409: CONFLICT_409,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = DistributionCreateInputSerializer(
            data=request.data, context={"request": request}
        )
        if not serializer.is_valid():
            return Response(_input_errors(serializer.errors), status=status.HTTP_400_BAD_REQUEST)
        try:
            with recording_errors_as_api(), audit_actor(request):
                recorded = distribution_record_bulk(
                    actor=request.user,
                    request_fingerprint=fingerprint(request.data),
                    **serializer.action_kwargs(),
                )
        except BulkValidationError as exc:
            return Response(_bulk_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        distribution = recorded.distribution
        distribution.delivery_count = recorded.deliveries
        return created_or_replayed(
            DistributionOutputSerializer(distribution).data, created=recorded.created
        )
