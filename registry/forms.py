"""Forms of the registry's pages: the registry search, correcting a person's details, consents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from .actions import (
    MERGE_REASON_REQUIRED,
    PERSON_FIELDS,
    REASON_REQUIRED,
    UNMERGE_REASON_REQUIRED,
)
from .filters import PersonFilter
from .models import Consent, Country, Department, DocumentType, Municipality, Person


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ModelErrorsMixin:
    """Puts an error raised under a model field name on the form field that shows it.

    A name the form has no field for becomes an error of the whole form (never a crash). A
    field the form itself already refused gets no second message from the model (an empty
    name would otherwise read "required" twice, in two wordings once translated).
    """

    error_field_map: dict[str, str] = {}

    def error_target(self, name: str) -> str | None:
        name = self.error_field_map.get(name, name)
        return name if name in self.fields else None

    def add_error(self, field: str | None, error: Any) -> None:
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if field is not None or not hasattr(error, "error_dict"):
            super().add_error(field, error)
            return
        for name, errors in error.error_dict.items():
            target = None if name == NON_FIELD_ERRORS else self.error_target(name)
            if target is not None and target in (self._errors or {}):
                continue
            shown = (self._errors or {}).get(NON_FIELD_ERRORS, [])
            messages = [m for m in ValidationError(errors).messages if m not in shown]
            if messages:
                super().add_error(target, messages)


class PersonCorrectForm(ModelErrorsMixin, forms.ModelForm):
    """Every identifying and contact detail of a person, the reason, and the version the
    caseworker started from. Nothing is saved by the form: registry.actions.person_correct is."""

    sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=500,
        error_messages={"required": REASON_REQUIRED},  # the action's own words
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the name was misspelt at intake; the person has a new phone."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Person
        fields = list(PERSON_FIELDS)
        widgets = {
            "birth_date": date_widget(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {"document_number": _("Spaces and dashes do not matter.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nationality"].queryset = Country.objects.all()
        self.fields["document_type"].queryset = DocumentType.objects.filter(active=True)
        programme = Department.objects.filter(country__is_programme_country=True)
        self.fields["origin_department"].queryset = programme.order_by(
            "country__sort_order", "name"
        )
        municipality = self.fields["origin_municipality"]
        # Any programme-country municipality is accepted, so that one of another department
        # gets the model's own message; the chosen department's are offered.
        municipality.queryset = Municipality.objects.filter(department__in=programme)
        department_id = self._chosen_department_id()
        offered = Municipality.objects.filter(department_id=department_id).order_by("name")
        municipality.widget.choices = [("", "---------"), *offered.values_list("pk", "name")]
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def _chosen_department_id(self) -> int | None:
        raw = (
            self.data.get(self.add_prefix("origin_department"))
            if self.is_bound
            else self.instance.origin_department_id
        )
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def _post_clean(self) -> None:
        # The action validates the whole person (with the reason and the version) under a lock;
        # the form only checks its fields, so that nothing is validated twice differently.
        pass

    def person_data(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in PERSON_FIELDS if name in self.cleaned_data
        }


class PersonSearchFilter(PersonFilter):
    """The registry search page: the API list's FilterSet, showing its text box and the date
    of birth (which narrows a common name to the person)."""

    SHOWN = ("q", "birth_date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["q"].extra["widget"] = forms.TextInput(attrs={"type": "search"})
        self.filters["birth_date"].extra["widget"] = date_widget()
        self.filters = {name: self.filters[name] for name in self.SHOWN}


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class ConsentsForm(ModelErrorsMixin, forms.Form):
    """One yes/no answer per kind of consent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Consent.Kind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=YES_NO, widget=forms.RadioSelect
            )

    def consents(self) -> dict[str, bool]:
        return {kind: self.cleaned_data[kind] == "yes" for kind in Consent.Kind.values}


class ReasonForm(forms.Form):
    """The reason for voiding or correcting a record (required by the action, which says so)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": REASON_REQUIRED},  # the action's own words
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: registered twice; the wrong person was chosen."),
    )


KEEP_CHOICES = [("kept", _("Keep")), ("other", _("Take the other"))]


class PersonMergeForm(forms.Form):
    """Which value to keep where the two records differ, the reason, and the versions compared.
    Nothing is merged by the form: registry.actions.person_merge is."""

    reason = forms.CharField(
        label=_("Reason for the merge"),
        max_length=500,
        error_messages={"required": MERGE_REASON_REQUIRED},  # the action's own words
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: same DPI; registered twice on the same flight."),
    )
    kept_version = forms.IntegerField(widget=forms.HiddenInput)
    other_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, differing: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for choice in differing:
            self.fields[f"value_{choice}"] = forms.ChoiceField(
                choices=KEEP_CHOICES, initial="kept", required=False, widget=forms.RadioSelect
            )
        self.differing = differing

    def taken(self) -> list[str]:
        """The choices whose value comes from the other record."""
        return [c for c in self.differing if self.cleaned_data.get(f"value_{c}") == "other"]


class UnmergeForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        error_messages={"required": UNMERGE_REASON_REQUIRED},  # the action's own words
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: they are two sisters with similar names."),
    )
