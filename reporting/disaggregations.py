"""Disaggregations: the dimensions an indicator can be broken down by, computed in the database.

Each dimension gives every counted event (an arrival or a service delivery) one value, as an SQL
expression, except `vulnerability`, which can give a person several: it is counted value by
value, one filtered query per category (a person with two vulnerabilities is in both cells).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    ExtractDay,
    ExtractMonth,
    ExtractYear,
    TruncDate,
)
from django.db.models.lookups import IsNull, LessThan
from django.utils.translation import gettext_lazy as _

from casework.models import Case as CasefileModel
from intake.models import Arrival
from registry.models import (
    TIME_ZONES,
    Country,
    Department,
    Person,
    ReceptionCenter,
    VulnerabilityCategory,
)
from services.models import ServiceType

ARRIVAL = "arrival"
DELIVERY = "delivery"
UNKNOWN = "unknown"
NONE = "none"
YES, NO = "yes", "no"

# (lowest age, highest age or None for open-ended), in whole years at the event date.
DEFAULT_AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 4),
    (5, 11),
    (12, 17),
    (18, 24),
    (25, 59),
    (60, None),
)


@dataclass(frozen=True)
class Disaggregation:
    code: str
    label: str
    events: frozenset[str]  # the kinds of counted event it applies to
    # Closed: every value is listed, with zeros. Open (countries, departments...): only those seen.
    closed: bool = True
    # Several values per event (vulnerability): counted value by value.
    multi: bool = False


_BOTH = frozenset({ARRIVAL, DELIVERY})
DISAGGREGATIONS: dict[str, Disaggregation] = {
    d.code: d
    for d in (
        Disaggregation("sex", _("Sex"), _BOTH),
        Disaggregation("age_band", _("Age band at the event date"), _BOTH),
        Disaggregation("country", _("Nationality"), _BOTH, closed=False),
        Disaggregation("department", _("Department of origin"), _BOTH, closed=False),
        Disaggregation("center", _("Reception centre"), _BOTH, closed=False),
        Disaggregation("mode", _("Return mode"), frozenset({ARRIVAL})),
        Disaggregation("returned_from", _("Returned from"), frozenset({ARRIVAL}), closed=False),
        Disaggregation("unaccompanied_minor", _("Unaccompanied minor"), frozenset({ARRIVAL})),
        Disaggregation("vulnerability", _("Vulnerability"), _BOTH, multi=True),
        Disaggregation("service_type", _("Service type"), frozenset({DELIVERY}), closed=False),
    )
}


def age_bands() -> tuple[tuple[int, int | None], ...]:
    """The bands from settings.REPORTING_AGE_BANDS, or the default ones."""
    return tuple(getattr(settings, "REPORTING_AGE_BANDS", DEFAULT_AGE_BANDS))


def age_band_label(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else f"{low}-{high}"


def age_band_text(band: str) -> str:
    """A band as a CSV writes it: "60+ years", "5-11 years". A spreadsheet opening a CSV reads
    a bare "60+" as the number 60 and "5-11" as a date, whatever the quoting; the
    word keeps it text. (XLSX cells are typed: there the band stays "60+".)"""
    if band == UNKNOWN:
        return band
    return str(_("%(band)s years")) % {"band": band}


def age_band_of(age: int | None) -> str:
    """The band of an age in years (Python side, for labels and tests)."""
    if age is None or age < 0:
        return UNKNOWN
    for low, high in age_bands():
        if age >= low and (high is None or age <= high):
            return age_band_label(low, high)
    return UNKNOWN


def event_local_date(event: str):
    """The event's date at its centre: arrivals converted to the centre's zone, deliveries as is."""
    if event == DELIVERY:
        return F("delivered_on")
    return Case(
        *(
            When(center__time_zone=tz, then=TruncDate("arrived_at", tzinfo=zoneinfo.ZoneInfo(tz)))
            for tz, _label in TIME_ZONES
        ),
        default=TruncDate("arrived_at"),
        output_field=DateField(),
    )


def age_expression(event: str):
    """The person's age in whole years at the event date (NULL without a date of birth)."""
    day = event_local_date(event)
    born = F("person__birth_date")
    # The year difference, less one if the birthday is still to come that year.
    day_md = ExtractMonth(day) * 100 + ExtractDay(day)
    born_md = ExtractMonth(born) * 100 + ExtractDay(born)
    return (
        ExtractYear(day)
        - ExtractYear(born)
        - Case(When(LessThan(day_md, born_md), then=Value(1)), default=Value(0))
    )


def age_band_case(age):
    """The band of an age expression; "unknown" when the age is missing or negative."""
    whens = [When(IsNull(age, True), then=Value(UNKNOWN))]
    whens.append(When(LessThan(age, Value(0)), then=Value(UNKNOWN)))
    for low, high in age_bands():
        label = Value(age_band_label(low, high))
        if high is None:
            whens.append(When(LessThan(Value(low - 1), age), then=label))
        else:
            whens.append(When(LessThan(age, Value(high + 1)), then=label))
    return Case(*whens, default=Value(UNKNOWN), output_field=CharField())


def _age_band_expression(event: str):
    return age_band_case(age_expression(event))


def dimension_expression(code: str, event: str):
    """The SQL expression giving an event its value in a single-valued dimension."""
    if code == "sex":
        return F("person__sex")
    if code == "age_band":
        return _age_band_expression(event)
    if code == "country":
        return F("person__nationality__iso2")
    if code == "department":
        return Coalesce(F("person__origin_department__iso_code"), Value(UNKNOWN))
    if code == "center":
        return F("center__code")
    if code == "mode":
        return F("mode")
    if code == "returned_from":
        return F("returned_from__iso2")
    if code == "unaccompanied_minor":
        return Case(
            When(travel_group=Arrival.TravelGroup.UNACCOMPANIED_MINOR, then=Value(YES)),
            default=Value(NO),
            output_field=CharField(),
        )
    if code == "service_type":
        return F("service_type__code")
    raise ValueError(f"No single value for dimension {code}")


def dimension_filters(code: str) -> list[tuple[str, Q]]:
    """For a multi-valued dimension: (value, condition on the event row) for every value."""
    if code != "vulnerability":
        raise ValueError(f"Not a multi-valued dimension: {code}")
    through = CasefileModel.vulnerabilities.through
    filters = [
        (
            category_code,
            Q(
                Exists(
                    through.objects.filter(
                        case__person=OuterRef("person"), vulnerabilitycategory_id=category_id
                    )
                )
            ),
        )
        for category_id, category_code in VulnerabilityCategory.objects.values_list("pk", "code")
    ]
    filters.append((NONE, ~Q(Exists(through.objects.filter(case__person=OuterRef("person"))))))
    return filters


def dimension_values(code: str, seen: Iterable[str]) -> list[str]:
    """The values of a dimension shown in a table: all of them if closed, else those seen."""
    seen = {value for value in seen if value is not None}
    if code == "sex":
        return list(Person.Sex.values)
    if code == "age_band":
        return [age_band_label(low, high) for low, high in age_bands()] + [UNKNOWN]
    if code == "mode":
        return list(Arrival.Mode.values)
    if code == "unaccompanied_minor":
        return [YES, NO]
    if code == "vulnerability":
        return [*VulnerabilityCategory.objects.values_list("code", flat=True), NONE]
    ordered = sorted(seen - {UNKNOWN})
    return [*ordered, UNKNOWN] if UNKNOWN in seen else ordered


def dimension_labels(code: str, values: Iterable[str]) -> dict[str, str]:
    """Display names of the values, in the active language (one query at most)."""
    values = list(values)
    labels: dict[str, str] = {UNKNOWN: str(_("Unknown")), NONE: str(_("None recorded"))}
    if code == "sex":
        labels.update({v: str(label) for v, label in Person.Sex.choices})
    elif code == "age_band":
        labels.update({v: v for v in values if v != UNKNOWN})
    elif code == "mode":
        labels.update({v: str(label) for v, label in Arrival.Mode.choices})
    elif code == "unaccompanied_minor":
        labels.update({YES: str(_("Yes")), NO: str(_("No"))})
    elif code in ("country", "returned_from"):
        labels.update({c.iso2: c.name for c in Country.objects.filter(iso2__in=values)})
    elif code == "department":
        labels.update({d.iso_code: d.name for d in Department.objects.filter(iso_code__in=values)})
    elif code == "center":
        labels.update({c.code: c.name for c in ReceptionCenter.objects.filter(code__in=values)})
    elif code == "vulnerability":
        labels.update(
            {c.code: c.name for c in VulnerabilityCategory.objects.filter(code__in=values)}
        )
    elif code == "service_type":
        labels.update({s.code: s.name for s in ServiceType.objects.filter(code__in=values)})
    return {value: labels.get(value, value) for value in values}


def applicable(code: str, event: str) -> bool:
    found = DISAGGREGATIONS.get(code)
    return found is not None and event in found.events


def dims_check(dims: tuple[str, ...], event: str) -> None:
    """ValueError unless `dims` are 0 to 2 different dimensions that apply to the event."""
    if len(dims) > 2:
        raise ValueError("At most two dimensions.")
    if len(set(dims)) != len(dims):
        raise ValueError("A dimension cannot be used twice.")
    for code in dims:
        if code not in DISAGGREGATIONS:
            raise ValueError(f"Unknown dimension: {code}")
        if not applicable(code, event):
            raise ValueError(f"The dimension {code} does not apply to this indicator.")
