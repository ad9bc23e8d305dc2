"""Input and output shapes of the cases API; reference data travels as codes, people as ids."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from intake.models import Arrival
from intake.permissions import arrivals_for
from registry.api_common import UserCenterField, UserPersonField
from registry.models import ClosureReason, Partner, ServiceLine, VulnerabilityCategory
from registry.permissions import user_center_ids
from registry.selectors import center_staff

from ..models import Case, CaseGoal, CaseNote, Dimension, FollowUp, Referral
from ..permissions import partners_for_case


def _request_user(field: serializers.Field):
    request = field.context.get("request")
    return getattr(request, "user", None)


@extend_schema_field(OpenApiTypes.INT)
class UserArrivalField(serializers.PrimaryKeyRelatedField):
    """An arrival registered at one of the user's centres (casework does not import intake)."""

    default_error_messages = {
        "does_not_exist": _("This arrival was not found."),
        "incorrect_type": _("This arrival was not found."),
    }

    def get_queryset(self):
        user = _request_user(self)
        return arrivals_for(user) if user is not None else Arrival.objects.none()


@extend_schema_field(OpenApiTypes.INT)
class CenterStaffField(serializers.PrimaryKeyRelatedField):
    """An active user working at one of the requesting user's centres."""

    default_error_messages = {
        "does_not_exist": _("Choose a caseworker of your centre."),
        "incorrect_type": _("Choose a caseworker of your centre."),
    }

    def get_queryset(self):
        user = _request_user(self)
        ids = user_center_ids(user, for_write=True) if user is not None else ()
        return center_staff(center_ids=ids)


# --- outputs ----------------------------------------------------------------------------------


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class CasePersonOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()


class CasePersonDetailOutputSerializer(CasePersonOutputSerializer):
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    birth_date_estimated = serializers.BooleanField()
    document_type = serializers.CharField(source="document_type.code")
    document_number = serializers.CharField()
    phone = serializers.CharField()


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    person = CasePersonOutputSerializer()
    center = serializers.CharField(source="center.code")
    # A plain string: an enum here would collide with the referral status enum in the schema.
    status = serializers.CharField(help_text=_("open or closed."))
    assigned_to = UserOutputSerializer(allow_null=True)
    restricted = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closure_reason = serializers.CharField(source="closure_reason.code", allow_null=True)
    version = serializers.IntegerField()


class CaseDetailOutputSerializer(CaseOutputSerializer):
    person = CasePersonDetailOutputSerializer()
    opened_from_arrival = serializers.IntegerField(source="opened_from_arrival_id", allow_null=True)
    opened_by = UserOutputSerializer()
    closed_by = UserOutputSerializer(allow_null=True)
    closure_note = serializers.CharField()
    vulnerabilities = serializers.SerializerMethodField(
        help_text=_("Codes of the vulnerability categories.")
    )
    economic_needs = serializers.CharField()
    social_needs = serializers.CharField()
    psychosocial_needs = serializers.CharField()
    assessed_at = serializers.DateTimeField(allow_null=True)

    def get_vulnerabilities(self, case: Case) -> list[str]:
        """Codes, from the prefetched `vulnerabilities` (as case_get does)."""
        return [category.code for category in case.vulnerabilities.all()]


class CaseUpdatedOutputSerializer(CaseDetailOutputSerializer):
    """The case after a change: the person is named, their details are not repeated."""

    person = CasePersonOutputSerializer()


class NoteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    author = UserOutputSerializer()
    created_at = serializers.DateTimeField()
    client_uuid = serializers.UUIDField()


class GoalOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dimension = serializers.ChoiceField(choices=Dimension.choices)
    description = serializers.CharField()
    target_date = serializers.DateField(allow_null=True)
    progress = serializers.ChoiceField(choices=CaseGoal.Progress.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(
        help_text=_('Send it back in If-Match when recording progress, e.g. "3".')
    )


class ReferralOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    partner = serializers.IntegerField(source="partner_id")
    partner_name = serializers.CharField(source="partner.name")
    service_line = serializers.CharField(source="service_line.code")
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    outcome_note = serializers.CharField()
    referred_at = serializers.DateTimeField()
    referred_by = UserOutputSerializer()
    status_changed_at = serializers.DateTimeField()
    client_uuid = serializers.UUIDField()


class FollowUpOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    due_date = serializers.DateField()
    purpose = serializers.CharField()
    done_at = serializers.DateTimeField(allow_null=True)
    done_by = UserOutputSerializer(allow_null=True)
    outcome = serializers.CharField()
    outcome_note = serializers.CharField()
    overdue = serializers.SerializerMethodField(
        help_text=_("Not done and due before today at the case's centre.")
    )

    def get_overdue(self, follow_up: FollowUp) -> bool:
        today = self.context.get("center_today")
        if today is None:
            today = follow_up.case.center.local_now().date()
        return follow_up.is_overdue(today)


# --- inputs -----------------------------------------------------------------------------------


class CaseCreateInputSerializer(serializers.Serializer):
    client_uuid = serializers.UUIDField(
        help_text=_("Generated by the client; repeating a submission with it is safe.")
    )
    person = UserPersonField(help_text=_("Id of a person known at one of your centres."))
    center = UserCenterField(help_text=_("Code of one of your reception centres."))
    arrival = UserArrivalField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The arrival the case is opened from (optional)."),
    )
    assigned_to = CenterStaffField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Id of the caseworker; yourself when left out."),
    )
    restricted = serializers.BooleanField(default=False)


class CaseUpdateInputSerializer(serializers.Serializer):
    """Assessment and the restricted flag; fields left out keep their value."""

    vulnerabilities = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        required=False,
        queryset=VulnerabilityCategory.objects.filter(active=True),
        help_text=_("Codes of the vulnerability categories, e.g. pregnant."),
    )
    economic_needs = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    social_needs = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    psychosocial_needs = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    restricted = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(_("Send at least one field to change."))
        return attrs


class CaseCloseInputSerializer(serializers.Serializer):
    reason = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ClosureReason.objects.filter(active=True),
        help_text=_("Code of the closure reason, e.g. reintegrated."),
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")


class CaseAssignInputSerializer(serializers.Serializer):
    assignee = CenterStaffField(help_text=_("Id of the caseworker to assign the case to."))


class NoteCreateInputSerializer(serializers.Serializer):
    client_uuid = serializers.UUIDField(
        help_text=_("Generated by the client; repeating a submission with it is safe.")
    )
    text = serializers.CharField(max_length=5000)
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=CaseNote.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Id of the note of this case that this note corrects."),
        error_messages={
            "does_not_exist": _("Choose a note of this case."),
            "incorrect_type": _("Choose a note of this case."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case = self.context.get("case")
        if case is not None:
            self.fields["corrects"].queryset = CaseNote.objects.filter(case=case)


class GoalCreateInputSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=Dimension.choices)
    description = serializers.CharField(max_length=300)
    target_date = serializers.DateField(required=False, allow_null=True, default=None)


class GoalProgressInputSerializer(serializers.Serializer):
    progress = serializers.ChoiceField(choices=CaseGoal.Progress.choices)


class ReferralCreateInputSerializer(serializers.Serializer):
    client_uuid = serializers.UUIDField(
        help_text=_("Generated by the client; repeating a submission with it is safe.")
    )
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.none(),
        help_text=_("Id of an active partner organisation of the country of the case."),
        error_messages={
            "does_not_exist": _("Choose a partner organisation."),
            "incorrect_type": _("Choose a partner organisation."),
        },
    )
    service_line = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ServiceLine.objects.filter(active=True),
        help_text=_("Code of the service, e.g. vocational_training."),
    )
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case = self.context.get("case")
        if case is not None:
            self.fields["partner"].queryset = partners_for_case(case)


class ReferralStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    outcome_note = serializers.CharField(max_length=2000, allow_blank=True, default="")


class FollowUpCreateInputSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    purpose = serializers.CharField(max_length=200, allow_blank=True, default="")


class FollowUpCompleteInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FollowUp.Outcome.choices)
    outcome_note = serializers.CharField(max_length=2000, allow_blank=True, default="")
