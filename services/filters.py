"""The FilterSet of the deliveries list, shared by the HTML list and the API list.

It narrows a queryset already scoped to the user (services.selectors.delivery_list).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.filtering import DateFromToRangeFilter, IdFilter
from registry.models import ReceptionCenter
from registry.permissions import readable_centers_for

from .models import ServiceDelivery, ServiceType


def _readable_centers(request) -> QuerySet[ReceptionCenter]:
    if request is None:
        return ReceptionCenter.objects.none()
    return readable_centers_for(request.user)


class DeliveryFilter(django_filters.FilterSet):
    person = django_filters.UUIDFilter(field_name="person_id", label=_("Person"))
    case = IdFilter(field_name="case_id", label=_("Case"))
    center = django_filters.ModelChoiceFilter(
        queryset=_readable_centers,
        to_field_name="code",
        label=_("Reception centre"),
        help_text=_("Code of one of your reception centres."),
    )
    service_type = django_filters.ModelChoiceFilter(
        # Inactive services too: what was delivered before stays findable.
        queryset=ServiceType.objects.all(),
        to_field_name="code",
        label=_("Service"),
        help_text=_("Code of the service, e.g. hygiene_kit."),
    )
    category = django_filters.ChoiceFilter(
        field_name="service_type__category",
        choices=ServiceType.Category.choices,
        label=_("Category"),
    )
    status = django_filters.ChoiceFilter(choices=ServiceDelivery.Status.choices, label=_("Status"))
    delivered_on = DateFromToRangeFilter(
        label=_("Date"),
        help_text=_("delivered_on_after and delivered_on_before, both days included (YYYY-MM-DD)."),
    )
    include_voided = django_filters.BooleanFilter(
        method="filter_include_voided",
        widget=forms.CheckboxInput,
        label=_("Include voided deliveries"),
    )

    class Meta:
        model = ServiceDelivery
        fields: list[str] = []

    def filter_include_voided(
        self, queryset: QuerySet[ServiceDelivery], name: str, value: bool | None
    ) -> QuerySet[ServiceDelivery]:
        # Applied in filter_queryset: voided rows are left out unless asked for.
        return queryset

    def filter_queryset(self, queryset: QuerySet[ServiceDelivery]) -> QuerySet[ServiceDelivery]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_voided"):
            queryset = queryset.filter(voided_at__isnull=True)
        return queryset
