"""FilterSets of intake lists, shared by the HTML arrivals list and the API list.

They narrow a queryset already scoped to the user (intake.selectors.arrival_list).
"""

from __future__ import annotations

from datetime import date

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.filtering import DateFilter, DateFromToRangeFilter
from registry.models import ReceptionCenter
from registry.permissions import readable_centers_for

from .models import Arrival
from .selectors import arrivals_on_local_day, arrivals_search


def _user_centers(request) -> QuerySet[ReceptionCenter]:
    """The centres whose arrivals the user may read (arrivals_for's scope)."""
    if request is None:
        return ReceptionCenter.objects.none()
    return readable_centers_for(request.user)


class ArrivalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Name or document"),
        max_length=150,
        help_text=_("Spelling variants match: Ernández finds Hernández."),
    )
    center = django_filters.ModelChoiceFilter(
        queryset=_user_centers,
        to_field_name="code",
        label=_("Reception centre"),
        help_text=_("Code of one of your reception centres."),
    )
    day = DateFilter(
        method="filter_day",
        label=_("Date"),
        help_text=_("Arrivals of that day in the reception centre's own time zone (YYYY-MM-DD)."),
    )
    arrived_at = DateFromToRangeFilter(
        label=_("Date of arrival"),
        help_text=_("arrived_at_after and arrived_at_before, both days included (YYYY-MM-DD)."),
    )
    mode = django_filters.ChoiceFilter(choices=Arrival.Mode.choices, label=_("Return mode"))
    travel_group = django_filters.ChoiceFilter(
        choices=Arrival.TravelGroup.choices, label=_("Travel group")
    )
    person = django_filters.UUIDFilter(field_name="person_id", label=_("Person"))
    transport_reference = django_filters.CharFilter(
        lookup_expr="iexact", label=_("Flight or bus reference"), max_length=40
    )

    class Meta:
        model = Arrival
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Arrival], name: str, value: str) -> QuerySet[Arrival]:
        return arrivals_search(queryset, value)

    def filter_day(self, queryset: QuerySet[Arrival], name: str, value: date) -> QuerySet[Arrival]:
        chosen = self.form.cleaned_data.get("center")
        centers = [chosen] if chosen else list(_user_centers(self.request))
        return arrivals_on_local_day(queryset, centers=centers, day=value)
