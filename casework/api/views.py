"""Cases API: scoped list and detail, the case lifecycle, notes, goals, referrals, follow-ups.

Every endpoint finds its case through casework.selectors (404 outside the user's scope), checks
what the user may do with a case they can see (403 with a reason), and calls one action.
Changes to the case itself are guarded by its version: GET answers an ETag, writes need it
back in If-Match (428 without it or with "*", 412 when someone else saved in between).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.api_common import (
    ConflictSerializer,
    DetailSerializer,
    JSONParser,
    PersonsShownMixin,
    audit_actor,
    created_or_replayed,
    etag_parameter,
    if_match_parameter,
    if_match_versions,
    with_etag,
)
from registry.audit import person_viewed
from registry.errors import VersionConflict

from ..actions import (
    CASE_CHANGED,
    GOAL_CHANGED,
    case_assess,
    case_assign,
    case_close,
    case_open,
    case_reopen,
    case_set_restricted,
    follow_up_complete,
    follow_up_schedule,
    goal_add,
    goal_set_progress,
    note_add,
    referral_create,
    referral_set_status,
)
from ..filters import CaseFilter
from ..models import Case, CaseGoal, CaseNote, FollowUp, Referral
from ..permissions import can_assign_case, can_manage_case, can_work_on_case
from ..selectors import (
    case_get,
    case_list,
    follow_up_get,
    follow_ups_for_case,
    goal_get,
    goals_for_case,
    notes_for_case,
    referral_get,
    referrals_for_case,
)
from .serializers import (
    CaseAssignInputSerializer,
    CaseCloseInputSerializer,
    CaseCreateInputSerializer,
    CaseDetailOutputSerializer,
    CaseOutputSerializer,
    CaseUpdatedOutputSerializer,
    CaseUpdateInputSerializer,
    FollowUpCompleteInputSerializer,
    FollowUpCreateInputSerializer,
    FollowUpOutputSerializer,
    GoalCreateInputSerializer,
    GoalOutputSerializer,
    GoalProgressInputSerializer,
    NoteCreateInputSerializer,
    NoteOutputSerializer,
    ReferralCreateInputSerializer,
    ReferralOutputSerializer,
    ReferralStatusInputSerializer,
)

# --- refusals ---------------------------------------------------------------------------------

CANNOT_WORK = _("You cannot change cases of this centre.")
CANNOT_MANAGE = _("Only the assigned caseworker or a supervisor of the centre can do this.")
CANNOT_ASSIGN = _("Only a supervisor of the centre can assign cases.")


def _expected_version(request: Request, row: Case | CaseGoal) -> int:
    """The version the client read, if it is still the current one; 412 otherwise."""
    if row.version not in if_match_versions(request):
        raise VersionConflict(
            row.version, GOAL_CHANGED if isinstance(row, CaseGoal) else CASE_CHANGED
        )
    return row.version


@contextmanager
def _case_write(request: Request) -> Iterator[None]:
    """One atomic, audited change of a case or goal (the action's typed errors are answered by
    registry.api_common.exception_handler: 400, 403, 409, 412)."""
    with audit_actor(request), transaction.atomic():
        yield


def _require(allowed: bool, message) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _case_reloaded(case: Case) -> Case:
    """The case as saved, with what the output shows.

    Not scoped again: the user was allowed to change it, and the answer must not become a 404
    because the change (e.g. reassigning a restricted case) moved who can open it.
    """
    return (
        Case.objects.select_related(
            "person", "center", "assigned_to", "closure_reason", "opened_by", "closed_by"
        )
        .prefetch_related("vulnerabilities")
        .get(pk=case.pk)
    )


def _case_answer(case: Case) -> Response:
    case = _case_reloaded(case)
    return with_etag(Response(CaseUpdatedOutputSerializer(case).data), case)


CASE_ID = OpenApiParameter("case_id", OpenApiTypes.INT, OpenApiParameter.PATH)
IF_MATCH = if_match_parameter(
    _(
        'The ETag of the case as last read, e.g. "3". "*" is refused (428): a change must '
        "name the version it starts from."
    )
)
ETAG = etag_parameter(
    _("The version of the case, to send back in If-Match when changing it."), (200, 201)
)
GOAL_IF_MATCH = if_match_parameter(_('The ETag (or version) of the goal as last read, e.g. "3".'))
GOAL_ETAG = etag_parameter(
    _("The version of the goal, to send back in If-Match when changing it."), (200, 201)
)
NOT_FOUND = OpenApiResponse(description="Not found.")
FIELD_ERRORS = OpenApiResponse(description="Field errors: {field: [messages]}.")
REFUSED = OpenApiResponse(DetailSerializer, description="You may see the case but not do this.")
PRECONDITION_RESPONSES = {
    412: OpenApiResponse(DetailSerializer, description="Someone else changed the case."),
    428: OpenApiResponse(DetailSerializer, description='If-Match is missing, or "*".'),
}


# --- cases ------------------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(summary="Cases at your centres"))
class CaseListCreateApi(PersonsShownMixin, generics.ListAPIView):
    serializer_class = CaseOutputSerializer
    filterset_class = CaseFilter
    parser_classes = [JSONParser]

    def get_queryset(self):
        return case_list(user=self.request.user)

    @extend_schema(
        summary="Open a case for a person at one of your centres",
        parameters=[ETAG],
        request=CaseCreateInputSerializer,
        responses={
            201: CaseOutputSerializer,
            200: OpenApiResponse(CaseOutputSerializer, description="Replay of an earlier opening."),
            400: FIELD_ERRORS,
            409: OpenApiResponse(
                ConflictSerializer,
                description="The client_uuid is already used for a different submission.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CaseCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            opened = case_open(actor=request.user, **serializer.validated_data)
        case = _case_reloaded(opened.case)
        response = created_or_replayed(CaseOutputSerializer(case).data, created=opened.created)
        return with_etag(response, case)


class CaseDetailApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="A case at one of your centres, with the person's details",
        parameters=[CASE_ID, ETAG],
        responses={
            200: CaseDetailOutputSerializer,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, case_id: int) -> Response:
        case = case_get(user=request.user, case_id=case_id)
        person_viewed(case.person, actor=request.user)
        return with_etag(Response(CaseDetailOutputSerializer(case).data), case)

    @extend_schema(
        summary="Record the assessment (vulnerabilities, needs) or restrict the case",
        parameters=[CASE_ID, IF_MATCH, ETAG],
        request=CaseUpdateInputSerializer,
        responses={
            200: CaseUpdatedOutputSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
            **PRECONDITION_RESPONSES,
        },
    )
    def patch(self, request: Request, case_id: int) -> Response:
        case = case_get(user=request.user, case_id=case_id)
        if_match_versions(request)
        serializer = CaseUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        restricted = data.pop("restricted", case.restricted)
        if data:
            _require(can_work_on_case(request.user, case), CANNOT_WORK)
        if restricted != case.restricted:
            _require(can_manage_case(request.user, case), CANNOT_MANAGE)
        expected = _expected_version(request, case)
        with _case_write(request):
            if data:
                case_assess(
                    actor=request.user,
                    case=case,
                    vulnerabilities=data.get("vulnerabilities", list(case.vulnerabilities.all())),
                    economic_needs=data.get("economic_needs", case.economic_needs),
                    social_needs=data.get("social_needs", case.social_needs),
                    psychosocial_needs=data.get("psychosocial_needs", case.psychosocial_needs),
                    expected_version=expected,
                )
            if restricted != case.restricted:
                case_set_restricted(
                    actor=request.user,
                    case=case,
                    restricted=restricted,
                    expected_version=case.version,
                )
        return _case_answer(case)


class CaseCloseApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Close a case with a reason",
        parameters=[CASE_ID, IF_MATCH, ETAG],
        request=CaseCloseInputSerializer,
        responses={
            200: CaseUpdatedOutputSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
            **PRECONDITION_RESPONSES,
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = case_get(user=request.user, case_id=case_id)
        _require(can_manage_case(request.user, case), CANNOT_MANAGE)
        if_match_versions(request)
        serializer = CaseCloseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = _expected_version(request, case)
        with _case_write(request):
            case_close(
                actor=request.user,
                case=case,
                reason=serializer.validated_data["reason"],
                note=serializer.validated_data["note"].strip(),
                expected_version=expected,
            )
        return _case_answer(case)


class CaseReopenApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Reopen a closed case",
        parameters=[CASE_ID, IF_MATCH, ETAG],
        request=None,
        responses={
            200: CaseUpdatedOutputSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
            **PRECONDITION_RESPONSES,
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = case_get(user=request.user, case_id=case_id)
        _require(can_manage_case(request.user, case), CANNOT_MANAGE)
        expected = _expected_version(request, case)
        with _case_write(request):
            case_reopen(actor=request.user, case=case, expected_version=expected)
        return _case_answer(case)


class CaseAssignApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Assign the case to a caseworker of its centre (supervisors)",
        parameters=[CASE_ID, IF_MATCH, ETAG],
        request=CaseAssignInputSerializer,
        responses={
            200: CaseUpdatedOutputSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
            **PRECONDITION_RESPONSES,
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = case_get(user=request.user, case_id=case_id)
        _require(can_assign_case(request.user, case), CANNOT_ASSIGN)
        if_match_versions(request)
        serializer = CaseAssignInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        expected = _expected_version(request, case)
        with _case_write(request):
            case_assign(
                actor=request.user,
                case=case,
                assignee=serializer.validated_data["assignee"],
                expected_version=expected,
            )
        return _case_answer(case)


# --- what hangs off a case --------------------------------------------------------------------


class _CaseChildListApi(generics.ListAPIView):
    """A list under /cases/<case_id>/…; the case is found in the user's scope first (404)."""

    parser_classes = [JSONParser]
    empty_queryset = CaseNote.objects.none()

    def get_case(self) -> Case:
        if not hasattr(self, "_case"):
            self._case = case_get(user=self.request.user, case_id=self.kwargs["case_id"])
        return self._case

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.empty_queryset
        return self.children(self.get_case())

    def children(self, case: Case):
        raise NotImplementedError


@extend_schema_view(
    get=extend_schema(summary="Notes of a case, oldest first", parameters=[CASE_ID])
)
class CaseNoteListCreateApi(_CaseChildListApi):
    """Notes are append-only: there is no route to change or delete one."""

    serializer_class = NoteOutputSerializer
    empty_queryset = CaseNote.objects.none()

    def children(self, case: Case):
        return notes_for_case(case)

    @extend_schema(
        summary="Add a note (or a correction of an earlier note)",
        parameters=[CASE_ID],
        request=NoteCreateInputSerializer,
        responses={
            201: NoteOutputSerializer,
            200: OpenApiResponse(NoteOutputSerializer, description="Replay of an earlier note."),
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ConflictSerializer,
                description="The client_uuid is already used for a different submission.",
            ),
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = self.get_case()
        _require(can_work_on_case(request.user, case), CANNOT_WORK)
        serializer = NoteCreateInputSerializer(data=request.data, context={"case": case})
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            added = note_add(actor=request.user, case=case, **serializer.validated_data)
        note = notes_for_case(case).get(pk=added.note.pk)
        return created_or_replayed(NoteOutputSerializer(note).data, created=added.created)


@extend_schema_view(get=extend_schema(summary="Referrals of a case", parameters=[CASE_ID]))
class CaseReferralListCreateApi(_CaseChildListApi):
    """Referrals need the person's consent to share their data with partners."""

    serializer_class = ReferralOutputSerializer
    empty_queryset = Referral.objects.none()

    def children(self, case: Case):
        return referrals_for_case(case)

    @extend_schema(
        summary="Refer the person to a partner organisation",
        parameters=[CASE_ID],
        request=ReferralCreateInputSerializer,
        responses={
            201: ReferralOutputSerializer,
            200: OpenApiResponse(
                ReferralOutputSerializer, description="Replay of an earlier referral."
            ),
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ConflictSerializer,
                description="The client_uuid is already used for a different submission.",
            ),
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = self.get_case()
        _require(can_work_on_case(request.user, case), CANNOT_WORK)
        serializer = ReferralCreateInputSerializer(data=request.data, context={"case": case})
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            made = referral_create(actor=request.user, case=case, **serializer.validated_data)
        referral = referrals_for_case(case).get(pk=made.referral.pk)
        return created_or_replayed(ReferralOutputSerializer(referral).data, created=made.created)


class ReferralStatusApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Record the partner's answer or the outcome of a referral",
        parameters=[OpenApiParameter("referral_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=ReferralStatusInputSerializer,
        responses={200: ReferralOutputSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        referral = referral_get(user=request.user, referral_id=referral_id)
        _require(can_work_on_case(request.user, referral.case), CANNOT_WORK)
        serializer = ReferralStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            referral_set_status(actor=request.user, referral=referral, **serializer.validated_data)
        return Response(ReferralOutputSerializer(referral).data)


@extend_schema_view(get=extend_schema(summary="Follow-ups of a case", parameters=[CASE_ID]))
class CaseFollowUpListCreateApi(_CaseChildListApi):
    """Follow-ups are overdue by the date at the case's centre."""

    serializer_class = FollowUpOutputSerializer
    empty_queryset = FollowUp.objects.none()

    def children(self, case: Case):
        return follow_ups_for_case(case)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["center_today"] = self.get_case().center.local_now().date()
        return context

    @extend_schema(
        summary="Schedule a follow-up",
        parameters=[CASE_ID],
        request=FollowUpCreateInputSerializer,
        responses={201: FollowUpOutputSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = self.get_case()
        _require(can_work_on_case(request.user, case), CANNOT_WORK)
        serializer = FollowUpCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            follow_up = follow_up_schedule(
                actor=request.user, case=case, **serializer.validated_data
            )
        return Response(
            self.get_serializer(follow_up).data,
            status=status.HTTP_201_CREATED,
        )


class FollowUpCompleteApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Record the outcome of a follow-up",
        parameters=[OpenApiParameter("follow_up_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=FollowUpCompleteInputSerializer,
        responses={200: FollowUpOutputSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    def post(self, request: Request, follow_up_id: int) -> Response:
        follow_up = follow_up_get(user=request.user, follow_up_id=follow_up_id)
        _require(can_work_on_case(request.user, follow_up.case), CANNOT_WORK)
        serializer = FollowUpCompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            follow_up_complete(actor=request.user, follow_up=follow_up, **serializer.validated_data)
        return Response(FollowUpOutputSerializer(follow_up).data)


@extend_schema_view(get=extend_schema(summary="Goals of a case's plan", parameters=[CASE_ID]))
class CaseGoalListCreateApi(_CaseChildListApi):
    """Goals of the reintegration plan, by dimension."""

    serializer_class = GoalOutputSerializer
    empty_queryset = CaseGoal.objects.none()

    def children(self, case: Case):
        return goals_for_case(case)

    @extend_schema(
        summary="Add a goal to the reintegration plan",
        parameters=[CASE_ID, GOAL_ETAG],
        request=GoalCreateInputSerializer,
        responses={201: GoalOutputSerializer, 400: FIELD_ERRORS, 403: REFUSED, 404: NOT_FOUND},
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = self.get_case()
        _require(can_work_on_case(request.user, case), CANNOT_WORK)
        serializer = GoalCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with audit_actor(request):
            goal = goal_add(actor=request.user, case=case, **serializer.validated_data)
        response = Response(GoalOutputSerializer(goal).data, status=status.HTTP_201_CREATED)
        return with_etag(response, goal)


class GoalProgressApi(APIView):
    """Progress is guarded by the goal's version, as changes of the case are by the case's."""

    parser_classes = [JSONParser]

    @extend_schema(
        summary="Record the progress of a plan goal",
        parameters=[
            OpenApiParameter("goal_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            GOAL_IF_MATCH,
            GOAL_ETAG,
        ],
        request=GoalProgressInputSerializer,
        responses={
            200: GoalOutputSerializer,
            400: FIELD_ERRORS,
            403: REFUSED,
            404: NOT_FOUND,
            412: OpenApiResponse(DetailSerializer, description="Someone else changed the goal."),
            428: PRECONDITION_RESPONSES[428],
        },
    )
    def post(self, request: Request, goal_id: int) -> Response:
        goal = goal_get(user=request.user, goal_id=goal_id)
        _require(can_work_on_case(request.user, goal.case), CANNOT_WORK)
        if_match_versions(request)
        serializer = GoalProgressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = _expected_version(request, goal)
        with _case_write(request):
            goal_set_progress(
                actor=request.user,
                goal=goal,
                progress=serializer.validated_data["progress"],
                expected_version=expected,
            )
        return with_etag(Response(GoalOutputSerializer(goal).data), goal)
