"""Donor aggregate API: the query and the suppressed tables, as JSON."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import SkipField

from reporting.disaggregations import DISAGGREGATIONS, dimension_labels
from reporting.disclosure import (
    DONOR_PERIOD_KINDS,
    disclosure_note,
    donor_dims_allowed,
    release_note,
)
from reporting.indicators import Table
from reporting.models import Indicator
from reporting.periods import Period, period_parse
from reporting.releases import period_released, release_wait_message

PERIOD_HELP = _(
    "A released period: a US fiscal year (FY2026), a fiscal quarter (FY2026-Q1, October to "
    "December) or a month (2026-03)."
)


class AggregateQuerySerializer(serializers.Serializer):
    period = serializers.CharField(max_length=40, help_text=PERIOD_HELP)
    by = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Up to two dimensions, separated by a comma, e.g. sex,age_band."),
    )

    def validate_period(self, value: str) -> Period:
        try:
            period = period_parse(value)
        except ValueError as exc:
            raise serializers.ValidationError(
                _("Not a period. %(help)s") % {"help": PERIOD_HELP}
            ) from exc
        if period.kind not in DONOR_PERIOD_KINDS:
            raise serializers.ValidationError(
                _("Only fiscal years, fiscal quarters and months can be asked for.")
            )
        if not period_released(period):
            raise serializers.ValidationError(release_wait_message())
        return period

    def validate_by(self, value: str) -> tuple[str, ...]:
        return tuple(code.strip() for code in value.split(",") if code.strip())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        indicator = self.context["indicator"]
        if not donor_dims_allowed(indicator.code, attrs["by"]):
            raise serializers.ValidationError(
                {"by": [_("This disaggregation is not offered for this indicator.")]}
            )
        return attrs


class PeriodSerializer(serializers.Serializer):
    label = serializers.CharField()
    kind = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("Included."))


class ValueLabelSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class DimensionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    values = ValueLabelSerializer(many=True)


class OptionalIntegerField(serializers.IntegerField):
    """Left out of the answer when the table has no such number (nullable when present)."""

    def get_attribute(self, instance):
        if isinstance(instance, dict) and self.source not in instance:
            raise SkipField()
        return super().get_attribute(instance)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        allow_null=True, help_text=_("Null when withheld by disclosure control.")
    )
    suppressed = serializers.BooleanField()
    quantity = OptionalIntegerField(
        allow_null=True, required=False, help_text=_("Services delivered: sum of quantities.")
    )


class CellSerializer(CountSerializer):
    key = serializers.DictField(
        child=serializers.CharField(), help_text=_("The value of each dimension.")
    )


class MarginValueSerializer(CountSerializer):
    key = serializers.CharField()


class MarginSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    values = MarginValueSerializer(many=True)


class AggregateTableSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    name = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField()
    period = PeriodSerializer()
    by = serializers.ListField(child=serializers.CharField())
    dimensions = DimensionSerializer(many=True)
    cells = CellSerializer(many=True)
    margins = MarginSerializer(
        many=True, help_text=_("Totals by each dimension of a two-dimension table.")
    )
    total = CountSerializer()
    k = serializers.IntegerField(help_text=_("Counts from 1 to k-1 are never shown."))
    data_as_of = serializers.DateTimeField()
    notes = serializers.ListField(child=serializers.CharField())


class CatalogueIndicatorSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    name = serializers.CharField()
    definition = serializers.CharField()
    unit = serializers.CharField()
    period_kinds = serializers.ListField(child=serializers.CharField())
    disaggregations = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField())
    )


class CatalogueSerializer(serializers.Serializer):
    k = serializers.IntegerField()
    released_periods = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("The periods released so far, newest first: the only ones answered."),
    )
    period_formats = serializers.DictField(child=serializers.CharField())
    dimensions = ValueLabelSerializer(many=True)
    indicators = CatalogueIndicatorSerializer(many=True)


def notes(k: int, bound: int | None = None) -> list[str]:
    """What a reader of the figures must know, in the request's language: the rule of the
    release (its bound) or, for figures computed on request, the cell-key rule."""
    return [
        disclosure_note(k) if bound is None else release_note(k, bound),
        gettext(
            "Persons who refused to be counted in anonymised statistics are not counted; "
            "figures can be slightly lower than operational counts."
        ),
        gettext(
            "Totals of unique persons count each person once, even when they appear in "
            "several cells: they can be less than the sum of the cells."
        ),
    ]


def _count(table: Table, value: int | None, quantity: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"count": value, "suppressed": value is None}
    if table.quantities is not None:
        data["quantity"] = quantity
    return data


def table_answer(table: Table, indicator: Indicator, *, bound: int | None = None) -> dict[str, Any]:
    """The donor API's answer for one published table, in the active language, JSON-ready."""
    return AggregateTableSerializer(table_payload(table, indicator, bound=bound)).data


def table_payload(
    table: Table, indicator: Indicator, *, bound: int | None = None
) -> dict[str, Any]:
    """The published table: only a table that went through disclosure_apply comes here."""
    assert table.k is not None, "an unsuppressed table must never be published"
    dims = list(table.dims)
    axes = [table.rows, table.cols][: len(dims)]
    labels = [dimension_labels(code, values) for code, values in zip(dims, axes, strict=True)]
    quantities = table.quantities or {}
    cells = []
    if dims:
        for (row, col), value in table.cells.items():
            key = {dims[0]: row} if len(dims) == 1 else {dims[0]: row, dims[1]: col}
            cells.append({"key": key, **_count(table, value, quantities.get((row, col)))})
    margins = []
    if len(dims) == 2:
        for code, totals, qty in (
            (dims[0], table.row_totals, table.quantity_row_totals or {}),
            (dims[1], table.col_totals, table.quantity_col_totals or {}),
        ):
            margins.append(
                {
                    "dimension": code,
                    "values": [
                        {"key": key, **_count(table, value, qty.get(key))}
                        for key, value in totals.items()
                    ],
                }
            )
    k = table.k
    return {
        "indicator": indicator.code,
        "name": indicator.name,
        "definition": indicator.definition,
        "unit": table.unit,
        "period": {
            "label": table.period.label,
            "kind": table.period.kind,
            "start": table.period.start,
            "end": table.period.end,
        },
        "by": dims,
        "dimensions": [
            {
                "code": code,
                "name": str(DISAGGREGATIONS[code].label),
                "values": [{"code": v, "label": label} for v, label in dim_labels.items()],
            }
            for code, dim_labels in zip(dims, labels, strict=True)
        ],
        "cells": cells,
        "margins": margins,
        "total": _count(table, table.total, table.quantity_total),
        "k": k,
        "data_as_of": table.data_as_of,
        "notes": notes(k, bound),
    }
