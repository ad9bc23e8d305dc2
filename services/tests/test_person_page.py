"""The person page shows what the person received, and deliveries on the timeline, in scope."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.tests.factories import ArrivalFactory
from services.actions import service_delivery_record
from services.models import ServiceType

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(caseworker, center_a):
    arrival = ArrivalFactory(center=center_a, arrived_at=timezone.now() - timedelta(days=1))
    service_delivery_record(
        actor=caseworker,
        person=arrival.person,
        center=center_a,
        service_type=ServiceType.objects.get(code="hygiene_kit"),
        delivered_on=center_a.local_now().date(),
        quantity=2,
    )
    return arrival.person


def test_person_page_shows_uptake_and_timeline_in_spanish(client_a, delivered):
    page = client_a.get(reverse("person_detail", args=[delivered.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Kit de higiene" in body  # uptake table, Spanish catalogue name
    kinds = [entry.kind for entry in page.context["timeline"]]
    assert "delivery" in kinds and "arrival" in kinds
    assert reverse("services:record", args=[delivered.pk]) in body


def test_a_reader_of_another_centre_sees_neither(client, outsider, delivered):
    client.force_login(outsider)
    assert client.get(reverse("person_detail", args=[delivered.pk])).status_code == 404


def test_case_page_shows_the_services_given_within_the_case(client_a, caseworker, center_a):
    from casework.actions import case_open

    arrival = ArrivalFactory(center=center_a, arrived_at=timezone.now() - timedelta(days=3))
    case = case_open(actor=caseworker, person=arrival.person, center=center_a, arrival=arrival).case
    today = center_a.local_now().date()
    training = ServiceType.objects.get(code="vocational_training")
    service_delivery_record(
        actor=caseworker,
        person=arrival.person,
        center=center_a,
        service_type=training,
        delivered_on=today,
        case=case,
        outcomes={"training_hours": 40},
    )
    service_delivery_record(
        actor=caseworker,
        person=arrival.person,
        center=center_a,
        service_type=ServiceType.objects.get(code="food"),
        delivered_on=today,
    )
    page = client_a.get(reverse("cases:case_detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="es")
    body = page.content.decode()
    assert "Formación técnica y vocacional" in body  # given within the case
    assert "Alimentación / refrigerio" not in body  # aid at the door: not part of the case
