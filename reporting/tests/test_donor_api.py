"""The donor aggregate API: only defined combinations, whole periods, suppressed, throttled, logged."""

from __future__ import annotations

import json
import zoneinfo
from datetime import date, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from intake.tests.factories import ArrivalFactory
from registry.models import Person
from registry.roles import DONOR_REVIEWER, ROLE_PERMISSIONS
from registry.tests.factories import PersonFactory, UserFactory
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


def test_catalogue_lists_the_combinations_offered(donor_client, released):
    released("FY2026-Q2", only=("received", "received_aid", "services_delivered"))
    response = get(donor_client, LIST, lang="en")
    assert response.status_code == 200
    data = response.json()
    assert data["k"] == 10
    offered = {item["indicator"]: item for item in data["indicators"]}
    assert set(offered) == set(Indicator.objects.filter(active=True).values_list("code", flat=True))
    received = offered["received"]
    assert received["name"] == "Returned migrants received"
    assert received["period_kinds"] == ["fiscal_year", "fiscal_quarter", "month"]
    assert data["released_periods"] == ["FY2026-Q2", "2026-03", "2026-02", "2026-01"]
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
    assert spanish["released_periods"] == []


# --- A table --------------------------------------------------------------------------------


@pytest.fixture
def quarter(arrivals, released):
    """The 15 arrivals of February 2026, released with the second quarter of FY2026."""
    return released("FY2026-Q2", only=("received",))


def test_a_table_is_protected_and_adds_up(donor_client, quarter):
    response = get(donor_client, detail("received"), period="FY2026-Q2", by="sex", lang="en")
    assert response.status_code == 200, response.content
    data = response.json()
    cells = {cell["key"]["sex"]: cell for cell in data["cells"]}
    # Protected as one system (reporting.protection): 3 men are shown as 0 or at least 10, the
    # 12 women and the total within the release's bound, nobody stays 0, and sex being fixed
    # per person, the published cells add up to the published total.
    assert cells["male"]["count"] == 0 or cells["male"]["count"] >= 10
    assert cells["male"]["suppressed"] is False
    assert abs(cells["female"]["count"] - 12) <= quarter.bound
    assert cells["other"] == {"key": {"sex": "other"}, "count": 0, "suppressed": False}
    assert data["total"]["count"] == sum(cell["count"] for cell in cells.values())
    assert abs(data["total"]["count"] - 15) <= quarter.bound and data["total"]["count"] >= 10
    assert data["total"]["suppressed"] is False
    assert data["k"] == 10
    assert data["period"] == {
        "label": "FY2026-Q2",
        "kind": "fiscal_quarter",
        "start": "2026-01-01",
        "end": "2026-03-31",
    }
    assert data["by"] == ["sex"]
    assert data["name"] == "Returned migrants received"
    assert data["definition"].startswith("Unique persons")
    assert data["dimensions"][0]["code"] == "sex"
    assert {"code": "male", "label": "Male"} in data["dimensions"][0]["values"]
    assert datetime.fromisoformat(data["data_as_of"]) == quarter.created_at
    assert len(data["notes"]) == 3


def test_no_published_count_is_small(donor_client, quarter):
    for by in ["", "sex", "age_band", "sex,age_band", "age_band,sex", "center", "sex,center"]:
        response = get(donor_client, detail("received"), period="2026-02", by=by)
        assert response.status_code == 200, (by, response.content)
        data = response.json()
        counts = [c["count"] for c in data["cells"]] + [data["total"]["count"]]
        counts += [v["count"] for margin in data["margins"] for v in margin["values"]]
        assert all(c == 0 or c >= 10 for c in counts), by


def test_a_two_dimension_table_has_its_margins(donor_client, quarter):
    data = get(donor_client, detail("received"), period="FY2026-Q2", by="sex,age_band").json()
    assert [m["dimension"] for m in data["margins"]] == ["sex", "age_band"]
    assert data["cells"][0]["key"].keys() == {"sex", "age_band"}
    # The same 15 persons as February's: one figure, one published value.
    february = get(donor_client, detail("received"), period="2026-02").json()
    assert data["total"]["count"] == february["total"]["count"]


def test_the_definition_comes_in_the_request_language(donor_client, quarter):
    spanish = get(donor_client, detail("received"), period="FY2026-Q2", lang="es").json()
    english = get(donor_client, detail("received"), period="FY2026-Q2", lang="en").json()
    assert spanish["name"] == "Personas retornadas recibidas"
    assert english["name"] == "Returned migrants received"
    assert spanish["notes"] != english["notes"]


def test_services_delivered_carries_quantities(donor_client, center_a, caseworker, released):
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
    release = released("FY2026-Q2", only=("services_delivered",))
    data = get(
        donor_client, detail("services_delivered"), period="2026-03", by="service_type"
    ).json()
    [cell] = data["cells"]
    assert cell["key"] == {"service_type": "food"}
    # The count within the bound of 11 (never below 10), the quantity within it of 22 and at
    # least the count; the only cell and the total count the same deliveries: the same values.
    assert 10 <= cell["count"] <= 11 + release.bound
    assert cell["quantity"] >= cell["count"] and abs(cell["quantity"] - 22) <= release.bound
    assert data["total"] == {
        "count": cell["count"],
        "suppressed": False,
        "quantity": cell["quantity"],
    }


@pytest.mark.parametrize("period", ["FY2026-Q2", "2026-01", "2026-02", "2026-03"])
def test_every_released_period_is_offered(donor_client, quarter, period):
    assert get(donor_client, detail("received"), period=period).status_code == 200


@pytest.mark.parametrize("period", ["FY2026", "FY2026-Q1", "2025-12", "FY2026-Q3"])
def test_a_period_not_released_is_refused_with_the_reason(donor_client, quarter, period):
    response = get(donor_client, detail("received"), period=period, lang="en")
    assert response.status_code == 400
    assert "is not released yet" in response.json()["period"][0]
    spanish = get(donor_client, detail("received"), period=period, lang="es").json()
    assert "todavía no se ha publicado" in spanish["period"][0]
    assert AggregatePull.objects.count() == 0


# --- What is refused ------------------------------------------------------------------------


@pytest.fixture
def empty_quarter(db, released):
    return released("FY2026-Q2", only=("received", "received_aid"))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-01-01..2026-01-31"}, "period"),  # a custom range, even a whole month
        ({"period": "2026-02-10..2026-02-10"}, "period"),
        ({"period": "2026"}, "period"),  # a calendar year: its months are in two fiscal years
        ({"period": "last year"}, "period"),
        ({}, "period"),
        ({"period": "FY2026-Q2", "by": "country,department"}, "by"),  # not a defined pair
        ({"period": "FY2026-Q2", "by": "sex,age_band,center"}, "by"),
        ({"period": "FY2026-Q2", "by": "sex,sex"}, "by"),
        ({"period": "FY2026-Q2", "by": "service_type"}, "by"),  # not for arrivals
        ({"period": "FY2026-Q2", "by": "eye_colour"}, "by"),
    ],
)
def test_what_is_not_offered_is_a_400(donor_client, empty_quarter, params, field):
    response = donor_client.get(detail("received"), params)
    assert response.status_code == 400
    assert field in response.json()
    assert AggregatePull.objects.count() == 0


def test_a_dimension_of_arrivals_is_not_offered_for_deliveries(donor_client, empty_quarter):
    response = donor_client.get(detail("received_aid"), {"period": "FY2026-Q2", "by": "mode"})
    assert response.status_code == 400
    assert "by" in response.json()


def test_unknown_and_retired_indicators_are_404(donor_client):
    assert donor_client.get(detail("happiness"), {"period": "FY2026"}).status_code == 404
    Indicator.objects.filter(code="placed_in_jobs").update(active=False)
    assert donor_client.get(detail("placed_in_jobs"), {"period": "FY2026"}).status_code == 404


# --- Logged and throttled -------------------------------------------------------------------


def test_every_pull_is_logged(donor_client, donor, quarter):
    get(donor_client, detail("received"), period="FY2026-Q2", by="sex,age_band")
    pull = AggregatePull.objects.get()
    assert (pull.user, pull.indicator, pull.period, pull.dims) == (
        donor,
        "received",
        "FY2026-Q2",
        "sex,age_band",
    )


def test_the_log_cannot_be_changed_or_deleted(donor_client, quarter):
    get(donor_client, detail("received"), period="FY2026-Q2")
    pull = AggregatePull.objects.get()
    pull.dims = "edited"
    with pytest.raises(ValidationError):
        pull.save()
    with pytest.raises(ValidationError):
        pull.delete()


def test_pulls_are_throttled(donor_client, empty_quarter, monkeypatch, settings):
    monkeypatch.setattr(AggregatesThrottle, "THROTTLE_RATES", {})
    monkeypatch.setattr(AggregatesThrottle, "default_rate", "3/minute")
    answers = [
        donor_client.get(detail("received"), {"period": "FY2026-Q2"}).status_code for _ in range(4)
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


def test_the_notes_of_a_table_read_in_the_reader_s_language(donor_client, quarter):
    spanish = get(donor_client, detail("received"), period="FY2026-Q2").json()["notes"]
    english = get(donor_client, detail("received"), period="FY2026-Q2", lang="en").json()["notes"]
    assert english[0].startswith("Figures are adjusted together to protect the persons counted")
    assert f"within {quarter.bound} of its true count" in english[0]
    assert "from 1 to 9 are shown as 0 or as at least 10" in english[0]
    assert spanish[0].startswith("Las cifras se ajustan en conjunto")
    assert all(note not in english for note in spanish[1:])
