"""The donor aggregate API: only defined combinations, whole periods, suppressed, throttled, logged."""

from __future__ import annotations

import json
import zoneinfo
from datetime import date, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from casework.models import Person
from casework.roles import DONOR_REVIEWER, ROLE_PERMISSIONS
from casework.tests.factories import PersonFactory, UserFactory
from intake.tests.factories import ArrivalFactory
from reporting.api.views import AggregatesThrottle
from reporting.models import AggregatePull, Indicator
from services.models import ServiceDelivery, ServiceType

GUATEMALA = zoneinfo.ZoneInfo("America/Guatemala")
LIST = "/api/v1/aggregates/"


def detail(code: str) -> str:
    return f"/api/v1/aggregates/{code}/"


@pytest.fixture
def donor_client(donor):
    client = APIClient()
    client.force_login(donor)
    return client


@pytest.fixture
def arrivals(center_a, caseworker):
    """FY2026 at centre A: 12 women aged 30 and 3 men aged 30."""
    when = datetime(2026, 2, 10, 9, 0, tzinfo=GUATEMALA)
    for n in range(15):
        person = PersonFactory(
            sex=Person.Sex.FEMALE if n < 12 else Person.Sex.MALE,
            birth_date=date(1995, 6, 1),
            document_number=f"AG{n:06d}",
        )
        ArrivalFactory(person=person, center=center_a, arrived_at=when, registered_by=caseworker)


def get(client, url, **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE=params.pop("lang", "es"))


# --- Who may ask ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST, detail("received") + "?period=FY2026"])
def test_anonymous_is_refused(url):
    assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("url", [LIST, detail("received") + "?period=FY2026"])
def test_staff_without_the_permission_are_refused(caseworker, url):
    client = APIClient()
    client.force_login(caseworker)
    response = client.get(url)
    assert response.status_code == 403
    assert AggregatePull.objects.count() == 0


def test_a_user_without_the_permission_learns_nothing_about_indicators(db):
    client = APIClient()
    client.force_login(UserFactory(username="nobody"))
    assert client.get(detail("received") + "?period=FY2026").status_code == 403
    assert client.get(detail("no_such_thing") + "?period=FY2026").status_code == 403


# --- The catalogue --------------------------------------------------------------------------


def test_catalogue_lists_the_combinations_offered(donor_client):
    response = get(donor_client, LIST, lang="en")
    assert response.status_code == 200
    data = response.json()
    assert data["k"] == 10
    offered = {item["indicator"]: item for item in data["indicators"]}
    assert set(offered) == set(Indicator.objects.values_list("code", flat=True))
    received = offered["received"]
    assert received["name"] == "Returned migrants received"
    assert received["period_kinds"] == ["fiscal_year", "fiscal_quarter", "month", "calendar_year"]
    assert [] in received["disaggregations"]
    assert ["sex", "age_band"] in received["disaggregations"]
    assert ["unaccompanied_minor"] in received["disaggregations"]
    assert all(len(combo) <= 2 for item in offered.values() for combo in item["disaggregations"])
    assert ["mode"] not in offered["received_aid"]["disaggregations"]
    assert ["service_type"] in offered["services_delivered"]["disaggregations"]


def test_catalogue_speaks_the_request_language(donor_client):
    spanish = get(donor_client, LIST, lang="es").json()
    names = {item["indicator"]: item["name"] for item in spanish["indicators"]}
    assert names["received"] == "Personas retornadas recibidas"


# --- A table --------------------------------------------------------------------------------


def test_a_table_withholds_small_counts_and_what_would_reveal_them(donor_client, arrivals):
    response = get(donor_client, detail("received"), period="FY2026", by="sex", lang="en")
    assert response.status_code == 200, response.content
    data = response.json()
    cells = {cell["key"]["sex"]: cell for cell in data["cells"]}
    # Cell-key perturbation (reporting.disclosure): 3 men are shown as 0 or 10, 12 women and
    # the total of 15 within 3 of their count (never below 10), and nobody stays 0.
    assert cells["male"]["count"] in (0, 10) and cells["male"]["suppressed"] is False
    assert 10 <= cells["female"]["count"] <= 15
    assert cells["other"] == {"key": {"sex": "other"}, "count": 0, "suppressed": False}
    assert 12 <= data["total"]["count"] <= 18
    assert data["total"]["suppressed"] is False
    assert data["k"] == 10
    assert data["period"] == {
        "label": "FY2026",
        "kind": "fiscal_year",
        "start": "2025-10-01",
        "end": "2026-09-30",
    }
    assert data["by"] == ["sex"]
    assert data["name"] == "Returned migrants received"
    assert data["definition"].startswith("Unique persons")
    assert data["dimensions"][0]["code"] == "sex"
    assert {"code": "male", "label": "Male"} in data["dimensions"][0]["values"]
    assert data["data_as_of"]
    assert len(data["notes"]) == 3


def test_no_published_count_is_small(donor_client, arrivals):
    for by in ["", "sex", "age_band", "sex,age_band", "age_band,sex", "center", "sex,center"]:
        response = get(donor_client, detail("received"), period="FY2026", by=by)
        assert response.status_code == 200, (by, response.content)
        data = response.json()
        counts = [c["count"] for c in data["cells"]] + [data["total"]["count"]]
        counts += [v["count"] for margin in data["margins"] for v in margin["values"]]
        assert all(c is None or c == 0 or c >= 10 for c in counts), by


def test_a_two_dimension_table_has_its_margins(donor_client, arrivals):
    data = get(donor_client, detail("received"), period="FY2026-Q2", by="sex,age_band").json()
    assert [m["dimension"] for m in data["margins"]] == ["sex", "age_band"]
    assert data["cells"][0]["key"].keys() == {"sex", "age_band"}
    # The same 15 persons as the year's total: the same cell key, the same published value.
    year = get(donor_client, detail("received"), period="FY2026").json()
    assert data["total"]["count"] == year["total"]["count"]
    assert 12 <= data["total"]["count"] <= 18


def test_the_definition_comes_in_the_request_language(donor_client, arrivals):
    spanish = get(donor_client, detail("received"), period="FY2026", lang="es").json()
    english = get(donor_client, detail("received"), period="FY2026", lang="en").json()
    assert spanish["name"] == "Personas retornadas recibidas"
    assert english["name"] == "Returned migrants received"
    assert spanish["notes"] != english["notes"] or spanish["notes"][0].startswith("Counts")


def test_services_delivered_carries_quantities(donor_client, center_a, caseworker):
    food = ServiceType.objects.get(code="food")
    for n in range(11):
        ServiceDelivery.objects.create(
            person=PersonFactory(document_number=f"Q{n:06d}"),
            center=center_a,
            service_type=food,
            delivered_on=date(2026, 3, 2),
            quantity=2,
            recorded_by=caseworker,
        )
    data = get(
        donor_client, detail("services_delivered"), period="2026-03", by="service_type"
    ).json()
    [cell] = data["cells"]
    assert cell["key"] == {"service_type": "food"}
    # Perturbed as their own cells: the count within 3 of 11 (never below 10), the quantity
    # within 3 of 22; the only cell and the total count the same deliveries: the same values.
    assert 10 <= cell["count"] <= 14 and 19 <= cell["quantity"] <= 25
    assert data["total"] == {
        "count": cell["count"],
        "suppressed": False,
        "quantity": cell["quantity"],
    }


@pytest.mark.parametrize("period", ["FY2026", "FY2026-Q1", "2026-02", "2026"])
def test_every_whole_period_is_offered(donor_client, arrivals, period):
    assert get(donor_client, detail("received"), period=period).status_code == 200


# --- What is refused ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-01-01..2026-01-31"}, "period"),  # a custom range, even a whole month
        ({"period": "2026-02-10..2026-02-10"}, "period"),
        ({"period": "last year"}, "period"),
        ({}, "period"),
        ({"period": "FY2026", "by": "country,department"}, "by"),  # not a defined pair
        ({"period": "FY2026", "by": "sex,age_band,center"}, "by"),
        ({"period": "FY2026", "by": "sex,sex"}, "by"),
        ({"period": "FY2026", "by": "service_type"}, "by"),  # not for arrivals
        ({"period": "FY2026", "by": "eye_colour"}, "by"),
    ],
)
def test_what_is_not_offered_is_a_400(donor_client, params, field):
    response = donor_client.get(detail("received"), params)
    assert response.status_code == 400
    assert field in response.json()
    assert AggregatePull.objects.count() == 0


def test_a_dimension_of_arrivals_is_not_offered_for_deliveries(donor_client):
    response = donor_client.get(detail("received_aid"), {"period": "FY2026", "by": "mode"})
    assert response.status_code == 400


def test_unknown_and_retired_indicators_are_404(donor_client):
    assert donor_client.get(detail("happiness"), {"period": "FY2026"}).status_code == 404
    Indicator.objects.filter(code="placed_in_jobs").update(active=False)
    assert donor_client.get(detail("placed_in_jobs"), {"period": "FY2026"}).status_code == 404


# --- Logged and throttled -------------------------------------------------------------------


def test_every_pull_is_logged(donor_client, donor, arrivals):
    get(donor_client, detail("received"), period="FY2026-Q2", by="sex,age_band")
    pull = AggregatePull.objects.get()
    assert (pull.user, pull.indicator, pull.period, pull.dims) == (
        donor,
        "received",
        "FY2026-Q2",
        "sex,age_band",
    )


def test_the_log_cannot_be_changed_or_deleted(donor_client, arrivals):
    get(donor_client, detail("received"), period="FY2026")
    pull = AggregatePull.objects.get()
    pull.dims = "edited"
    with pytest.raises(ValidationError):
        pull.save()
    with pytest.raises(ValidationError):
        pull.delete()


def test_pulls_are_throttled(donor_client, monkeypatch, settings):
    monkeypatch.setattr(AggregatesThrottle, "THROTTLE_RATES", {})
    monkeypatch.setattr(AggregatesThrottle, "default_rate", "3/minute")
    answers = [
        donor_client.get(detail("received"), {"period": "FY2026"}).status_code for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_the_scope_rate_in_settings_wins(donor_client, monkeypatch):
    monkeypatch.setattr(AggregatesThrottle, "THROTTLE_RATES", {"aggregates": "1/minute"})
    answers = [donor_client.get(LIST).status_code for _ in range(2)]
    assert answers == [200, 429]


# --- Documented -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_documents_the_aggregate_api(client):
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    table = schema["paths"]["/api/v1/aggregates/{indicator}/"]["get"]
    assert {p["name"] for p in table["parameters"]} >= {"indicator", "period", "by"}
    assert {"200", "400", "403", "404", "429"} <= set(table["responses"])
    assert "/api/v1/aggregates/" in schema["paths"]


@pytest.mark.django_db
def test_the_donor_role_holds_the_permission():
    assert "reporting.view_aggregates" in ROLE_PERMISSIONS[DONOR_REVIEWER]
    group = Group.objects.get(name=DONOR_REVIEWER)
    assert group.permissions.filter(codename="view_aggregates").exists()


def test_the_notes_of_a_table_read_in_the_reader_s_language(donor_client, arrivals):
    spanish = get(donor_client, detail("received"), period="FY2026").json()["notes"]
    english = get(donor_client, detail("received"), period="FY2026", lang="en").json()["notes"]
    assert english[0].startswith("Every figure, totals included, is adjusted by the cell-key")
    assert "from 1 to 9 are shown as 0 or 10" in english[0]
    assert spanish[0].startswith("Cada cifra, incluidos los totales, se ajusta")
    assert all(note not in english for note in spanish[1:])
