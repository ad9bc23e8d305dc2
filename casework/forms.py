"""Forms of the case pages: opening a case and the small forms of the case page, one per action.

Each form only parses what the caseworker typed; the action it feeds decides what is allowed.
Errors an action raises under a model field name land on the field that shows it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from registry.models import (
    ClosureReason,
    Partner,
    ReceptionCenter,
    ServiceLine,
    VulnerabilityCategory,
)
from registry.selectors import center_staff

from .filters import ASSIGNED_TO_ME, ASSIGNED_TO_NOBODY, CaseFilter
from .models import Case, CaseGoal, CaseNote, Dimension, FollowUp, Referral
from .permissions import partners_for_case


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class ActionErrorsMixin:
    """Puts an error an action raised under a model field name on the form field showing it.

    A name the form has no field for becomes an error of the whole form, never a crash.
    """

    error_field_map: dict[str, str] = {}

    def add_error(self, field: str | None, error: Any) -> None:
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if field is not None or not hasattr(error, "error_dict"):
            super().add_error(field, error)  # type: ignore[misc]
            return
        for name, errors in error.error_dict.items():
            target = self.error_field_map.get(name, name)
            if name == NON_FIELD_ERRORS or target not in self.fields:  # type: ignore[attr-defined]
                target = None
            super().add_error(target, ValidationError(errors).messages)  # type: ignore[misc]


class VersionedForm(ActionErrorsMixin, forms.Form):
    """A form that changes a versioned row (the case, a goal): it carries the version the
    caseworker started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- Opening a case ---------------------------------------------------------------------------


class CaseOpenForm(ActionErrorsMixin, forms.Form):
    center = forms.ModelChoiceField(
        label=_("Reception centre"),
        queryset=ReceptionCenter.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    assigned_to = UserChoiceField(
        label=_("Assigned caseworker"),
        queryset=get_user_model().objects.none(),
        empty_label=None,
    )
    restricted = forms.BooleanField(
        label=_("Restricted case"),
        required=False,
        help_text=_(
            "For sensitive cases, e.g. gender-based violence. Only the assigned caseworker and "
            "the centre's supervisors will be able to open it; it will not appear in anyone "
            "else's lists."
        ),
    )
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, centers: list[ReceptionCenter], actor: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_uuid", uuid.uuid4())
        kwargs["initial"].setdefault("assigned_to", actor.pk)
        if len(centers) == 1:
            kwargs["initial"].setdefault("center", centers[0].pk)
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = ReceptionCenter.objects.filter(
            pk__in=[c.pk for c in centers]
        )
        if len(centers) == 1:
            self.fields["center"].widget = forms.HiddenInput()
        self.fields["assigned_to"].queryset = center_staff(center_ids=[c.pk for c in centers])


# --- The case page's forms --------------------------------------------------------------------


class AssessForm(VersionedForm):
    vulnerabilities = forms.ModelMultipleChoiceField(
        label=_("Vulnerabilities"),
        queryset=VulnerabilityCategory.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    economic_needs = forms.CharField(
        label=_("Economic needs"), required=False, max_length=2000, widget=_textarea()
    )
    social_needs = forms.CharField(
        label=_("Social needs"), required=False, max_length=2000, widget=_textarea()
    )
    psychosocial_needs = forms.CharField(
        label=_("Psychosocial needs"), required=False, max_length=2000, widget=_textarea()
    )

    @classmethod
    def for_case(cls, case: Case, vulnerabilities: list) -> AssessForm:
        return cls(
            initial={
                "version": case.version,
                "vulnerabilities": [v.pk for v in vulnerabilities],
                "economic_needs": case.economic_needs,
                "social_needs": case.social_needs,
                "psychosocial_needs": case.psychosocial_needs,
            }
        )


class NoteForm(ActionErrorsMixin, forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=_textarea(4))
    corrects = forms.ModelChoiceField(
        queryset=CaseNote.objects.none(), required=False, widget=forms.HiddenInput
    )
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["corrects"].queryset = CaseNote.objects.filter(case=case)


class GoalForm(ActionErrorsMixin, forms.Form):
    dimension = forms.ChoiceField(label=_("Dimension"), choices=Dimension.choices)
    description = forms.CharField(label=_("Goal"), max_length=300)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=_date_widget())


class GoalProgressForm(VersionedForm):
    progress = forms.ChoiceField(label=_("Progress"), choices=CaseGoal.Progress.choices)

    @classmethod
    def for_goal(cls, goal: CaseGoal) -> GoalProgressForm:
        return cls(
            initial={"progress": goal.progress, "version": goal.version}, prefix=f"goal-{goal.pk}"
        )


class ReferralForm(ActionErrorsMixin, forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=Partner.objects.none(),
        error_messages={"invalid_choice": _("Choose a partner organisation.")},
    )
    service_line = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceLine.objects.filter(active=True)
    )
    reason = forms.CharField(
        label=_("Reason for the referral"), required=False, max_length=2000, widget=_textarea()
    )
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners_for_case(case)


class ReferralStatusForm(ActionErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    outcome_note = forms.CharField(
        label=_("Outcome"), required=False, max_length=2000, widget=_textarea(2)
    )

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"referral-{referral.pk}")
        super().__init__(*args, **kwargs)
        allowed = Referral.TRANSITIONS.get(referral.status, set())
        self.fields["status"].choices = [
            (value, label) for value, label in Referral.Status.choices if value in allowed
        ]


class FollowUpForm(ActionErrorsMixin, forms.Form):
    due_date = forms.DateField(label=_("Due date"), widget=_date_widget())
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=200)


class FollowUpDoneForm(ActionErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=FollowUp.Outcome.choices, widget=forms.RadioSelect
    )
    outcome_note = forms.CharField(
        label=_("Outcome note"), required=False, max_length=2000, widget=_textarea(2)
    )

    def __init__(self, *args: Any, follow_up: FollowUp, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"follow-up-{follow_up.pk}")
        super().__init__(*args, **kwargs)


class CloseForm(VersionedForm):
    error_field_map = {"closure_reason": "reason"}

    reason = forms.ModelChoiceField(
        label=_("Closure reason"), queryset=ClosureReason.objects.filter(active=True)
    )
    note = forms.CharField(
        label=_("Closure note"), required=False, max_length=2000, widget=_textarea()
    )


class ReopenForm(VersionedForm):
    pass


class AssignForm(VersionedForm):
    assigned_to = UserChoiceField(
        label=_("Assigned caseworker"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args: Any, center: ReceptionCenter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = center_staff(center_ids=[center.pk])


class RestrictForm(VersionedForm):
    restricted = forms.TypedChoiceField(
        coerce=lambda value: value == "1",
        choices=[("1", "1"), ("0", "0")],
        widget=forms.HiddenInput,
    )


class CaseListFilter(CaseFilter):
    """The case list's filters on a tablet: text, status and whose cases (the API offers more)."""

    SHOWN = ("q", "status", "assigned_to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.filters):
            if name not in self.SHOWN:
                del self.filters[name]
        self.filters["assigned_to"].label = _("Assigned to")
        self.filters["assigned_to"].extra["widget"] = forms.Select(
            choices=[
                ("", _("Anyone")),
                (ASSIGNED_TO_ME, _("Me")),
                (ASSIGNED_TO_NOBODY, _("Nobody")),
            ]
        )
        self.filters["assigned_to"].extra["help_text"] = ""
        self.filters["q"].extra["widget"] = forms.TextInput(attrs={"type": "search"})
