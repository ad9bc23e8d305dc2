"""Forms of the services screens: deliveries for one person, a group's bulk distribution, a void.

One small row form per service type (prefixed with the type's code) carries the tick, the
quantity and, for recording one person's services, the status and the outcome fields of that
type. A row that is not ticked is never validated: its typed values are kept, its errors are not
shown. Errors the actions raise are put on the row and field they concern.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from casework.models import Case
from registry.actions import REASON_REQUIRED
from registry.forms import date_widget
from registry.models import Person, ReceptionCenter

from .actions import CURRENCIES
from .models import OUTCOME_FIELDS, Provider, ServiceDelivery, ServiceType

CURRENCY_BY_COUNTRY = {"GT": "GTQ", "HN": "HNL", "SV": "USD"}
# Header fields of the record screen an action may name.
HEADER_FIELDS = ("center", "delivered_on", "provider", "case")


def _yes_no(label: Any) -> forms.NullBooleanField:
    return forms.NullBooleanField(label=label, required=False, widget=forms.NullBooleanSelect)


def _outcome_fields(outcome: str, currency: str) -> dict[str, forms.Field]:
    """The outcome fields recorded with a delivery of this kind (still employed: at follow-up)."""
    if outcome == ServiceType.Outcome.TRAINING:
        return {
            "training_hours": forms.IntegerField(
                label=_("Training hours"), required=False, min_value=0, max_value=5000
            ),
            "training_completed": _yes_no(_("Training completed")),
            "training_certified": _yes_no(_("Certified")),
        }
    if outcome == ServiceType.Outcome.JOB_PLACEMENT:
        return {
            "employer_sector": forms.ChoiceField(
                label=_("Employer sector"),
                required=False,
                choices=[("", "---------"), *ServiceDelivery.Sector.choices],
            ),
            "employment_formal": _yes_no(_("Formal employment")),
            "employment_start": forms.DateField(
                label=_("Start date"), required=False, widget=date_widget()
            ),
        }
    if outcome == ServiceType.Outcome.PSYCHOSOCIAL:
        return {
            "sessions_attended": forms.IntegerField(
                label=_("Sessions attended"), required=False, min_value=0, max_value=500
            ),
            "improvement_noted": _yes_no(_("Improvement noted")),
        }
    if outcome == ServiceType.Outcome.CASH:
        return {
            "cash_amount": forms.DecimalField(
                label=_("Amount"), required=False, min_value=0, max_digits=10, decimal_places=2
            ),
            "cash_currency": forms.ChoiceField(
                label=_("Currency"), choices=[(c, c) for c in CURRENCIES], initial=currency
            ),
        }
    return {}


class TickRowForm(forms.Form):
    """One service type: ticked or not, and how many."""

    selected = forms.BooleanField(required=False)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
    )

    def __init__(self, *args: Any, service_type: ServiceType, **kwargs: Any) -> None:
        super().__init__(*args, prefix=service_type.code, **kwargs)
        self.service_type = service_type
        self.fields["selected"].label = service_type.name
        self.fields["quantity"].widget.attrs["max"] = service_type.max_quantity

    @property
    def is_selected(self) -> bool:
        return self.is_bound and self.fields["selected"].widget.value_from_datadict(
            self.data, self.files, self.add_prefix("selected")
        )

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and not self.is_selected:
            self._errors = ErrorDict()  # not ticked: nothing to check

    def add_action_errors(self, messages: list[str], field: str | None = None) -> None:
        target = field if field in self.fields else None
        shown = self.errors.get(target or NON_FIELD_ERRORS, [])
        fresh = [m for m in messages if m not in shown]
        if fresh:
            self.add_error(target, fresh)


class DeliveryRowForm(TickRowForm):
    """A row of the record screen: tick, quantity, status and the type's outcome fields."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=ServiceDelivery.Status.choices,
        initial=ServiceDelivery.Status.COMPLETED,
    )

    def __init__(self, *args: Any, service_type: ServiceType, currency: str, **kwargs: Any):
        super().__init__(*args, service_type=service_type, **kwargs)
        self.outcome_names = tuple(_outcome_fields(service_type.outcome, currency))
        self.fields.update(_outcome_fields(service_type.outcome, currency))

    def outcome_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.outcome_names]

    def more_open(self) -> bool:
        """Open the row's <details> when it has errors or typed outcome values."""
        if self.errors:
            return True
        return self.is_bound and any(
            self.data.get(self.add_prefix(name)) not in (None, "", "unknown")
            for name in self.outcome_names
            if name != "cash_currency"
        )

    def outcomes(self) -> dict[str, Any]:
        """The outcome values typed for a valid row (empty ones left out)."""
        allowed = OUTCOME_FIELDS.get(self.service_type.outcome, ())
        return {
            name: self.cleaned_data[name]
            for name in self.outcome_names
            if name in allowed and self.cleaned_data.get(name) not in (None, "")
        }


class ConfirmRepeatForm(forms.Form):
    """A form whose action may answer "already recorded that day": its confirmation is a
    hidden field until the answer comes (offer_confirm_repeat), then a checkbox, kept last."""

    confirm_repeat = forms.BooleanField(required=False, widget=forms.HiddenInput)
    confirm_repeat_label: Any = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm_repeat"] = self.fields.pop("confirm_repeat")
        self.fields["confirm_repeat"].label = self.confirm_repeat_label
        if self.is_bound and self.data.get(self.add_prefix("confirm_repeat")) in ("on", "True"):
            self.offer_confirm_repeat()

    def offer_confirm_repeat(self) -> None:
        self.fields["confirm_repeat"].widget = forms.CheckboxInput()


class RecordForm(ConfirmRepeatForm):
    """What the ticked rows share: centre, date, provider, the person's case; and the client UUID."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    center = forms.ModelChoiceField(
        label=_("Reception centre"), queryset=ReceptionCenter.objects.none(), empty_label=None
    )
    delivered_on = forms.DateField(label=_("Date"), widget=date_widget())
    provider = forms.ModelChoiceField(
        label=_("Provider"), queryset=Provider.objects.none(), required=False
    )
    case = forms.ModelChoiceField(
        label=_("Case"),
        queryset=Case.objects.none(),
        required=False,
        help_text=_("Needed for the services given within a case (marked “within a case”)."),
    )
    confirm_repeat_label = _("The person really received it again: record it too")

    def __init__(
        self,
        *args: Any,
        centers: list[ReceptionCenter],
        cases: QuerySet[Case],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.centers = centers
        self.fields["center"].queryset = ReceptionCenter.objects.filter(
            pk__in=[c.pk for c in centers]
        )
        if len(centers) == 1:
            del self.fields["center"]
        self.fields["provider"].queryset = Provider.objects.filter(active=True)
        self.fields["case"].queryset = cases
        self.fields["case"].label_from_instance = lambda case: (
            f"{case.number} · {case.get_status_display()}"
        )

    def chosen_center(self) -> ReceptionCenter:
        if "center" in self.fields:
            return self.cleaned_data["center"]
        return self.centers[0]

    def add_action_errors(self, name: str, messages: list[str]) -> None:
        target = name if name in self.fields else None
        shown = self.errors.get(target or NON_FIELD_ERRORS, [])
        fresh = [m for m in messages if m not in shown]
        if fresh:
            self.add_error(target, fresh)


def place_delivery_errors(
    error: ValidationError, *, row: DeliveryRowForm, form: RecordForm
) -> None:
    """Put what service_delivery_record refused on the row (and the shared field it concerns)."""
    items = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    for name, messages in items:
        if name in ("delivered_on", "provider", "center"):
            form.add_action_errors(name, messages)
        elif name == "confirm_repeat":
            # Said on the row; confirmed once for the submission, in the shared part.
            row.add_action_errors(messages)
            form.offer_confirm_repeat()
        elif name == "case":
            # Fixed in the shared case field, but said on the row that needs it.
            row.add_action_errors(messages)
            form.add_action_errors("case", messages)
        else:
            row.add_action_errors(messages, field=name)


class DistributionForm(ConfirmRepeatForm):
    """The shared part of a bulk distribution: date, provider, the persons ticked; the client UUID."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    delivered_on = forms.DateField(label=_("Date"), widget=date_widget())
    provider = forms.ModelChoiceField(
        label=_("Provider"), queryset=Provider.objects.none(), required=False
    )
    persons = forms.MultipleChoiceField(
        label=_("People present"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "Someone who is not in this group was ticked. Nothing was recorded."
            )
        },
    )
    confirm_repeat_label = _("They really received them again: record them too")

    def __init__(self, *args: Any, persons: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.filter(active=True)
        self.fields["persons"].choices = [(str(p.pk), p.full_name) for p in persons]

    def ticked(self) -> set[str]:
        """The persons ticked as submitted (all of them before the first submit)."""
        if not self.is_bound:
            return {value for value, _label in self.fields["persons"].choices}
        return set(self.data.getlist(self.add_prefix("persons")))


class VoidForm(forms.Form):
    void_reason = forms.CharField(
        label=_("Why is this delivery voided?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: recorded for the wrong person, or twice."),
    )


class CorrectForm(forms.Form):
    """What a correction changes (quantity, date, status) and why; the service type stays (to
    change it, void the delivery and record the right one)."""

    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1000)
    delivered_on = forms.DateField(label=_("Date"), widget=date_widget())
    status = forms.ChoiceField(label=_("Status"), choices=ServiceDelivery.Status.choices)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        error_messages={"required": REASON_REQUIRED},  # the action's own words
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @staticmethod
    def initial_for(delivery: ServiceDelivery) -> dict[str, Any]:
        return {
            "quantity": delivery.quantity,
            "delivered_on": delivery.delivered_on,
            "status": delivery.status,
        }

    def changes(self, delivery: ServiceDelivery) -> dict[str, Any]:
        """The fields that differ from the delivery's."""
        return {
            name: self.cleaned_data[name]
            for name in ("quantity", "delivered_on", "status")
            if self.cleaned_data[name] != getattr(delivery, name)
        }


def currency_for(center: ReceptionCenter) -> str:
    return CURRENCY_BY_COUNTRY.get(getattr(center.country, "iso2", ""), "USD")
