"""The FilterSet of case lists, shared by the HTML caseload and the API list.

It narrows a queryset already scoped to the user (casework.selectors.case_list); it never
widens it.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from registry.filtering import DateFilter, id_parse

from .models import Case
from .selectors import case_search

ASSIGNED_TO_ME = "me"
ASSIGNED_TO_NOBODY = "none"


def _assignee_validate(value: str) -> None:
    if value in (ASSIGNED_TO_ME, ASSIGNED_TO_NOBODY):
        return
    try:
        id_parse(value)
    except ValidationError as exc:
        raise ValidationError(_('Use "me", "none" or the id of a caseworker.')) from exc


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Case number, name, document or phone"),
        max_length=150,
        help_text=_(
            "A case number or its beginning, e.g. SPS-2026; spelling variants of names match."
        ),
    )
    status = django_filters.ChoiceFilter(choices=Case.Status.choices, label=_("Status"))
    assigned_to = django_filters.CharFilter(
        method="filter_assigned_to",
        label=_("Assigned caseworker"),
        max_length=19,
        validators=[_assignee_validate],
        help_text=_('"me" for your own cases, "none" for unassigned ones, or a user id.'),
    )
    center = django_filters.CharFilter(
        field_name="center__code",
        lookup_expr="iexact",
        label=_("Reception centre (code)"),
        max_length=10,
    )
    restricted = django_filters.BooleanFilter(label=_("Restricted"))
    opened_from = DateFilter(
        field_name="opened_at", lookup_expr="date__gte", label=_("Opened on or after")
    )
    opened_to = DateFilter(
        field_name="opened_at", lookup_expr="date__lte", label=_("Opened on or before")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("opened_at", "opened_at"), ("number", "number"), ("status", "status")),
        label=_("Order by"),
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return case_search(queryset, value)

    def filter_assigned_to(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if not value:
            return queryset
        if value == ASSIGNED_TO_ME:
            user = getattr(self.request, "user", None)
            if user is None or not user.is_authenticated:
                return queryset.none()
            return queryset.filter(assigned_to_id=user.pk)
        if value == ASSIGNED_TO_NOBODY:
            return queryset.filter(assigned_to__isnull=True)
        return queryset.filter(assigned_to_id=id_parse(value))
