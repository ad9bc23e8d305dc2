"""FilterSets of casework lists, shared by the HTML lists and the API lists.

They filter a queryset that is already scoped to the user (casework.selectors); they never
widen it.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .filtering import DateFilter
from .models import Person
from .names import document_normalise
from .search import person_search


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Name, document, phone, case number or flight"),
        max_length=150,
        help_text=_("Spelling variants and one typo per name match: Ernández finds Hernández."),
    )
    document = django_filters.CharFilter(
        method="filter_document",
        label=_("Document number"),
        max_length=40,
        help_text=_("Exact number; spaces and dashes are ignored."),
    )
    sex = django_filters.ChoiceFilter(choices=Person.Sex.choices, label=_("Sex"))
    nationality = django_filters.CharFilter(
        field_name="nationality__iso2", label=_("Nationality (ISO code)"), max_length=2
    )
    birth_date = DateFilter(label=_("Date of birth"))

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Person]) -> QuerySet[Person]:
        """The text last: it keeps at most SEARCH_LIMIT + 1 persons, so a date of birth or a
        document given beside it narrows the persons searched, not the ones kept."""
        data = self.form.cleaned_data
        for name in sorted(data, key=lambda name: name == "q"):
            queryset = self.filters[name].filter(queryset, data[name])
        return queryset

    def filter_q(self, queryset: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        if not (value or "").strip():
            return queryset
        return person_search(queryset, user=getattr(self.request, "user", None), text=value)

    def filter_document(
        self, queryset: QuerySet[Person], name: str, value: str
    ) -> QuerySet[Person]:
        key = document_normalise(value)
        return queryset.filter(document_key=key) if key else queryset
