"""The services screens: recording a person's services, bulk distribution, voiding, uptake."""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.actions import case_open
from intake.tests.factories import ArrivalFactory
from registry.tests.factories import PersonFactory
from services.actions import service_delivery_record
from services.models import Distribution, ServiceDelivery, ServiceType

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Assert on the English strings: the Spanish catalogue is regenerated separately."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _type(code):
    return ServiceType.objects.get(code=code)


@pytest.fixture
def person(center_a, caseworker):
    return ArrivalFactory(center=center_a, registered_by=caseworker).person


def _record_data(client_uuid, rows, **shared):
    """POST data of the record screen: rows = {code: {"quantity": 1, ...outcomes}}."""
    data = {"client_uuid": str(client_uuid), "delivered_on": shared.pop("day"), **shared}
    for code, values in rows.items():
        data[f"{code}-selected"] = "on"
        data[f"{code}-quantity"] = str(values.pop("quantity", 1))
        data[f"{code}-status"] = values.pop("status", "completed")
        data.update({f"{code}-{name}": value for name, value in values.items()})
    return data


def _today(center):
    return center.local_now().date().isoformat()


# --- Recording one person's services ----------------------------------------------------------


def test_record_several_deliveries_in_one_submit(client_a, person, center_a):
    url = reverse("services:record", args=[person.pk])
    assert client_a.get(url).status_code == 200
    data = _record_data(
        uuid.uuid4(),
        {
            "hygiene_kit": {"quantity": 2},
            "food": {},
            "psychosocial_group": {"sessions_attended": "3", "improvement_noted": "true"},
        },
        day=_today(center_a),
    )

    response = client_a.post(url, data)

    assert response.status_code == 302
    assert response.url == reverse("services:person_uptake", args=[person.pk])
    deliveries = {d.service_type.code: d for d in ServiceDelivery.objects.filter(person=person)}
    assert set(deliveries) == {"hygiene_kit", "food", "psychosocial_group"}
    assert deliveries["hygiene_kit"].quantity == 2
    assert deliveries["psychosocial_group"].sessions_attended == 3
    assert deliveries["psychosocial_group"].improvement_noted is True
    assert {d.center_id for d in deliveries.values()} == {center_a.pk}
    page = client_a.get(response.url).content.decode()
    assert "Hygiene kit" in page and "3 sessions" in page


def test_a_retried_submit_records_nothing_twice(client_a, person, center_a):
    url = reverse("services:record", args=[person.pk])
    data = _record_data(uuid.uuid4(), {"hygiene_kit": {}, "transport": {}}, day=_today(center_a))
    client_a.post(url, data)
    response = client_a.post(url, data, follow=True)

    assert ServiceDelivery.objects.filter(person=person).count() == 2
    assert "already recorded" in response.content.decode()


def test_a_form_identifier_of_another_centres_record_is_refused_without_its_data(
    client, caseworker, person, center_a, center_b, outsider
):
    key = uuid.uuid4()
    theirs = ArrivalFactory(center=center_b, registered_by=outsider).person
    client.force_login(outsider)
    data_b = _record_data(key, {"food": {}}, day=_today(center_b))
    assert client.post(reverse("services:record", args=[theirs.pk]), data_b).status_code == 302
    client.force_login(caseworker)

    response = client.post(
        reverse("services:record", args=[person.pk]),
        _record_data(key, {"food": {}}, day=_today(center_a)),
    )

    assert response.status_code == 200
    assert "already saved with other content" in response.content.decode()
    assert response.context["form"]["client_uuid"].value() != str(key)
    assert list(ServiceDelivery.objects.values_list("person", flat=True)) == [theirs.pk]


def test_a_bad_row_is_shown_on_that_row_and_nothing_is_saved(client_a, person, center_a):
    url = reverse("services:record", args=[person.pk])
    data = _record_data(
        uuid.uuid4(),
        {
            "food": {"quantity": 1},
            "hygiene_kit": {"quantity": 9},
            "vocational_training": {"training_hours": "40"},
        },
        day=_today(center_a),
    )

    response = client_a.post(url, data)

    assert response.status_code == 200
    assert not ServiceDelivery.objects.exists()
    html = response.content.decode()
    assert "There is a problem" in html
    row = lambda code: html.split(f'id="row-{code}"')[1].split('id="row-')[0]  # noqa: E731
    assert "At most 3 per delivery of this service." in row("hygiene_kit")
    assert "choose the person" in row("vocational_training")
    assert "At most" not in row("food")
    # typed values kept
    assert 'name="hygiene_kit-quantity" value="9"' in html
    assert 'name="vocational_training-training_hours" value="40"' in html
    assert 'name="client_uuid" value="{}"'.format(data["client_uuid"]) in html
    ticked = html.split('name="vocational_training-selected"')[1].split(">")[0]
    assert "checked" in ticked


def test_a_case_service_is_recorded_within_the_chosen_case(client_a, caseworker, person, center_a):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    url = reverse("services:record", args=[person.pk])
    data = _record_data(
        uuid.uuid4(),
        {"vocational_training": {"training_hours": "40", "training_completed": "true"}},
        day=_today(center_a),
        case=str(case.pk),
    )

    assert client_a.post(url, data).status_code == 302

    delivery = ServiceDelivery.objects.get(person=person)
    assert delivery.case == case
    assert delivery.training_hours == 40
    assert delivery.training_completed is True


def test_nothing_ticked_is_an_error(client_a, person, center_a):
    url = reverse("services:record", args=[person.pk])
    response = client_a.post(url, _record_data(uuid.uuid4(), {}, day=_today(center_a)))
    assert response.status_code == 200
    assert "Tick at least one service." in response.content.decode()


def test_outsider_gets_404_on_every_screen_of_a_person(client, outsider, person, caseworker):
    arrival = person.arrivals.get()
    delivery = service_delivery_record(
        actor=caseworker,
        person=person,
        center=arrival.center,
        service_type=_type("food"),
        # The arrival's day at the centre (in UTC it may already be tomorrow there).
        delivered_on=arrival.arrived_at.astimezone(arrival.center.tzinfo).date(),
    ).delivery
    client.force_login(outsider)
    for url in (
        reverse("services:record", args=[person.pk]),
        reverse("services:person_uptake", args=[person.pk]),
        reverse("services:delivery_void", args=[delivery.pk]),
        reverse("services:record", args=[uuid.uuid4()]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("services:record", args=[person.pk]), {}).status_code == 404
    assert client.post(reverse("services:delivery_void", args=[delivery.pk]), {}).status_code == 404
    delivery.refresh_from_db()
    assert delivery.voided_at is None


def test_anonymous_is_sent_to_sign_in(client, person):
    response = client.get(reverse("services:record", args=[person.pk]))
    assert response.status_code == 302
    assert reverse("login") in response.url


# --- Voiding ----------------------------------------------------------------------------------


def test_void_with_a_reason(client_a, caseworker, person, center_a):
    delivery = service_delivery_record(
        actor=caseworker,
        person=person,
        center=center_a,
        service_type=_type("food"),
        delivered_on=center_a.local_now().date(),
    ).delivery
    url = reverse("services:delivery_void", args=[delivery.pk])
    assert client_a.get(url).status_code == 200

    refused = client_a.post(url, {"void_reason": ""})
    assert refused.status_code == 200
    delivery.refresh_from_db()
    assert delivery.voided_at is None

    response = client_a.post(url, {"void_reason": "Recorded twice"}, follow=True)
    delivery.refresh_from_db()
    assert delivery.voided_at is not None
    assert delivery.void_reason == "Recorded twice"
    assert "Voided: Recorded twice" in response.content.decode()


# --- Bulk distribution ------------------------------------------------------------------------

FLIGHT = "GUA-777"


def _flight(center, caseworker, size, reference=FLIGHT):
    return [
        ArrivalFactory(center=center, registered_by=caseworker, transport_reference=reference)
        for _ in range(size)
    ]


def _distribution_url(center, **query):
    query = query or {"flight": FLIGHT, "day": _today(center)}
    return reverse("services:distribution") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def _bulk_data(client_uuid, persons, day, items=("hygiene_kit", "food", "transport")):
    data = {
        "client_uuid": str(client_uuid),
        "delivered_on": day,
        "persons": [str(p.pk) for p in persons],
    }
    for code in items:
        data[f"{code}-selected"] = "on"
        data[f"{code}-quantity"] = "1"
    return data


def test_bulk_distribution_for_a_flight_group(client_a, caseworker, center_a, center_b, outsider):
    group = _flight(center_a, caseworker, 5)
    _flight(center_b, outsider, 1)  # same flight code, another centre
    _flight(center_a, caseworker, 1, reference="OTHER-1")
    url = _distribution_url(center_a)

    page = client_a.get(url).content.decode()
    for arrival in group:
        assert arrival.person.full_name in page
    assert page.count('name="persons"') == 5
    # aid that needs a case or an amount is not offered
    assert 'name="emergency_cash-selected"' not in page
    assert 'name="vocational_training-selected"' not in page

    persons = [a.person for a in group]
    data = _bulk_data(uuid.uuid4(), persons, _today(center_a))
    response = client_a.post(url, data)

    assert response.status_code == 302
    deliveries = ServiceDelivery.objects.all()
    assert deliveries.count() == 15
    assert {d.person_id for d in deliveries} == {p.pk for p in persons}
    for person in persons:
        codes = sorted(d.service_type.code for d in deliveries.filter(person=person))
        assert codes == ["food", "hygiene_kit", "transport"]
    done = client_a.get(response.url).content.decode()
    assert "15 deliveries recorded for 5 people" in done

    # a retried submit records nothing twice and lands on the same page
    again = client_a.post(url, data)
    assert again.status_code == 302
    assert again.url == response.url
    assert ServiceDelivery.objects.count() == 15
    assert Distribution.objects.count() == 1


def test_a_second_handout_the_same_day_names_who_got_it_and_asks_to_confirm(
    client_a, caseworker, center_a
):
    group = _flight(center_a, caseworker, 3)
    persons = [a.person for a in group]
    url = _distribution_url(center_a)
    client_a.post(url, _bulk_data(uuid.uuid4(), persons[:1], _today(center_a), items=("food",)))

    data = _bulk_data(uuid.uuid4(), persons, _today(center_a), items=("food",))
    response = client_a.post(url, data, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 200 and ServiceDelivery.objects.count() == 1
    page = response.content.decode()
    assert "ya recibieron estos artículos ese día" in page
    assert 'type="checkbox" name="confirm_repeat"' in page
    assert len(re.findall(r'id="tick-[^"]+" checked', page)) == 3  # the ticks are kept
    confirmed = client_a.post(url, {**data, "confirm_repeat": "on"})
    assert confirmed.status_code == 302 and ServiceDelivery.objects.count() == 4


def test_unticked_people_get_nothing(client_a, caseworker, center_a):
    group = _flight(center_a, caseworker, 3)
    present = [a.person for a in group[:2]]
    data = _bulk_data(uuid.uuid4(), present, _today(center_a), items=("food",))
    client_a.post(_distribution_url(center_a), data)
    assert {d.person_id for d in ServiceDelivery.objects.all()} == {p.pk for p in present}


def test_a_person_of_another_centre_cannot_be_injected(
    client_a, caseworker, center_a, center_b, outsider
):
    group = _flight(center_a, caseworker, 3)
    stranger = _flight(center_b, outsider, 1)[0].person
    persons = [a.person for a in group]
    data = _bulk_data(uuid.uuid4(), [*persons, stranger], _today(center_a))

    response = client_a.post(_distribution_url(center_a), data)

    assert response.status_code == 200
    assert not ServiceDelivery.objects.exists()
    assert not Distribution.objects.exists()
    html = response.content.decode()
    assert "not in this group" in html
    assert stranger.full_name not in html
    # ticks and items kept
    for person in persons:
        assert f'value="{person.pk}" id="tick-{person.pk}" checked' in html
    assert 'name="food-selected" id="id_food-selected" checked' in html


def test_a_bad_item_is_shown_on_its_row(client_a, caseworker, center_a):
    group = _flight(center_a, caseworker, 2)
    data = _bulk_data(uuid.uuid4(), [a.person for a in group], _today(center_a))
    data["hygiene_kit-quantity"] = "9"

    response = client_a.post(_distribution_url(center_a), data)

    assert response.status_code == 200
    assert not ServiceDelivery.objects.exists()
    html = response.content.decode()
    row = html.split('id="row-hygiene_kit"')[1].split('id="row-')[0]
    assert "At most 3 per delivery of this service." in row


def test_a_person_whose_first_arrival_is_later_is_named(client_a, caseworker, center_a):
    group = _flight(center_a, caseworker, 2)
    yesterday = (center_a.local_now().date()).fromordinal(center_a.local_now().toordinal() - 1)
    data = _bulk_data(uuid.uuid4(), [a.person for a in group], yesterday.isoformat())

    response = client_a.post(_distribution_url(center_a), data)

    assert response.status_code == 200
    assert not ServiceDelivery.objects.exists()
    assert f'id="person-{group[0].person.pk}" class="distribution-people--error"' in (
        response.content.decode()
    )


def test_the_group_of_an_arrival_and_of_a_family(client_a, caseworker, center_a):
    group = _flight(center_a, caseworker, 3)
    page = client_a.get(_distribution_url(center_a, arrival=group[0].pk)).content.decode()
    assert page.count('name="persons"') == 3

    family = uuid.uuid4()
    members = [
        ArrivalFactory(
            center=center_a,
            registered_by=caseworker,
            transport_reference="",
            travel_group="family_unit",
            family_group=family,
        )
        for _ in range(2)
    ]
    page = client_a.get(_distribution_url(center_a, family=family)).content.decode()
    assert page.count('name="persons"') == 2
    assert members[1].person.full_name in page


def test_another_centres_group_is_not_found(client_a, outsider, center_b):
    arrival = _flight(center_b, outsider, 1)[0]
    assert client_a.get(_distribution_url(center_b)).status_code == 404
    assert client_a.get(_distribution_url(center_b, arrival=arrival.pk)).status_code == 404
    assert client_a.get(reverse("services:distribution")).status_code == 404


@pytest.mark.parametrize(
    ("day", "message"),
    [
        # The end of that day overflowed: a 500.
        ("9999-12-31", "La fecha no puede ser posterior al "),
        ("0001-01-01", "La fecha no puede ser anterior al 01/01/1900."),
        ("nonsense", "Introduzca una fecha válida."),
    ],
)
def test_a_day_that_is_not_a_date_in_range_is_400_in_spanish(
    client_a, caseworker, center_a, day, message
):
    _flight(center_a, caseworker, 1)

    response = client_a.get(
        _distribution_url(center_a, flight=FLIGHT, day=day), HTTP_ACCEPT_LANGUAGE="es"
    )

    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_nul_character_in_the_flight_is_400_in_spanish(client_a, caseworker, center_a):
    # PostgreSQL raised on it (a 500); SQLite answered 404.
    _flight(center_a, caseworker, 1)

    response = client_a.get(
        reverse("services:distribution") + "?flight=%00", HTTP_ACCEPT_LANGUAGE="es"
    )

    assert response.status_code == 400
    assert "La solicitud contiene un carácter NUL" in response.content.decode()


def test_a_delivery_dated_year_1_is_shown_on_the_date_and_not_saved(client_a, center_a):
    # Without an arrival there is no first-arrival date to stop it: it was recorded.
    person = PersonFactory(centers=[center_a])
    url = reverse("services:record", args=[person.pk])

    response = client_a.post(url, _record_data(uuid.uuid4(), {"food": {}}, day="0001-01-01"))

    assert response.status_code == 200
    assert 'id="id_delivered_on_error"' in response.content.decode()
    assert "The date cannot be before 01/01/2000." in response.content.decode()
    assert not ServiceDelivery.objects.exists()


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_distribution_screen_query_count_does_not_grow_with_the_group(
    client_a, caseworker, center_a
):
    _flight(center_a, caseworker, 5)
    small = _queries(client_a, _distribution_url(center_a))
    _flight(center_a, caseworker, 45)
    large = _queries(client_a, _distribution_url(center_a))
    assert large == small
    # session, user, centres (2), group (2), items, providers, csrf (3), access entries
    assert small <= 12


def test_uptake_page_query_count_does_not_grow(client_a, caseworker, person, center_a):
    url = reverse("services:person_uptake", args=[person.pk])

    def record(code):
        service_delivery_record(
            actor=caseworker,
            person=person,
            center=center_a,
            service_type=_type(code),
            delivered_on=center_a.local_now().date(),
        )

    record("food")
    small = _queries(client_a, url)
    for code in ("hygiene_kit", "transport", "clothing", "phone_call"):
        record(code)
    assert _queries(client_a, url) == small


def test_distribution_with_no_arrival_for_a_person_page(client_a, center_a):
    # A person known at the centre without an arrival has no group to distribute to.
    person = PersonFactory(centers=[center_a])
    assert client_a.get(_distribution_url(center_a, person=person.pk)).status_code == 404


def test_the_uptake_part_alone_for_htmx(client_a, caseworker, person, center_a):
    service_delivery_record(
        actor=caseworker,
        person=person,
        center=center_a,
        service_type=_type("hygiene_kit"),
        delivered_on=center_a.local_now().date(),
    )
    url = reverse("services:person_uptake", args=[person.pk])
    html = client_a.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html
    assert "Hygiene kit" in html


def test_the_same_kit_again_the_same_day_is_shown_with_a_confirmation(client_a, person, center_a):
    url = reverse("services:record", args=[person.pk])
    client_a.post(url, _record_data(uuid.uuid4(), {"hygiene_kit": {}}, day=_today(center_a)))
    again = _record_data(uuid.uuid4(), {"hygiene_kit": {}, "food": {}}, day=_today(center_a))
    response = client_a.post(url, again, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    page = response.content.decode()
    assert "ya se registró para esta persona" in page
    assert 'type="checkbox" name="confirm_repeat"' in page
    assert ServiceDelivery.objects.filter(person=person).count() == 1  # all or none

    response = client_a.post(url, dict(again, confirm_repeat="on"))
    assert response.status_code == 302
    assert (
        ServiceDelivery.objects.filter(person=person, service_type__code="hygiene_kit").count() == 2
    )
