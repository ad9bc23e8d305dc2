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
