"""Persons API: list and detail within the user's centres, idempotent registration."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..actions import PersonIdConflict, person_register
from ..api_common import (
    Conflict,
    ConflictSerializer,
    JSONParser,
    PersonsShownMixin,
    audit_actor,
    created_or_replayed,
    django_errors_as_api,
)
from ..filters import PersonFilter
from ..selectors import person_get, person_list
from .serializers import (
    PersonCreateInputSerializer,
    PersonDetailOutputSerializer,
    PersonOutputSerializer,
)


@extend_schema_view(
    get=extend_schema(summary="Persons known at your centres"),
)
class PersonListCreateApi(PersonsShownMixin, generics.ListAPIView):
    person_path = ""
    serializer_class = PersonOutputSerializer
    filterset_class = PersonFilter
    parser_classes = [JSONParser]

    def get_queryset(self):
        return person_list(user=self.request.user)

    @extend_schema(
        summary="Register a person at one of your centres",
        request=PersonCreateInputSerializer,
        responses={
            201: PersonDetailOutputSerializer,
            200: OpenApiResponse(
                PersonDetailOutputSerializer, description="Replay of an earlier registration."
            ),
            400: OpenApiResponse(description="Field errors: {field: [messages]}."),
            409: OpenApiResponse(
                ConflictSerializer, description="The id is already used for a different person."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = PersonCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with django_errors_as_api(), audit_actor(request):
            try:
                registration = person_register(
                    actor=request.user,
                    center=data.pop("center"),
                    person_id=data.pop("id"),
                    consents=data.pop("consents", {}),
                    data=data,
                )
            except PersonIdConflict as exc:
                raise Conflict() from exc
        person = person_get(user=request.user, person_id=registration.person.pk)
        return created_or_replayed(
            PersonDetailOutputSerializer(person).data, created=registration.created
        )


class PersonDetailApi(APIView):
    @extend_schema(
        summary="A person known at one of your centres",
        parameters=[OpenApiParameter("person_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={
            200: PersonDetailOutputSerializer,
            404: OpenApiResponse(description="Not found."),
        },
    )
    def get(self, request: Request, person_id) -> Response:
        person = person_get(user=request.user, person_id=person_id)
        return Response(PersonDetailOutputSerializer(person).data)
