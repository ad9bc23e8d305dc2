"""The services API: scoped deliveries, idempotent records and distributions, void, catalogue."""

import uuid
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casework.actions import case_open
from registry.permissions import forget_center_ids
from registry.tests.factories import PersonFactory
from registry.tests.openapi import assert_documented
from services.models import Distribution, ServiceDelivery

from .factories import ServiceDeliveryFactory, person_arrived, service_type

LIST_URL = "/api/v1/deliveries/"
BULK_URL = "/api/v1/distributions/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api_a(caseworker):
    return api(caseworker)


@pytest.fixture
def person(center_a, caseworker):
    return person_arrived(center_a, days_ago=10, registered_by=caseworker)


def delivery_body(person, center, /, **overrides):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "person": str(person.pk),
        "center": center.code,
        "service_type": "hygiene_kit",
        "delivered_on": center.local_now().date().isoformat(),
        "quantity": 1,
    }
    body.update(overrides)
    return body


def stored(center, person, **fields):
    return ServiceDeliveryFactory(center=center, person=person, **fields)


# --- list and detail -------------------------------------------------------------------------


def test_the_list_shows_only_the_users_centres(api_a, center_a, center_b, person):
    mine = stored(center_a, person)
    stored(center_b, person_arrived(center_b))

    response = api_a.get(LIST_URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    row = response.json()["results"][0]
    assert row["person"] == str(person.pk)
    assert (row["center"], row["service_type"], row["category"]) == ("CA", "hygiene_kit", "aid")


def test_an_outsider_sees_nothing_and_gets_404_on_detail(outsider, center_a, person):
    delivery = stored(center_a, person)

    assert api(outsider).get(LIST_URL).json()["results"] == []
    assert api(outsider).get(f"{LIST_URL}{delivery.pk}/").status_code == 404
    assert api(outsider).get(f"{LIST_URL}not-a-number/").status_code == 404


def test_anonymous_requests_are_refused(client, center_a, person):
    stored(center_a, person)

    assert client.get(LIST_URL).status_code in (401, 403)
    assert client.get("/api/v1/service-types/").status_code in (401, 403)


def test_detail_of_a_delivery(api_a, center_a, person):
    delivery = stored(center_a, person, quantity=2)

    response = api_a.get(f"{LIST_URL}{delivery.pk}/")

    assert response.status_code == 200
    assert response.json()["quantity"] == 2
    assert response.json()["voided"] is False


@pytest.mark.parametrize("rows", [2, 20])
def test_the_list_makes_a_fixed_number_of_queries(caseworker, center_a, rows):
    for _ in range(rows):
        stored(center_a, person_arrived(center_a))
    client = api(caseworker)
    forget_center_ids(caseworker)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)

    assert len(response.json()["results"]) == rows
    # centre ids; the restricted cases opened to the user (deliveries within a case follow
    # the case); count; the page (persons, types, centres, cases, users joined)
    assert len(queries) == 4


def test_a_delivery_of_a_restricted_case_is_not_listed_for_a_colleague(
    caseworker, colleague, center_a, person
):
    restricted = case_open(actor=caseworker, person=person, center=center_a, restricted=True).case
    hidden = stored(
        center_a, person, case=restricted, service_type=service_type("psychosocial_individual")
    )

    assert api(colleague).get(LIST_URL).json()["results"] == []
    assert api(colleague).get(f"{LIST_URL}{hidden.pk}/").status_code == 404
    assert api(caseworker).get(f"{LIST_URL}{hidden.pk}/").status_code == 200


def test_the_list_filters(api_a, caseworker, center_a, person):
    today = center_a.local_now().date()
    other = person_arrived(center_a)
    kit = stored(center_a, person, delivered_on=today)
    food = stored(center_a, other, service_type=service_type("food"), delivered_on=today)
    old = stored(center_a, person, delivered_on=today - timedelta(days=5))
    voided = stored(
        center_a, person, voided_at=food.recorded_at, voided_by=caseworker, void_reason="Error"
    )

    def ids(**params):
        response = api_a.get(LIST_URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {kit.pk, food.pk, old.pk}
    assert ids(include_voided="true") == {kit.pk, food.pk, old.pk, voided.pk}
    assert ids(person=str(other.pk)) == {food.pk}
    assert ids(service_type="food") == {food.pk}
    assert ids(category="reintegration") == set()
    assert ids(center="CA") == {kit.pk, food.pk, old.pk}
    assert ids(delivered_on_after=today.isoformat()) == {kit.pk, food.pk}
    assert ids(delivered_on_before=(today - timedelta(days=1)).isoformat()) == {old.pk}
    assert ids(status="planned") == set()


def test_filtering_by_another_centre_is_refused(api_a):
    assert api_a.get(LIST_URL, {"center": "CB"}).status_code == 400


@pytest.mark.parametrize(
    "case_id",
    # Beyond a 64-bit key SQLite raised (a 500); a decimal matched nothing without a word.
    ["9223372036854775808", "99999999999999999999999", "1.5", "1.0", "-1", "0", "1e3", "abc"],
)
def test_the_case_filter_refuses_what_is_not_an_id_in_spanish(api_a, case_id):
    response = api_a.get(LIST_URL, {"case": case_id})

    assert response.status_code == 400
    assert response.json() == {"case": ["Ingrese un identificador válido: un número entero."]}


def test_the_case_filter_finds_the_cases_deliveries(api_a, caseworker, center_a, person):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    in_case = stored(center_a, person, case=case)
    stored(center_a, person)

    response = api_a.get(LIST_URL, {"case": str(case.pk)})

    assert [row["id"] for row in response.json()["results"]] == [in_case.pk]
    assert api_a.get(LIST_URL, {"case": "9223372036854775807"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"delivered_on_before": "9999-12-31"}, "La fecha no puede ser posterior al "),
        ({"delivered_on_after": "0001-01-01"}, "La fecha no puede ser anterior al 01/01/1900."),
    ],
)
def test_a_day_out_of_range_in_the_filter_is_400_in_spanish(api_a, params, message):
    response = api_a.get(LIST_URL, params)

    assert response.status_code == 400
    assert response.json()["delivered_on"][0].startswith(message)


# --- recording one delivery ------------------------------------------------------------------


def test_recording_answers_201_then_200_on_replay_and_409_on_reuse(
    api_a, caseworker, center_a, person
):
    body = delivery_body(person, center_a, quantity=2)

    first = api_a.post(LIST_URL, body, format="json")
    replay = api_a.post(LIST_URL, body, format="json")
    reuse = api_a.post(LIST_URL, {**body, "quantity": 3}, format="json")

    assert first.status_code == 201, first.json()
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert reuse.status_code == 409
    delivery = ServiceDelivery.objects.get()
    assert (delivery.quantity, delivery.recorded_by) == (2, caseworker)
    entry = LogEntry.objects.get_for_object(delivery).get(action=LogEntry.Action.CREATE)
    assert entry.actor == caseworker


def test_a_person_of_another_centre_answers_like_an_unknown_one(api_a, center_a, center_b):
    stranger = person_arrived(center_b)

    outside = api_a.post(LIST_URL, delivery_body(stranger, center_a), format="json")
    unknown = api_a.post(
        LIST_URL, delivery_body(stranger, center_a, person=str(uuid.uuid4())), format="json"
    )

    assert outside.status_code == unknown.status_code == 400
    assert outside.json()["person"] == unknown.json()["person"]
    assert not ServiceDelivery.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 4}, "quantity"),
        ({"service_type": "vocational_training"}, "case"),
        ({"training_hours": 10}, "training_hours"),
        ({"service_type": "emergency_cash"}, "cash_amount"),
        ({"service_type": "no_such_service"}, "service_type"),
        ({"center": "CB"}, "center"),
    ],
)
def test_bad_input_answers_400_on_the_field(api_a, center_a, person, overrides, field):
    response = api_a.post(LIST_URL, delivery_body(person, center_a, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not ServiceDelivery.objects.exists()


def test_a_future_date_answers_400(api_a, center_a, person):
    tomorrow = center_a.local_now().date() + timedelta(days=1)

    response = api_a.post(
        LIST_URL, delivery_body(person, center_a, delivered_on=tomorrow.isoformat()), format="json"
    )

    assert response.status_code == 400
    assert "delivered_on" in response.json()


def test_bulk_entries_name_the_tablet_the_request_came_from_as_one_delivery_does(
    api_a, caseworker, center_a
):
    """A handout's entries are written by the database from one entry: each still says who,
    from where, and which record, like the entry of a delivery recorded alone."""
    persons = [person_arrived(center_a) for _ in range(2)]

    alone = api_a.post(
        LIST_URL, delivery_body(persons[0], center_a), format="json", REMOTE_ADDR="10.20.30.40"
    )
    handout = api_a.post(
        BULK_URL,
        bulk_body(center_a, persons, confirm_repeat=True),
        format="json",
        REMOTE_ADDR="10.20.30.40",
    )

    assert (alone.status_code, handout.status_code) == (201, 201)
    entries = LogEntry.objects.filter(
        action=LogEntry.Action.CREATE, content_type__model="servicedelivery"
    )
    assert entries.count() == 5
    rows = {str(row.pk): row.pk for row in ServiceDelivery.objects.all()}
    for entry in entries:
        assert entry.remote_addr == "10.20.30.40"
        assert entry.actor == caseworker
        assert entry.object_pk in rows and entry.object_id == rows[entry.object_pk]
        assert entry.object_repr == entry.object_pk  # the person's name is not in the trail


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0001-01-01", "La fecha no puede ser anterior al 01/01/2000."),
        ("1999-12-31", "La fecha no puede ser anterior al 01/01/2000."),
        ("9999-12-31", "La fecha no puede ser posterior a la fecha de hoy en el centro."),
    ],
)
def test_a_date_out_of_range_answers_400_in_spanish_and_writes_nothing(
    api_a, center_a, day, message
):
    # Known at the centre without an arrival: no first-arrival date stopped year 1 before.
    person = PersonFactory(centers=[center_a])

    response = api_a.post(
        LIST_URL, delivery_body(person, center_a, delivered_on=day), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"delivered_on": [message]}
    assert not ServiceDelivery.objects.exists()


def test_a_job_start_out_of_range_answers_400(api_a, caseworker, center_a, person):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    body = delivery_body(
        person,
        center_a,
        service_type="job_placement",
        case=case.pk,
        employer_sector="commerce",
        employment_start="9999-12-31",
    )

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["employment_start"][0].startswith("La fecha no puede ser posterior al ")
    assert not ServiceDelivery.objects.exists()


def test_a_reintegration_service_with_outcomes_and_a_case(api_a, caseworker, center_a, person):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    body = delivery_body(
        person,
        center_a,
        service_type="vocational_training",
        case=case.pk,
        training_hours=80,
        training_completed=True,
    )

    response = api_a.post(LIST_URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["case_number"] == case.number
    assert response.json()["training_hours"] == 80


# --- void ------------------------------------------------------------------------------------


def test_void_answers_200_then_400_and_404_outside_scope(api_a, outsider, center_a, person):
    delivery = stored(center_a, person)
    url = f"{LIST_URL}{delivery.pk}/void/"

    assert api(outsider).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api_a.post(url, {"reason": ""}, format="json").json().keys() == {"reason"}
    response = api_a.post(url, {"reason": "Registrado dos veces"}, format="json")
    again = api_a.post(url, {"reason": "Otra vez"}, format="json")

    assert response.status_code == 200
    assert response.json()["voided"] is True
    assert response.json()["void_reason"] == "Registrado dos veces"
    assert again.status_code == 400
    delivery.refresh_from_db()
    assert delivery.void_reason == "Registrado dos veces"
    assert LogEntry.objects.get_for_object(delivery).filter(action=LogEntry.Action.UPDATE)


# --- bulk distribution -----------------------------------------------------------------------


def bulk_body(center, persons, /, **overrides):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "center": center.code,
        "delivered_on": center.local_now().date().isoformat(),
        "items": [{"service_type": "hygiene_kit", "quantity": 1}, {"service_type": "food"}],
        "persons": [str(p.pk) for p in persons],
        "group_label": "Vuelo GUA-014",
    }
    body.update(overrides)
    return body


def test_bulk_answers_201_then_200_with_the_same_body_then_409(api_a, caseworker, center_a):
    persons = [person_arrived(center_a) for _ in range(3)]
    body = bulk_body(center_a, persons)

    first = api_a.post(BULK_URL, body, format="json")
    replay = api_a.post(BULK_URL, body, format="json")
    reuse = api_a.post(BULK_URL, {**body, "group_label": "Otro"}, format="json")

    assert first.status_code == 201, first.json()
    assert first.json()["deliveries"] == 6
    assert replay.status_code == 200 and replay.json() == first.json()
    assert reuse.status_code == 409
    assert ServiceDelivery.objects.count() == 6
    create_entries = LogEntry.objects.filter(
        action=LogEntry.Action.CREATE, content_type__model="servicedelivery"
    )
    assert create_entries.count() == 6
    assert {e.actor for e in create_entries} == {caseworker}


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0001-01-01", "La fecha no puede ser anterior al 01/01/2000."),
        ("9999-12-31", "La fecha no puede ser posterior a la fecha de hoy en el centro."),
    ],
)
def test_bulk_on_a_date_out_of_range_says_so_once_and_saves_nothing(api_a, center_a, day, message):
    persons = [PersonFactory(centers=[center_a]), person_arrived(center_a)]

    response = api_a.post(BULK_URL, bulk_body(center_a, persons, delivered_on=day), format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}
    assert not Distribution.objects.exists()
    assert not ServiceDelivery.objects.exists()


def test_bulk_saves_nothing_and_names_the_wrong_person_and_item(api_a, center_a, center_b):
    persons = [person_arrived(center_a) for _ in range(2)]
    stranger = person_arrived(center_b)
    body = bulk_body(
        center_a,
        [*persons, stranger],
        items=[{"service_type": "food"}, {"service_type": "transport", "quantity": 99}],
    )

    response = api_a.post(BULK_URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["persons"]) == {str(stranger.pk)}
    assert set(response.json()["items"]) == {"1"}
    assert not ServiceDelivery.objects.exists()
    assert not Distribution.objects.exists()


def test_bulk_asks_to_confirm_items_already_received_that_day(api_a, center_a):
    persons = [person_arrived(center_a) for _ in range(2)]
    api_a.post(BULK_URL, bulk_body(center_a, persons[:1]), format="json")

    again = api_a.post(BULK_URL, bulk_body(center_a, persons), format="json")

    assert again.status_code == 400
    assert set(again.json()["persons"]) == {str(persons[0].pk)}
    assert again.json()["confirm_repeat"]
    assert ServiceDelivery.objects.count() == 2
    body = bulk_body(center_a, persons, confirm_repeat=True)
    assert api_a.post(BULK_URL, body, format="json").status_code == 201
    assert ServiceDelivery.objects.count() == 6


def test_bulk_general_errors_and_unknown_items(api_a, center_a):
    persons = [person_arrived(center_a)]
    tomorrow = (center_a.local_now().date() + timedelta(days=1)).isoformat()

    future = api_a.post(
        BULK_URL, bulk_body(center_a, persons, delivered_on=tomorrow), format="json"
    )
    empty = api_a.post(BULK_URL, bulk_body(center_a, [], items=[]), format="json")
    unknown = api_a.post(
        BULK_URL,
        bulk_body(center_a, persons, items=[{"service_type": "food"}, {"service_type": "nope"}]),
        format="json",
    )

    assert future.status_code == 400 and future.json()["non_field_errors"]
    assert empty.status_code == 400 and len(empty.json()["non_field_errors"]) == 2
    assert unknown.status_code == 400 and set(unknown.json()["items"]) == {"1"}
    assert not ServiceDelivery.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        None,
        {"items": {"service_type": "food"}, "persons": "everyone"},
        {"items": [{"service_type": "food"}, {"quantity": "two"}], "persons": ["not-a-uuid"]},
    ],
    ids=["missing fields", "not lists", "wrong elements"],
)
def test_bulk_input_errors_match_the_documented_400(api_a, center_a, overrides):
    body = {} if overrides is None else bulk_body(center_a, [], **overrides)

    response = api_a.post(BULK_URL, body, format="json")

    assert response.status_code == 400
    assert_documented(response, path=BULK_URL, method="POST")


def test_bulk_item_errors_are_messages_by_position(api_a, center_a):
    items = [{"service_type": "food"}, {"service_type": "food", "quantity": "two"}]
    response = api_a.post(BULK_URL, bulk_body(center_a, [], items=items), format="json")

    assert response.status_code == 400
    messages = response.json()["items"]
    assert list(messages) == ["1"]
    assert isinstance(messages["1"], list) and all(isinstance(m, str) for m in messages["1"])


def test_an_unknown_service_is_named_in_the_message(api_a, center_a):
    items = [{"service_type": "food"}, {"service_type": "nope"}]
    response = api_a.post(
        BULK_URL, bulk_body(center_a, [], items=items), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.json()["items"] == {"1": ["Unknown service: nope."]}


def test_bulk_refusals_of_the_action_match_the_documented_400(api_a, center_a, center_b):
    body = bulk_body(
        center_a,
        [person_arrived(center_a), person_arrived(center_b)],
        items=[{"service_type": "food"}, {"service_type": "transport", "quantity": 99}],
    )

    response = api_a.post(BULK_URL, body, format="json")

    assert response.status_code == 400
    assert_documented(response, path=BULK_URL, method="POST")


def test_bulk_at_another_centre_is_refused(api_a, center_a):
    response = api_a.post(BULK_URL, bulk_body(center_a, [], center="CB"), format="json")

    assert response.status_code == 400
    assert "center" in response.json()


# --- catalogue -------------------------------------------------------------------------------


def test_service_types_follow_accept_language(api_a):
    spanish = api_a.get("/api/v1/service-types/", HTTP_ACCEPT_LANGUAGE="es")
    english = api_a.get("/api/v1/service-types/", HTTP_ACCEPT_LANGUAGE="en")

    names_es = {row["code"]: row["name"] for row in spanish.json()}
    names_en = {row["code"]: row["name"] for row in english.json()}
    assert names_es["hygiene_kit"] == "Kit de higiene"
    assert names_en["hygiene_kit"] == "Hygiene kit"
    assert names_es["vocational_training"] == "Formación técnica y vocacional"
    assert names_en["vocational_training"] == "Vocational training"


def test_service_types_leave_out_inactive_ones_and_describe_outcomes(api_a):
    retired = service_type("phone_call")
    retired.active = False
    retired.save(update_fields=["active"])

    rows = {row["code"]: row for row in api_a.get("/api/v1/service-types/").json()}

    assert "phone_call" not in rows
    assert rows["emergency_cash"]["outcome_fields"] == ["cash_amount", "cash_currency"]
    assert rows["vocational_training"]["requires_case"] is True


def test_delivery_names_follow_accept_language(api_a, center_a, person):
    stored(center_a, person)

    spanish = api_a.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="es").json()["results"][0]
    english = api_a.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]

    assert (spanish["service_type_name"], english["service_type_name"]) == (
        "Kit de higiene",
        "Hygiene kit",
    )


def test_seeded_providers_are_listed(api_a):
    names = {row["name"]: row for row in api_a.get("/api/v1/providers/").json()}

    assert names["INTECAP"]["country"] == "GT"
    assert names["OIM (Organización Internacional para las Migraciones)"]["kind"] == (
        "international"
    )


def test_the_same_kit_again_the_same_day_answers_400_until_confirmed(api_a, center_a, person):
    assert api_a.post(LIST_URL, delivery_body(person, center_a), format="json").status_code == 201
    again = delivery_body(person, center_a)
    refused = api_a.post(LIST_URL, again, format="json")
    assert refused.status_code == 400
    assert "confirm_repeat" in refused.json()
    confirmed = api_a.post(LIST_URL, dict(again, confirm_repeat=True), format="json")
    assert confirmed.status_code == 201
    assert ServiceDelivery.objects.filter(person=person).count() == 2
