"""Input and output shapes of the service catalogue, deliveries and bulk distribution API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.models import Case
from casework.permissions import cases_for
from registry.api_common import ReferenceSlugField, UserCenterField, UserPersonField
from services.models import (
    ALL_OUTCOME_FIELDS,
    OUTCOME_FIELDS,
    Provider,
    ServiceDelivery,
    ServiceType,
)


class _UserScopedField(serializers.PrimaryKeyRelatedField):
    """A row among those the requesting user may see; unknown and not-yours answer alike."""

    def scoped_queryset(self, user):  # pragma: no cover - overridden
        raise NotImplementedError

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return self.queryset.none()
        return self.scoped_queryset(user)


@extend_schema_field(OpenApiTypes.INT)
class UserCaseField(_UserScopedField):
    default_error_messages = {
        "does_not_exist": _("Choose one of this person's cases."),
        "incorrect_type": _("Choose one of this person's cases."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Case.objects.all())
        super().__init__(**kwargs)

    def scoped_queryset(self, user):
        return cases_for(user)


# Inline (wrapped in allOf so the enum post-processing leaves it alone): "status" already
# names the case and referral enums, and a third set would make the names collide.
@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(ServiceDelivery.Status.values)}],
        "description": "planned, in_progress, completed, not_completed",
    }
)
class DeliveryStatusField(serializers.ChoiceField):
    """A delivery's status: planned, in_progress, completed or not_completed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", ServiceDelivery.Status.choices)
        super().__init__(**kwargs)


class ServiceTypeField(ReferenceSlugField):
    """A service of the catalogue by code (an inactive one is refused by the action, clearly),
    read from the catalogue the process holds (registry.reference_cache)."""

    default_error_messages = {
        "does_not_exist": _("Unknown service: %(value)s."),
        "invalid": _("Unknown service."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", ServiceType.objects.all())
        kwargs.setdefault("help_text", _("Code of the service, e.g. hygiene_kit."))
        super().__init__(**kwargs)

    def not_found(self, value: str) -> None:
        # Not self.fail(): DRF fills str.format placeholders, the message has a %(value)s one.
        message = self.error_messages["does_not_exist"] % {"value": value}
        raise serializers.ValidationError(message, code="does_not_exist")


class ProviderField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("Choose one of the providers."),
        "incorrect_type": _("Choose one of the providers."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Provider.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("help_text", _("Id of the provider (see /api/v1/providers/)."))
        super().__init__(**kwargs)


# --- catalogue ------------------------------------------------------------------------------


class ServiceTypeOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text=_("In the language of the request."))
    description = serializers.CharField()
    category = serializers.ChoiceField(choices=ServiceType.Category.choices)
    dimension = serializers.CharField()
    unit = serializers.ChoiceField(choices=ServiceType.Unit.choices)
    requires_case = serializers.BooleanField()
    outcome = serializers.ChoiceField(choices=ServiceType.Outcome.choices)
    outcome_fields = serializers.SerializerMethodField(
        help_text=_("The outcome fields a delivery of this service may carry.")
    )
    max_quantity = serializers.IntegerField()

    def get_outcome_fields(self, service_type: ServiceType) -> list[str]:
        return list(OUTCOME_FIELDS.get(service_type.outcome, ()))


class ProviderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Provider.Kind.choices)
    country = serializers.CharField(source="country.iso2", allow_null=True, default=None)


# --- single deliveries ----------------------------------------------------------------------


class OutcomeFieldsMixin(serializers.Serializer):
    """Outcome fields: only those of the service's outcome kind may be given."""

    training_hours = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    training_completed = serializers.BooleanField(required=False, allow_null=True)
    training_certified = serializers.BooleanField(required=False, allow_null=True)
    employer_sector = serializers.ChoiceField(
        choices=ServiceDelivery.Sector.choices, required=False, allow_blank=True
    )
    employment_formal = serializers.BooleanField(required=False, allow_null=True)
    employment_start = serializers.DateField(required=False, allow_null=True)
    still_employed_at_follow_up = serializers.BooleanField(required=False, allow_null=True)
    sessions_attended = serializers.IntegerField(
        min_value=0, max_value=32767, required=False, allow_null=True
    )
    improvement_noted = serializers.BooleanField(required=False, allow_null=True)
    cash_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    cash_currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text=_("GTQ, HNL or USD.")
    )


class DeliveryCreateInputSerializer(OutcomeFieldsMixin):
    client_uuid = serializers.UUIDField(
        help_text=_("Generated by the client; repeating a submission with it is safe.")
    )
    person = UserPersonField(help_text=_("Id (UUID) of a person known at your centres."))
    center = UserCenterField(help_text=_("Code of one of your reception centres."))
    service_type = ServiceTypeField()
    delivered_on = serializers.DateField()
    quantity = serializers.IntegerField(default=1)
    status = DeliveryStatusField(default=ServiceDelivery.Status.COMPLETED)
    provider = ProviderField()
    case = UserCaseField(
        required=False,
        allow_null=True,
        help_text=_("Id of the person's case; required for reintegration services."),
    )
    funding_award = serializers.CharField(max_length=40, allow_blank=True, default="")

    confirm_repeat = serializers.BooleanField(
        default=False,
        help_text=_(
            "Send true to record the same service for the same person on the same day again "
            "(the first attempt answers 400 under this field)."
        ),
    )

    def action_kwargs(self) -> dict[str, Any]:
        """The validated body as service_delivery_record's keyword arguments."""
        data = dict(self.validated_data)
        outcomes = {name: data.pop(name) for name in ALL_OUTCOME_FIELDS if name in data}
        return {**data, "outcomes": outcomes}


class CorrectInputSerializer(serializers.Serializer):
    """What changes (any of quantity, delivered_on, status) and why."""

    reason = serializers.CharField(
        max_length=300, allow_blank=True, help_text=_("Why the delivery is corrected (required).")
    )
    quantity = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    delivered_on = serializers.DateField(required=False)
    status = DeliveryStatusField(required=False)


class VoidInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Why the delivery is voided."))


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    person = serializers.UUIDField(source="person_id")
    person_name = serializers.CharField(source="person.full_name")
    center = serializers.CharField(source="center.code")
    service_type = serializers.CharField(source="service_type.code")
    service_type_name = serializers.CharField(source="service_type.name")
    category = serializers.ChoiceField(
        source="service_type.category", choices=ServiceType.Category.choices
    )
    unit = serializers.ChoiceField(source="service_type.unit", choices=ServiceType.Unit.choices)
    delivered_on = serializers.DateField()
    quantity = serializers.IntegerField()
    status = DeliveryStatusField()
    provider = serializers.IntegerField(source="provider_id", allow_null=True)
    provider_name = serializers.CharField(source="provider.name", allow_null=True, default=None)
    case = serializers.IntegerField(source="case_id", allow_null=True)
    case_number = serializers.CharField(source="case.number", allow_null=True, default=None)
    funding_award = serializers.CharField()
    training_hours = serializers.IntegerField(allow_null=True)
    training_completed = serializers.BooleanField(allow_null=True)
    training_certified = serializers.BooleanField(allow_null=True)
    employer_sector = serializers.CharField()
    employment_formal = serializers.BooleanField(allow_null=True)
    employment_start = serializers.DateField(allow_null=True)
    still_employed_at_follow_up = serializers.BooleanField(allow_null=True)
    sessions_attended = serializers.IntegerField(allow_null=True)
    improvement_noted = serializers.BooleanField(allow_null=True)
    cash_amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    cash_currency = serializers.CharField()
    distribution = serializers.IntegerField(source="distribution_id", allow_null=True)
    replaces = serializers.IntegerField(source="replaces_id", allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()
    voided = serializers.BooleanField(source="is_void")
    voided_at = serializers.DateTimeField(allow_null=True)
    voided_by = serializers.CharField(source="voided_by.username", allow_null=True, default=None)
    void_reason = serializers.CharField()


# --- bulk distribution ----------------------------------------------------------------------


class DistributionItemInputSerializer(serializers.Serializer):
    service_type = ServiceTypeField()
    quantity = serializers.IntegerField(default=1)


class DistributionCreateInputSerializer(serializers.Serializer):
    client_uuid = serializers.UUIDField(
        help_text=_("Generated by the client; repeating a submission with it is safe.")
    )
    center = UserCenterField(help_text=_("Code of one of your reception centres."))
    delivered_on = serializers.DateField()
    items = DistributionItemInputSerializer(many=True, allow_empty=True)
    persons = serializers.ListField(
        child=serializers.UUIDField(),
        max_length=1000,
        help_text=_("Ids (UUID) of the persons who received every item."),
    )
    group_label = serializers.CharField(max_length=80, allow_blank=True, default="")
    provider = ProviderField()
    funding_award = serializers.CharField(max_length=40, allow_blank=True, default="")
    confirm_repeat = serializers.BooleanField(
        default=False,
        help_text=_(
            "Send true to record the items again for persons who already received them that "
            "day (the first attempt answers 400 under this field and names them)."
        ),
    )

    def action_kwargs(self) -> dict[str, Any]:
        """The validated body as distribution_record_bulk's keyword arguments."""
        data = dict(self.validated_data)
        data["person_ids"] = data.pop("persons")
        data["items"] = [dict(item) for item in data["items"]]
        return data


class DistributionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    center = serializers.CharField(source="center.code")
    delivered_on = serializers.DateField()
    group_label = serializers.CharField()
    deliveries = serializers.IntegerField(
        source="delivery_count", help_text=_("Rows recorded: persons × items.")
    )
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


MESSAGES_SCHEMA = {"type": "array", "items": {"type": "string"}}


def _messages_or_by_key(by) -> dict[str, Any]:
    return {
        "oneOf": [
            {**MESSAGES_SCHEMA, "description": _("Messages about the list as a whole.")},
            {"type": "object", "additionalProperties": MESSAGES_SCHEMA, "description": by},
        ]
    }


@extend_schema_field(
    _messages_or_by_key(
        _("Messages by person id, or by position (from 0) for an id that is not a UUID.")
    )
)
class _PersonErrorsField(serializers.JSONField):
    pass


@extend_schema_field(_messages_or_by_key(_("Messages by the item's position (from 0).")))
class _ItemErrorsField(serializers.JSONField):
    pass


class DistributionErrorSerializer(serializers.Serializer):
    """The body of a refused bulk distribution (for the schema): nothing was saved.

    Other fields' errors are as in FieldErrors.
    """

    persons = _PersonErrorsField(required=False)
    items = _ItemErrorsField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    confirm_repeat = serializers.ListField(child=serializers.CharField(), required=False)
