"""Donor aggregate API: the catalogue of combinations offered, and one suppressed table."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.throttling import ScopedRateThrottle
from reporting.disaggregations import DISAGGREGATIONS
from reporting.disclosure import DONOR_PERIOD_KINDS, default_k, donor_combinations
from reporting.models import AggregatePull
from reporting.releases import indicators_offered, release_table_get, released_periods

from .serializers import (
    AggregateQuerySerializer,
    AggregateTableSerializer,
    CatalogueSerializer,
)

VIEW_AGGREGATES = "reporting.view_aggregates"
PERIOD_FORMATS = {
    "fiscal_year": "FY2026",
    "fiscal_quarter": "FY2026-Q1",
    "month": "2026-03",
}


class CanViewAggregates(BasePermission):
    """The donor's door: the reporting.view_aggregates permission, nothing about centres."""

    message = _("You do not have access to aggregate reports.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(VIEW_AGGREGATES))


class AggregatesThrottle(ScopedRateThrottle):
    """Scope "aggregates"; the rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] if set."""

    default_rate = "120/hour"

    def get_rate(self) -> str:
        return self.THROTTLE_RATES.get(self.scope) or self.default_rate


def aggregate_pull_record(*, actor, indicator: str, period: str, dims: tuple[str, ...]) -> None:
    """Log one table handed out (append-only)."""
    AggregatePull.objects.create(
        user=actor, indicator=indicator, period=period, dims=",".join(dims)
    )


class AggregateApiMixin:
    permission_classes = [CanViewAggregates]
    throttle_classes = [AggregatesThrottle]
    throttle_scope = "aggregates"


class AggregateCatalogueApi(AggregateApiMixin, APIView):
    @extend_schema(
        operation_id="aggregates_list",
        summary="Aggregate indicators offered, with their periods and disaggregations",
        responses={200: CatalogueSerializer, 403: OpenApiResponse(description="No access.")},
    )
    def get(self, request: Request) -> Response:
        data = {
            "k": default_k(),
            "released_periods": [period.label for period in released_periods()],
            "period_formats": PERIOD_FORMATS,
            "dimensions": [
                {"code": code, "label": str(d.label)} for code, d in DISAGGREGATIONS.items()
            ],
            "indicators": [
                {
                    "indicator": indicator.code,
                    "name": indicator.name,
                    "definition": indicator.definition,
                    "unit": indicator.unit,
                    "period_kinds": list(DONOR_PERIOD_KINDS),
                    "disaggregations": [list(c) for c in donor_combinations(indicator.code)],
                }
                for indicator in indicators_offered()
            ],
        }
        return Response(CatalogueSerializer(data).data)


class AggregateTableApi(AggregateApiMixin, APIView):
    @extend_schema(
        operation_id="aggregates_retrieve",
        summary="One indicator for a whole period, by up to two dimensions, with suppression",
        parameters=[
            OpenApiParameter("indicator", OpenApiTypes.STR, OpenApiParameter.PATH),
            AggregateQuerySerializer,
        ],
        responses={
            200: AggregateTableSerializer,
            400: OpenApiResponse(description="Not a whole period, or a combination not offered."),
            403: OpenApiResponse(description="No access."),
            404: OpenApiResponse(description="No such indicator."),
            429: OpenApiResponse(description="Too many requests."),
        },
    )
    def get(self, request: Request, indicator: str) -> Response:
        found = indicators_offered().filter(code=indicator).first()
        if found is None:
            raise Http404
        query = AggregateQuerySerializer(data=request.query_params, context={"indicator": found})
        query.is_valid(raise_exception=True)
        period, dims = query.validated_data["period"], query.validated_data["by"]
        # A donor gets a released period's tables only, never the live data (reporting.releases).
        answer = release_table_get(period=period, indicator=found.code, dims=dims)
        if answer is None:  # released before the indicator was offered
            raise Http404
        aggregate_pull_record(
            actor=request.user, indicator=found.code, period=period.label, dims=dims
        )
        return Response(answer)
