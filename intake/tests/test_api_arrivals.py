"""The arrivals API: scoped list and detail, idempotent registration, refusals and bad input."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from intake.models import Arrival
from intake.tests.factories import ArrivalFactory
from registry.models import (
    Consent,
    Country,
    Department,
    DocumentType,
    MigrationReason,
    Municipality,
    Person,
    PersonCenter,
)
from registry.reference_cache import reference_forget
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory

LIST_URL = "/api/v1/arrivals/"


@pytest.fixture(autouse=True)
def reference_rows(db):
    """The few reference rows these tests use (the data migration provides them too)."""
    gt, _ = Country.objects.get_or_create(
        iso2="GT", defaults={"name": "Guatemala", "is_programme_country": True}
    )
    Country.objects.get_or_create(iso2="US", defaults={"name": "Estados Unidos"})
    Country.objects.get_or_create(iso2="MX", defaults={"name": "México"})
    DocumentType.objects.get_or_create(
        code="passport", defaults={"name": "Pasaporte", "number_pattern": r"^[A-Z0-9]{5,12}$"}
    )
    DocumentType.objects.get_or_create(
        code="dpi", defaults={"name": "DPI", "country": gt, "number_pattern": r"^[0-9]{13}$"}
    )
    department, _ = Department.objects.get_or_create(
        iso_code="GT-01",
        defaults={"country": gt, "pcode": "GT01", "national_code": "01", "name": "Guatemala"},
    )
    Municipality.objects.get_or_create(
        pcode="GT0101",
        defaults={"department": department, "national_code": "0101", "name": "Guatemala"},
    )
    for code in ("economic", "violence"):
        MigrationReason.objects.get_or_create(code=code, defaults={"name": code})


@pytest.fixture
def api_a(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def new_person(**overrides):
    person = {
        "id": str(uuid.uuid4()),
        "given_names": "María José",
        "first_surname": "García",
        "second_surname": "Morales",
        "sex": "female",
        "birth_date": "1995-03-02",
        "nationality": "GT",
        "document_type": "dpi",
        "document_number": "2345 67890 0101",
        "origin_department": "GT-01",
        "origin_municipality": "GT0101",
    }
    person.update(overrides)
    return person


def arrival_body(**overrides):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "center": "CA",
        "new_person": new_person(),
        "arrived_at": "2026-01-10T08:30:00-06:00",
        "mode": "air",
        "returned_from": "US",
        "transport_reference": "GUA-2026-014",
        "reasons": ["economic", "violence"],
        "intends_to_migrate_again": "no",
        "needs": "Transporte a Quetzaltenango",
        "consents": {"process_data": True},
    }
    body.update(overrides)
    return body


# --- registration and idempotency ---------------------------------------------------------


def test_register_arrival_with_a_new_person_answers_201(api_a, caseworker, center_a):
    body = arrival_body()

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["client_uuid"] == body["client_uuid"]
    assert data["person"]["id"] == body["new_person"]["id"]
    assert data["center"] == "CA"
    assert sorted(data["reasons"]) == ["economic", "violence"]
    arrival = Arrival.objects.get(client_uuid=body["client_uuid"])
    assert arrival.registered_by == caseworker
    assert arrival.person.created_by == caseworker
    assert PersonCenter.objects.filter(person=arrival.person, center=center_a).exists()
    assert Consent.objects.filter(person=arrival.person, kind="process_data").exists()


def test_registering_asks_nothing_again_about_the_rows_it_holds(api_a, center_a):
    """The centre, countries, document type, department, municipality and user were read by
    the request already: model validation does not ask whether they exist (issue 15: eight
    such questions per arrival)."""
    # Someone else first: the content types are then cached, as in a server that has run.
    other = new_person(
        given_names="Rosa", document_number="1111 11111 0101", birth_date="1980-01-01"
    )
    api_a.post(LIST_URL, arrival_body(new_person=other), format="json")

    with CaptureQueriesContext(connection) as queries:
        response = api_a.post(LIST_URL, arrival_body(), format="json")

    assert response.status_code == 201, response.json()
    existence = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT 1 AS")]
    # Only the new person's client-made id is checked for uniqueness.
    assert len(existence) == 1, existence
    assert "registry_person" in existence[0]
    assert len(queries.captured_queries) == register_queries()


def test_with_reference_data_held_registering_reads_none_of_it(caseworker, center_a, settings):
    """The centre, countries, document type, department, reasons of a submission come from
    the copy: eight queries fewer than with the copy off (intake's REGISTER_QUERIES)."""
    settings.REFERENCE_CACHE_SECONDS = 5  # as in production (the test settings turn it off)
    reference_forget()
    client = APIClient()
    client.force_authenticate(caseworker)
    warm = new_person(
        given_names="Rosa", document_number="1111 11111 0101", birth_date="1980-01-01"
    )
    client.post("/api/v1/arrivals/", arrival_body(new_person=warm), format="json")

    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/arrivals/", arrival_body(), format="json")

    assert response.status_code == 201, response.json()
    tables = ("registry_country", "registry_documenttype", "registry_department")
    read = [
        q["sql"]
        for q in captured.captured_queries
        if any(f'FROM "{t}"' in q["sql"] for t in tables)
    ]
    assert read == []
    reference_forget()
    assert len(captured.captured_queries) == register_queries() - 8


# The centre, nationality, document type, department, municipality, returned-from country and
# reasons (2) named in the body (8); the replay check in its savepoints (3); the new person's id,
# the repeat check and the person (3); the arrival; its reasons (set: 3) and read again for
# their entry (1); the centre link (get_or_create in a savepoint: 4); the consents in force and
# the consent (2); the five audit entries of these rows, in one insert (registry.audit.
# audited_together); the savepoints released (2); the answer (arrival, reasons) and its access
# entry (3). None asks whether a row it holds exists.
REGISTER_QUERIES = 31


def register_queries() -> int:
    """REGISTER_QUERIES, and on PostgreSQL the replay check's advisory lock on the client UUID."""
    return REGISTER_QUERIES + (1 if connection.vendor == "postgresql" else 0)


def test_replay_answers_200_with_the_same_body(api_a):
    body = arrival_body()
    first = api_a.post(LIST_URL, body, format="json")

    replay = api_a.post(LIST_URL, body, format="json")

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert Arrival.objects.count() == 1
    assert Person.objects.count() == 1


def test_same_client_uuid_with_a_different_body_answers_409(api_a):
    body = arrival_body()
    api_a.post(LIST_URL, body, format="json")

    response = api_a.post(LIST_URL, {**body, "mode": "land"}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"]
    assert Arrival.objects.get().mode == "air"


def test_replay_of_another_centres_arrival_shows_nothing(api_a, outsider, center_b):
    body = arrival_body(center="CB")
    assert token_client(outsider).post(LIST_URL, body, format="json").status_code == 201

    same = api_a.post(LIST_URL, body, format="json")
    different = api_a.post(LIST_URL, {**body, "center": "CA"}, format="json")

    assert same.status_code == 400  # centre B is not one of hers
    assert different.status_code == 409
    assert "person" not in same.json() and "person" not in different.json()


def test_register_arrival_of_a_person_who_returned_before(api_a, center_a, center_b):
    # Known at another centre of the same country: inside the matching scope.
    returning = PersonFactory(centers=[center_b])
    body = arrival_body(person=str(returning.pk))
    del body["new_person"]

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["person"]["id"] == str(returning.pk)
    assert PersonCenter.objects.filter(person=returning, center=center_a).exists()
    assert Person.objects.count() == 1


def test_person_outside_the_matching_scope_is_a_field_error(api_a, center_a):
    abroad = ReceptionCenterFactory(
        code="HN1", country=Country.objects.get_or_create(iso2="HN", defaults={"name": "H"})[0]
    )
    stranger = PersonFactory(centers=[abroad])
    for person_id in (str(stranger.pk), str(uuid.uuid4())):
        body = arrival_body(person=person_id)
        del body["new_person"]

        response = api_a.post(LIST_URL, body, format="json")

        assert response.status_code == 400
        assert "person" in response.json()
    assert Arrival.objects.count() == 0


def test_naive_time_is_read_in_the_centres_time_zone(api_a):
    body = arrival_body(arrived_at="2026-01-10T08:30:00")

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 201
    # America/Guatemala is UTC-6 all year.
    assert Arrival.objects.get().arrived_at == datetime(2026, 1, 10, 14, 30, tzinfo=UTC)


def test_time_with_an_offset_keeps_its_offset(api_a):
    api_a.post(LIST_URL, arrival_body(arrived_at="2026-01-10T08:30:00-04:00"), format="json")

    assert Arrival.objects.get().arrived_at == datetime(2026, 1, 10, 12, 30, tzinfo=UTC)


# --- scope ---------------------------------------------------------------------------------


def test_arrival_at_another_centre_is_404_and_never_listed(api_a, center_a, center_b):
    mine = ArrivalFactory(center=center_a)
    theirs = ArrivalFactory(center=center_b)

    assert api_a.get(f"{LIST_URL}{theirs.pk}/").status_code == 404
    assert api_a.get(f"{LIST_URL}999999/").status_code == 404
    assert api_a.get(f"{LIST_URL}abc/").status_code == 404
    assert [row["id"] for row in api_a.get(LIST_URL).json()["results"]] == [mine.pk]
    searched = api_a.get(LIST_URL, {"q": theirs.person.first_surname}).json()["results"]
    assert theirs.pk not in [row["id"] for row in searched]
    assert api_a.get(LIST_URL, {"person": str(theirs.person.pk)}).json()["count"] == 0


def test_detail_of_own_arrival(api_a, center_a):
    arrival = ArrivalFactory(center=center_a)

    response = api_a.get(f"{LIST_URL}{arrival.pk}/")

    assert response.status_code == 200
    assert response.json()["client_uuid"] == str(arrival.client_uuid)


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_gets_no_data(db, center_a, method):
    arrival = ArrivalFactory(center=center_a)
    client = APIClient()

    listing = getattr(client, method)(LIST_URL, arrival_body(), format="json")
    detail = client.get(f"{LIST_URL}{arrival.pk}/")

    assert listing.status_code in (401, 403)
    assert detail.status_code in (401, 403)
    assert "results" not in listing.json()
    assert "person" not in detail.json()
    assert Arrival.objects.count() == 1


def test_token_authentication_works(caseworker, center_a):
    client = token_client(caseworker)

    assert client.post(LIST_URL, arrival_body(), format="json").status_code == 201
    assert client.get(LIST_URL).json()["count"] == 1


def test_registering_at_a_centre_that_is_not_yours_is_a_field_error(api_a, center_b):
    response = api_a.post(LIST_URL, arrival_body(center="CB"), format="json")

    assert response.status_code == 400
    assert "center" in response.json()
    assert Arrival.objects.count() == 0


# --- bad input -----------------------------------------------------------------------------

LONG = "x" * 10_000
FUTURE_DAY = (date.today() + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"client_uuid": None}, "client_uuid"),
        ({"center": ["CA"]}, "center"),
        ({"arrived_at": "yesterday"}, "arrived_at"),
        ({"arrived_at": 1700000000}, "arrived_at"),
        ({"arrived_at": f"{FUTURE_DAY}T10:00:00-06:00"}, "arrived_at"),
        ({"arrived_at": "0001-01-01T00:00:00+14:00"}, "arrived_at"),
        ({"mode": "rocket"}, "mode"),
        ({"returned_from": "XX"}, "returned_from"),
        ({"transport_reference": LONG}, "transport_reference"),
        ({"needs": LONG}, "needs"),
        ({"protection_concerns": ["a"]}, "protection_concerns"),
        ({"reasons": ["economic", "boredom"]}, "reasons"),
        ({"reasons": "economic"}, "reasons"),
        ({"family_group": str(uuid.uuid4())}, "family_group"),
        ({"travel_group": "tour"}, "travel_group"),
        ({"intends_to_migrate_again": 3}, "intends_to_migrate_again"),
        ({"consents": {"sell_data": True}}, "consents"),
        ({"person": "not-a-uuid"}, "person"),
        ({"person": str(uuid.uuid4())}, "person"),
        ({"new_person": None}, "person"),
        ({"new_person": "José"}, "new_person"),
        ({"new_person": new_person(id="nope")}, "new_person"),
        ({"new_person": new_person(given_names=LONG)}, "new_person"),
    ],
)
def test_bad_input_is_a_field_error_and_creates_nothing(api_a, overrides, field):
    response = api_a.post(LIST_URL, arrival_body(**overrides), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Arrival.objects.count() == 0
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    ("person_overrides", "field"),
    [
        ({"birth_date": FUTURE_DAY}, "birth_date"),
        ({"document_number": "12AB"}, "document_number"),
        ({"origin_municipality": "GT9999"}, "origin_municipality"),
        ({"nationality": "XX"}, "nationality"),
    ],
)
def test_new_person_errors_are_reported_under_new_person(api_a, person_overrides, field):
    body = arrival_body(new_person=new_person(**person_overrides))

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["new_person"]
    assert Arrival.objects.count() == 0
    assert Person.objects.count() == 0


def test_new_person_id_already_taken_is_a_field_error(api_a, center_a):
    existing = PersonFactory(centers=[center_a])

    response = api_a.post(
        LIST_URL, arrival_body(new_person=new_person(id=str(existing.pk))), format="json"
    )

    assert response.status_code == 400
    assert Arrival.objects.count() == 0


def test_both_a_returning_person_and_a_new_one_is_refused(api_a, center_a):
    returning = PersonFactory(centers=[center_a])

    response = api_a.post(LIST_URL, arrival_body(person=str(returning.pk)), format="json")

    assert response.status_code == 400
    assert "person" in response.json()


# --- dates out of range --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived_at", "message"),
    [
        # Year 1 was stored, then the answer (converting it to Guatemala time) failed for ever.
        ("0001-01-01T01:00:00Z", "La fecha de llegada no puede ser anterior al 01/01/2000."),
        ("0001-01-01T23:59:59-06:00", "La fecha de llegada no puede ser anterior al 01/01/2000."),
        ("0001-01-01T12:00:00", "La fecha de llegada no puede ser anterior al 01/01/2000."),
        ("0001-01-01T00:00:00+14:00", "La fecha de llegada no puede ser anterior al 01/01/2000."),
        ("1999-12-31T23:00:00-06:00", "La fecha de llegada no puede ser anterior al 01/01/2000."),
        ("9999-12-31T23:59:59-06:00", "La llegada no puede ser más de un día en el futuro."),
        ("9999-12-31T23:59:59-14:00", "La llegada no puede ser más de un día en el futuro."),
    ],
)
def test_an_arrival_out_of_range_is_refused_in_spanish_and_writes_nothing(
    api_a, center_a, arrived_at, message
):
    response = api_a.post(LIST_URL, arrival_body(arrived_at=arrived_at), format="json")

    assert response.status_code == 400, response.content
    assert response.json() == {"arrived_at": [message]}
    assert not Arrival.objects.exists()
    assert not Person.objects.exists()
    assert not PersonCenter.objects.exists()
    assert not Consent.objects.exists()


def test_an_arrival_may_be_dated_up_to_tomorrow_at_the_centre(api_a, monkeypatch):
    # 23:30 on 10 March in Guatemala (UTC-6): tomorrow there ends 24 h 30 min later.
    now = datetime(2026, 3, 11, 5, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)

    late_tomorrow = api_a.post(
        LIST_URL, arrival_body(arrived_at="2026-03-11T23:59:00"), format="json"
    )
    day_after = api_a.post(LIST_URL, arrival_body(arrived_at="2026-03-12T00:00:00"), format="json")

    assert late_tomorrow.status_code == 201, late_tomorrow.content
    assert day_after.status_code == 400
    assert day_after.json() == {
        "arrived_at": ["La llegada no puede ser más de un día en el futuro."]
    }
    assert Arrival.objects.count() == 1


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("0001-01-01", "La fecha de nacimiento no puede ser anterior al 01/01/1900."),
        ("1899-12-31", "La fecha de nacimiento no puede ser anterior al 01/01/1900."),
        ("9999-12-31", "La fecha de nacimiento no puede ser futura."),
    ],
)
def test_a_new_persons_date_of_birth_out_of_range_is_refused(api_a, birth_date, message):
    body = arrival_body(new_person=new_person(birth_date=birth_date))

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"new_person": {"birth_date": [message]}}
    assert not Person.objects.exists()
    assert not Arrival.objects.exists()


# --- filters -------------------------------------------------------------------------------


def test_filters_narrow_the_scoped_list(caseworker, center_a):
    other_center = ReceptionCenterFactory(code="CA2")
    assign_perm("registry.work_at_center", caseworker, other_center)
    api_a = token_client(caseworker)
    day = timezone.make_aware(datetime(2026, 1, 10, 9, 0))
    hernandez = PersonFactory(given_names="José", first_surname="Hernández", centers=[center_a])
    air = ArrivalFactory(center=center_a, person=hernandez, arrived_at=day, mode="air")
    garcia = PersonFactory(given_names="Ana", first_surname="García", second_surname="Morales")
    land = ArrivalFactory(
        center=other_center,
        person=garcia,
        arrived_at=day - timedelta(days=5),
        mode="land",
        transport_reference="BUS-7",
    )

    def ids(**params):
        response = api_a.get(LIST_URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {air.pk, land.pk}
    assert ids(center="CA") == {air.pk}
    assert ids(mode="land") == {land.pk}
    assert ids(transport_reference="bus-7") == {land.pk}
    assert ids(q="ernandez") == {air.pk}
    assert ids(person=str(hernandez.pk)) == {air.pk}
    assert ids(arrived_at_after="2026-01-10", arrived_at_before="2026-01-10") == {air.pk}
    assert ids(arrived_at_before="2026-01-09") == {land.pk}


def test_the_day_filter_is_the_centres_local_day_in_the_api_and_the_page(
    caseworker, client, center_a
):
    """One FilterSet for both doors: 23:30 in Guatemala on 10 January is 05:30 UTC on the 11th."""
    late = datetime(2026, 1, 11, 5, 30, tzinfo=UTC)
    person = PersonFactory(given_names="Yesenia", first_surname="Xol", centers=[center_a])
    arrival = ArrivalFactory(center=center_a, person=person, arrived_at=late)
    api = token_client(caseworker)
    client.force_login(caseworker)

    def api_ids(day):
        response = api.get(LIST_URL, {"day": day, "center": center_a.code})
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    def page_ids(day):
        response = client.get(reverse("intake:arrival_list"), {"day": day, "center": center_a.code})
        assert response.status_code == 200
        return {row.pk for row, _age in response.context["rows"]}

    assert api_ids("2026-01-10") == page_ids("2026-01-10") == {arrival.pk}
    assert api_ids("2026-01-11") == page_ids("2026-01-11") == set()
    assert api.get(LIST_URL, {"day": "2026-01-10"}).json()["count"] == 1


def test_a_programme_manager_filters_the_api_list_by_a_centre_they_read(center_a):
    manager = UserFactory(username="gerente")
    assign_perm("registry.view_center_records", manager, center_a)
    ArrivalFactory(center=center_a)

    response = token_client(manager).get(LIST_URL, {"center": center_a.code})

    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 1


def test_filter_by_a_centre_that_is_not_yours_is_400(api_a, center_b):
    assert api_a.get(LIST_URL, {"center": "CB"}).status_code == 400
    assert api_a.get(LIST_URL, {"arrived_at_after": "soon"}).status_code == 400


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"arrived_at_before": "9999-12-31"}, "La fecha no puede ser posterior al "),
        ({"arrived_at_after": "9999-12-31"}, "La fecha no puede ser posterior al "),
        ({"arrived_at_after": "0001-01-01"}, "La fecha no puede ser anterior al 01/01/1900."),
    ],
)
def test_a_day_out_of_range_in_the_filter_is_400_in_spanish(api_a, params, message):
    response = api_a.get(LIST_URL, params)

    assert response.status_code == 400
    assert response.json()["arrived_at"][0].startswith(message)


# --- query count ---------------------------------------------------------------------------


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(queries)


def test_list_makes_a_fixed_number_of_queries(caseworker, center_a, django_assert_num_queries):
    client = token_client(caseworker)
    reasons = list(MigrationReason.objects.all())
    for arrival in ArrivalFactory.create_batch(2, center=center_a):
        arrival.reasons.set(reasons)
    with_two = _list_queries(client)
    for arrival in ArrivalFactory.create_batch(18, center=center_a):
        arrival.reasons.set(reasons)

    # token + user, the user's centres, count, page, reasons, the access entries (one insert)
    with django_assert_num_queries(6):
        response = client.get(LIST_URL)

    assert len(response.json()["results"]) == 20
    assert with_two == 6


def test_the_same_person_again_within_a_day_answers_400_until_confirmed(api_a, center_a):
    first = api_a.post(LIST_URL, arrival_body(), format="json")
    assert first.status_code == 201
    body = {
        "client_uuid": str(uuid.uuid4()),
        "center": center_a.code,
        "person": first.json()["person"]["id"],
        "arrived_at": "2026-01-10T14:00:00-06:00",
        "mode": "air",
        "returned_from": "US",
    }
    refused = api_a.post(LIST_URL, body, format="json")
    assert refused.status_code == 400
    assert "confirm_repeat" in refused.json()
    assert Arrival.objects.count() == 1
    confirmed = api_a.post(LIST_URL, dict(body, confirm_repeat=True), format="json")
    assert confirmed.status_code == 201
    assert Arrival.objects.count() == 2
