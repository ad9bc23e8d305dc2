"""The dashboard's filters: a whole period, one of the user's centres, a country of those centres."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry.models import ReceptionCenter

from .periods import (
    CALENDAR_YEAR,
    FISCAL_QUARTER,
    FISCAL_YEAR,
    MONTH,
    Period,
    calendar_year,
    fiscal_quarter,
    fiscal_year,
    month,
    period_parse,
)

YEARS_BACK = 4  # fiscal and calendar years offered before the current one
QUARTERS_BACK = 8
MONTHS_BACK = 24


def fiscal_year_of(day: date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


def period_name(period: Period) -> str:
    """How a period reads in a list or a heading, in the active language."""
    if period.kind == FISCAL_YEAR:
        return gettext("Fiscal year %(year)s") % {"year": period.end.year}
    if period.kind == FISCAL_QUARTER:
        return gettext("Fiscal year %(year)s, quarter %(quarter)s") % {
            "year": period.label[2:6],
            "quarter": period.label[-1],
        }
    if period.kind == MONTH:
        return formats.date_format(period.start, "YEAR_MONTH_FORMAT")
    if period.kind == CALENDAR_YEAR:
        return gettext("Calendar year %(year)s") % {"year": period.start.year}
    return period.label


def period_choices(today: date) -> list[tuple[str, list[tuple[str, str]]]]:
    """Recent whole periods, grouped by kind, newest first."""
    fy = fiscal_year_of(today)
    years = [fiscal_year(fy - back) for back in range(YEARS_BACK + 1)]
    quarter = (today.month - 10) % 12 // 3 + 1
    quarters = []
    year, q = fy, quarter
    for _back in range(QUARTERS_BACK):
        quarters.append(fiscal_quarter(year, q))
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    months = []
    y, m = today.year, today.month
    for _back in range(MONTHS_BACK):
        months.append(month(y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    calendar = [calendar_year(today.year - back) for back in range(YEARS_BACK + 1)]
    groups = (
        (gettext("Fiscal years (October to September)"), years),
        (gettext("Fiscal quarters"), quarters),
        (gettext("Months"), months),
        (gettext("Calendar years"), calendar),
    )
    return [(name, [(p.label, period_name(p)) for p in periods]) for name, periods in groups]


class DashboardForm(forms.Form):
    """Bound to the query string; unbound (or empty) means the current fiscal year, all centres.

    The centre and country lists come from the user's centres (already loaded by the view), so
    the form makes no query of its own and offers nothing outside the user's scope.
    """

    period = forms.ChoiceField(label=_("Period"), required=False)
    center = forms.ChoiceField(label=_("Reception centre"), required=False)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        help_text=_("The country of the reception centre."),
    )

    def __init__(self, *args, centers: list[ReceptionCenter], today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.centers = centers
        self.today = today or timezone.localdate()
        self.fields["period"].choices = period_choices(self.today)
        self.fields["center"].choices = [("", _("All my centres"))] + [
            (center.code, center.name) for center in centers
        ]
        countries = {center.country.iso2: center.country.name for center in centers}
        self.fields["country"].choices = [("", _("All countries"))] + sorted(
            countries.items(), key=lambda item: item[1]
        )

    def default_period(self) -> Period:
        return fiscal_year(fiscal_year_of(self.today))

    def selection(self) -> tuple[Period, list[ReceptionCenter]]:
        """The period and centres chosen (valid form), or the defaults (unbound form)."""
        data = self.cleaned_data if self.is_bound else {}
        text = data.get("period")
        period = period_parse(text) if text else self.default_period()
        centers = self.centers
        if data.get("center"):
            centers = [c for c in centers if c.code == data["center"]]
        if data.get("country"):
            centers = [c for c in centers if c.country.iso2 == data["country"]]
        return period, centers
