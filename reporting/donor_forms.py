"""The donor report's period: chosen from the whole periods offered, never typed."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .donor_report import default_period_for, period_choices_for
from .periods import Period, period_parse


class DonorReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))

    def __init__(self, *args, user, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default_period_for(user, today)
        self.fields["period"].choices = period_choices_for(user, today)
        self.fields["period"].initial = self.default.label if self.default else None

    def chosen(self) -> Period | None:
        """The period asked for; the default one when nothing was asked (None before any
        release, for a donor); None if invalid."""
        if not self.is_bound:
            return self.default
        return period_parse(self.cleaned_data["period"]) if self.is_valid() else None
