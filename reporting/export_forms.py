"""The form that asks for a donor report export: the period is chosen from a list, never typed."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .donor_report import default_period_for, period_choices_for
from .exports import CSV, XLSX


class ExportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))
    kind = forms.ChoiceField(
        label=_("Format"),
        choices=[(XLSX, _("Excel workbook (XLSX)")), (CSV, _("CSV with HXL hashtags"))],
        initial=XLSX,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = period_choices_for(user, today)
        default = default_period_for(user, today)
        self.fields["period"].initial = default.label if default else None
