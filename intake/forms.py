"""Forms of the tablet intake flow (one small form per screen) and of the arrivals list.

The person and arrival screens are ModelForms, so the models' own clean() rules (dates,
document formats, municipality in department) are what the caseworker sees, on the field
they concern. Errors an action raises under model field names land on the same fields.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.actions import PERSON_FIELDS, birth_date_from_age
from registry.forms import ModelErrorsMixin, date_widget
from registry.models import (
    Country,
    Department,
    DocumentType,
    MigrationReason,
    Municipality,
    Person,
    ReceptionCenter,
)

from .actions import ARRIVAL_FIELDS
from .filters import ArrivalFilter
from .models import Arrival


class CenterForm(forms.Form):
    center = forms.ModelChoiceField(
        label=_("Reception centre"),
        queryset=ReceptionCenter.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args: Any, centers: QuerySet[ReceptionCenter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = centers


class PersonForm(ModelErrorsMixin, forms.ModelForm):
    sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices, widget=forms.RadioSelect)
    age_years = forms.IntegerField(
        label=_("Age in years"),
        required=False,
        min_value=0,
        max_value=110,
        help_text=_("Only when the date of birth is not known."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = Person
        fields = [
            "given_names",
            "first_surname",
            "second_surname",
            "sex",
            "birth_date",
            "birth_date_estimated",
            "nationality",
            "document_type",
            "document_number",
        ]
        widgets = {"birth_date": date_widget()}
        help_texts = {"document_number": _("Spaces and dashes do not matter.")}

    field_order = [
        "given_names",
        "first_surname",
        "second_surname",
        "sex",
        "birth_date",
        "age_years",
        "birth_date_estimated",
        "nationality",
        "document_type",
        "document_number",
    ]

    def __init__(self, *args: Any, center: ReceptionCenter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.center = center
        self.fields["nationality"].queryset = Country.objects.all()
        self.fields["document_type"].queryset = DocumentType.objects.filter(active=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("birth_date") is None and not self.has_error("birth_date"):
            age = cleaned.get("age_years")
            if age is not None:
                today = self.center.local_now().date()
                cleaned["birth_date"] = birth_date_from_age(age_years=age, today=today)
                cleaned["birth_date_estimated"] = True
            elif not self.has_error("age_years"):
                self.add_error("birth_date", _("Enter the date of birth or the age in years."))
        return cleaned

    def error_target(self, name: str) -> str | None:
        # A date of birth worked out from the age is reported on the age the caseworker typed.
        typed = self.data.get(self.add_prefix("birth_date"))
        if name == "birth_date" and not typed and self.data.get(self.add_prefix("age_years")):
            name = "age_years"
        return super().error_target(name)

    def match_query(self) -> dict[str, Any]:
        """The arguments of intake.matching.duplicate_candidates for a valid form."""
        return {
            "given_names": self.instance.given_names,
            "first_surname": self.instance.first_surname,
            "second_surname": self.instance.second_surname,
            "birth_date": self.instance.birth_date,
            "birth_date_estimated": self.instance.birth_date_estimated,
            "document_number": self.instance.document_number,
        }


class OriginForm(ModelErrorsMixin, forms.ModelForm):
    """Origin and contact of a new person; bound to the unsaved person of the first screen."""

    class Meta:
        model = Person
        fields = [
            "origin_department",
            "origin_municipality",
            "indigenous_people",
            "language",
            "phone",
            "gender_identity",
        ]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.instance.nationality if self.instance.nationality_id else None
        if country is None or not country.is_programme_country:
            del self.fields["origin_department"]
            del self.fields["origin_municipality"]
            return
        self.fields["origin_department"].queryset = Department.objects.filter(
            country=country
        ).order_by("name")
        municipality = self.fields["origin_municipality"]
        # Any municipality of the country is accepted here so that one from another
        # department gets the model's own message; only the chosen department's are offered.
        municipality.queryset = Municipality.objects.filter(department__country=country)
        department_id = self.chosen_department_id()
        offered = Municipality.objects.filter(department_id=department_id).order_by("name")
        empty = _("Choose a department first") if department_id is None else "---------"
        municipality.widget.choices = [("", empty), *offered.values_list("pk", "name")]

    def chosen_department_id(self) -> int | None:
        if self.is_bound:
            raw = self.data.get(self.add_prefix("origin_department"))
        else:
            raw = self.initial.get("origin_department")
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def person_data(self) -> dict[str, Any]:
        """The new person's fields for intake.actions.arrival_register, from a valid form."""
        return {name: getattr(self.instance, name) for name in PERSON_FIELDS}


class ArrivalForm(ModelErrorsMixin, forms.ModelForm):
    arrival_date = forms.DateField(label=_("Date of arrival"), widget=date_widget())
    arrival_time = forms.TimeField(
        label=_("Time of arrival"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Local time at the reception centre."),
    )
    mode = forms.ChoiceField(
        label=_("Return mode"), choices=Arrival.Mode.choices, widget=forms.RadioSelect
    )
    # Shown (as a checkbox) once registration said the person already arrived here in the last
    # 24 hours (intake.actions.REPEAT_WINDOW); hidden until then.
    confirm_repeat = forms.BooleanField(
        label=_("The person really returned again: register this arrival too"),
        required=False,
        widget=forms.HiddenInput,
    )
    error_field_map = {"arrived_at": "arrival_date", "family_group": "travel_group"}

    class Meta:
        model = Arrival
        fields = [
            "mode",
            "returned_from",
            "transport_reference",
            "travel_group",
            "reasons",
            "intends_to_migrate_again",
            "needs",
            "protection_concerns",
        ]
        widgets = {
            "travel_group": forms.RadioSelect,
            "reasons": forms.CheckboxSelectMultiple,
            "intends_to_migrate_again": forms.RadioSelect,
            "needs": forms.Textarea(attrs={"rows": 3}),
            "protection_concerns": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = ["arrival_date", "arrival_time", "mode"]

    def __init__(
        self,
        *args: Any,
        center: ReceptionCenter,
        family_group: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.center = self.instance.center = center  # the model checks the date at the centre
        self.family_group = uuid.UUID(family_group) if family_group else None
        self.fields["returned_from"].queryset = Country.objects.all()
        self.fields["reasons"].queryset = MigrationReason.objects.filter(active=True)
        if self.is_bound and self.data.get(self.add_prefix("confirm_repeat")) in ("on", "True"):
            self.offer_confirm_repeat()

    def offer_confirm_repeat(self) -> None:
        self.fields["confirm_repeat"].widget = forms.CheckboxInput()

    @staticmethod
    def defaults(center: ReceptionCenter) -> dict[str, Any]:
        """Initial values for a new arrival: now, in the centre's own time zone."""
        now = center.local_now()
        mode = {
            ReceptionCenter.Kind.AIR: Arrival.Mode.AIR,
            ReceptionCenter.Kind.LAND: Arrival.Mode.LAND,
        }
        returned_from = Country.objects.filter(iso2="US").values_list("pk", flat=True).first()
        return {
            "arrival_date": now.date().isoformat(),
            "arrival_time": now.strftime("%H:%M"),
            "mode": mode.get(center.kind, ""),
            "returned_from": returned_from,
        }

    @staticmethod
    def same_group(arrival: Arrival) -> dict[str, Any]:
        """Initial values to register someone who travelled with `arrival`."""
        local = timezone.localtime(arrival.arrived_at, arrival.center.tzinfo)
        return {
            "arrival_date": local.date().isoformat(),
            "arrival_time": local.strftime("%H:%M"),
            "mode": arrival.mode,
            "returned_from": arrival.returned_from_id,
            "transport_reference": arrival.transport_reference,
            "travel_group": arrival.travel_group,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        day, at = cleaned.get("arrival_date"), cleaned.get("arrival_time")
        if day and at:
            self.instance.arrived_at = timezone.make_aware(
                datetime.combine(day, at), self.center.tzinfo
            )
        if cleaned.get("travel_group") == Arrival.TravelGroup.FAMILY_UNIT:
            self.instance.family_group = self.family_group or uuid.uuid4()
        else:
            self.instance.family_group = None
        return cleaned

    def arrival_data(self) -> dict[str, Any]:
        """The arrival's fields for intake.actions.arrival_register, from a valid form."""
        return {name: getattr(self.instance, name) for name in ARRIVAL_FIELDS}


class MatchForm(forms.Form):
    """The caseworker's answer on the possible matches: one of them, or a new person."""

    NEW = "new"
    choice = forms.ChoiceField()

    def __init__(self, *args: Any, candidates: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [
            *((str(c.person_id), c.given_names) for c in candidates),
            (self.NEW, _("None of these: new person")),
        ]


class ArrivalListFilter(ArrivalFilter):
    """The day's arrivals on a tablet: one centre, one day, a name or a document. The same
    FilterSet as the API list (intake.filters.ArrivalFilter), showing fewer of its filters."""

    SHOWN = ("q", "day", "center")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centers = list(self.filters["center"].queryset(self.request))
        if len(self.centers) == 1:
            del self.filters["center"]
        else:
            # The same parameter (a centre's code), offered from the centres read once above.
            by_code = {center.code: center for center in self.centers}
            self.filters["center"] = django_filters.TypedChoiceFilter(
                field_name="center",
                label=self.filters["center"].label,
                choices=[(center.code, center.name) for center in self.centers],
                coerce=by_code.__getitem__,
                empty_value=None,
            )
        self.filters["day"].extra.update(widget=date_widget(), help_text="")
        self.filters["q"].extra["widget"] = forms.TextInput(attrs={"type": "search"})
        self.filters = {name: self.filters[name] for name in self.SHOWN if name in self.filters}

    def chosen(self) -> tuple[ReceptionCenter, date | None]:
        """The centre (the user's first by default) and the day asked for (None: today there);
        what the form refused is left at its default."""
        self.is_valid()
        cleaned = getattr(self.form, "cleaned_data", {})
        return cleaned.get("center") or self.centers[0], cleaned.get("day")
