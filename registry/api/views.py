"""Persons API: list and detail within the user's centres, idempotent registration."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
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

from ..actions import (
    PersonIdConflict,
    consents_change,
    person_correct,
    person_merge,
    person_register,
    person_unmerge,
)
from ..api_common import (
    Conflict,
    ConflictSerializer,
    DetailSerializer,
    JSONParser,
    PersonsShownMixin,
    audit_actor,
    created_or_replayed,
    django_errors_as_api,
    etag_parameter,
    if_match_parameter,
    if_match_versions,
    with_etag,
)
from ..filters import PersonFilter
from ..selectors import merge_get, person_get, person_list
from .serializers import (
    PersonConsentsInputSerializer,
    PersonCorrectInputSerializer,
    PersonCreateInputSerializer,
    PersonDetailOutputSerializer,
    PersonMergeInputSerializer,
    PersonMergeOutputSerializer,
    PersonOutputSerializer,
    PersonUnmergeInputSerializer,
)


@extend_schema_view(
    get=extend_schema(
        summary="Persons known at your centres",
        description=(
            "With `q`, at most 201 persons are listed, in name order: a count of 201 means "
            "more than 200 match; add `birth_date` (or more of the name) to narrow them."
        ),
    ),
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


PERSON_ID = OpenApiParameter("person_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
ETAG = etag_parameter(
    _("The version of the person, to send back in If-Match when correcting them.")
)
IF_MATCH = if_match_parameter(_('The ETag of the person as last read, e.g. "3".'))


class PersonDetailApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="A person known at one of your centres",
        parameters=[PERSON_ID, ETAG],
        responses={
            200: PersonDetailOutputSerializer,
            404: OpenApiResponse(description="Not found."),
        },
    )
    def get(self, request: Request, person_id) -> Response:
        person = person_get(user=request.user, person_id=person_id)
        return with_etag(Response(PersonDetailOutputSerializer(person).data), person)

    @extend_schema(
        summary="Correct a person's details, with the reason",
        parameters=[PERSON_ID, IF_MATCH, ETAG],
        request=PersonCorrectInputSerializer,
        responses={
            200: PersonDetailOutputSerializer,
            400: OpenApiResponse(description="Field errors: {field: [messages]}."),
            403: OpenApiResponse(DetailSerializer, description="You may only read this person."),
            404: OpenApiResponse(description="Not found."),
            412: OpenApiResponse(DetailSerializer, description="Someone else changed the person."),
            428: OpenApiResponse(DetailSerializer, description='If-Match is missing, or "*".'),
        },
    )
    def patch(self, request: Request, person_id) -> Response:
        person = person_get(user=request.user, person_id=person_id)
        versions = if_match_versions(request)
        serializer = PersonCorrectInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        with audit_actor(request):
            person_correct(
                actor=request.user,
                person_id=person.pk,
                data=data,
                reason=reason,
                # A version the client did not name never matches: the action answers 412.
                expected_version=person.version if person.version in versions else 0,
            )
        person = person_get(user=request.user, person_id=person_id)
        return with_etag(Response(PersonDetailOutputSerializer(person).data), person)


class PersonConsentsApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Record consents given, changed or withdrawn since intake",
        parameters=[PERSON_ID],
        request=PersonConsentsInputSerializer,
        responses={
            200: PersonDetailOutputSerializer,
            400: OpenApiResponse(
                description="Field errors, or no answer differs from those in force."
            ),
            403: OpenApiResponse(DetailSerializer, description="You may only read this person."),
            404: OpenApiResponse(description="Not found."),
        },
    )
    def post(self, request: Request, person_id) -> Response:
        person = person_get(user=request.user, person_id=person_id)
        serializer = PersonConsentsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            consents_change(
                actor=request.user,
                person_id=person.pk,
                consents=serializer.validated_data["consents"],
            )
        person = person_get(user=request.user, person_id=person_id)
        return with_etag(Response(PersonDetailOutputSerializer(person).data), person)


class PersonMergeApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Merge another record of the same person into this one (supervisors)",
        parameters=[PERSON_ID],
        request=PersonMergeInputSerializer,
        responses={
            201: PersonMergeOutputSerializer,
            400: OpenApiResponse(
                description="Field errors; the same record twice; already merged; two open "
                "cases at one centre."
            ),
            403: OpenApiResponse(DetailSerializer, description="Supervisors merge records."),
            404: OpenApiResponse(description="Either record not found."),
            412: OpenApiResponse(DetailSerializer, description="A record changed since read."),
        },
    )
    def post(self, request: Request, person_id) -> Response:
        person = person_get(user=request.user, person_id=person_id)
        serializer = PersonMergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with audit_actor(request):
            merge = person_merge(
                actor=request.user,
                survivor_id=person.pk,
                merged_id=data["merged"],
                take=data["take"],
                reason=data["reason"],
                expected_versions=(data["version"], data["merged_version"]),
            )
        return Response(PersonMergeOutputSerializer(merge).data, status=201)


MERGE_ID = OpenApiParameter("merge_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class PersonUnmergeApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Undo a merge of two person records (supervisors)",
        parameters=[MERGE_ID],
        request=PersonUnmergeInputSerializer,
        responses={
            200: PersonMergeOutputSerializer,
            400: OpenApiResponse(description="No reason; already undone; undo a later one first."),
            403: OpenApiResponse(DetailSerializer, description="Supervisors undo merges."),
            404: OpenApiResponse(description="Not found."),
        },
    )
    def post(self, request: Request, merge_id) -> Response:
        merge = merge_get(user=request.user, merge_id=merge_id)
        serializer = PersonUnmergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            merge = person_unmerge(
                actor=request.user, merge_id=merge.pk, reason=serializer.validated_data["reason"]
            )
        return Response(PersonMergeOutputSerializer(merge).data)
