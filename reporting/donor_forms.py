"""The donor report's period: chosen from the whole periods offered, never typed."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .donor_report import donor_default_period, donor_period_choices
from .periods import Period, period_parse


class DonorReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["period"].choices = donor_period_choices(today)
        self.fields["period"].initial = donor_default_period(today).label

    def chosen(self) -> Period | None:
        """The period asked for; the default one when nothing was asked; None if invalid."""
        if not self.is_bound:
            return donor_default_period(self.today)
        return period_parse(self.cleaned_data["period"]) if self.is_valid() else None
