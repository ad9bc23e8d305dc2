"""Filter fields every FilterSet and list form shares: ids and days that can name a row.

An id a database cannot hold (9223372036854775808 overflows SQLite's integers) or that is no
id at all (1.5) is refused, and so is a day outside QUERY_DATES (9999-12-31 overflows the end
of the day computed from it): a 400 from the API, an error on the field in a page.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import DateRangeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .dates import QUERY_DATES

# The largest primary key (a bigint); SQLite stores no larger integer either.
MAX_ID = 2**63 - 1
INVALID_ID = _("Enter a valid identifier: a whole number.")
_DIGITS = re.compile(r"[0-9]{1,19}")


def id_parse(value: Any) -> int:
    """`value` as a row id, or ValidationError."""
    text = str(value).strip()
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= MAX_ID:
        raise ValidationError(INVALID_ID, code="invalid")
    return int(text)


class IdField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        return id_parse(value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A row's id (e.g. ?case=12): never a decimal, never beyond what a key can be."""

    field_class = IdField

    def get_max_validator(self) -> None:
        return None


class QueryDateField(forms.DateField):
    default_validators = [QUERY_DATES]


class QueryDateRangeField(DateRangeField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # DateRangeField's own sub-fields are plain DateFields: pass bounded ones instead.
        super(DateRangeField, self).__init__((QueryDateField(), QueryDateField()), *args, **kwargs)


class DateFilter(django_filters.DateFilter):
    field_class = QueryDateField


class DateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = QueryDateRangeField
