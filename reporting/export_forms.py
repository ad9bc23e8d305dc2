"""The form that asks for a donor report export."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .disclosure import DONOR_PERIOD_KINDS
from .exports import CSV, XLSX
from .periods import period_parse


class ExportForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=40,
        help_text=_(
            "A fiscal year (FY2026), a fiscal quarter (FY2026-Q1), a month (2026-03) or a year (2026)."
        ),
    )
    kind = forms.ChoiceField(
        label=_("Format"),
        choices=[(XLSX, _("Excel workbook (XLSX)")), (CSV, _("CSV with HXL hashtags"))],
        initial=XLSX,
        widget=forms.RadioSelect,
    )

    def clean_period(self) -> str:
        text = self.cleaned_data["period"]
        try:
            period = period_parse(text)
        except ValueError:
            period = None
        if period is None or period.kind not in DONOR_PERIOD_KINDS:
            raise forms.ValidationError(
                _("Enter a whole period: FY2026, FY2026-Q1, 2026-03 or 2026.")
            )
        return period.label
