"""Correcting a delivery through its doors (services.actions.service_delivery_correct): the page
and POST /api/v1/deliveries/<id>/correct/. The original is voided and a replacement recorded,
the reason is required, the values before and after are kept, and counts follow."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from guardian.shortcuts import assign_perm

from registry.models import Correction
from registry.roles import PROGRAMME_MANAGER
from registry.tests.factories import UserFactory
from services.actions import service_delivery_record
from services.models import ServiceDelivery
from services.selectors import counted

from .factories import person_arrived, service_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(center_a, caseworker):
    person = person_arrived(center_a, days_ago=10, registered_by=caseworker)
    return service_delivery_record(
        actor=caseworker,
        person=person,
        center=center_a,
        service_type=service_type("hygiene_kit"),
        delivered_on=center_a.local_now().date(),
    ).delivery


def page(delivery):
    return reverse("services:delivery_correct", args=[delivery.pk])


def form_data(delivery, **changes):
    data = {
        "quantity": delivery.quantity,
        "delivered_on": delivery.delivered_on.isoformat(),
        "status": delivery.status,
        "reason": "Fueron dos kits",
    }
    data.update(changes)
    return data


def test_the_uptake_page_links_to_the_correction(client_a, delivery):
    uptake = client_a.get(reverse("services:person_uptake", args=[delivery.person_id]))
    assert page(delivery) in uptake.content.decode()


def test_a_correction_voids_and_replaces_and_keeps_before_and_after(client_a, delivery):
    response = client_a.post(page(delivery), form_data(delivery, quantity=2))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.is_void and delivery.void_reason == "Fueron dos kits"
    [replacement] = counted(ServiceDelivery.objects.filter(person=delivery.person))
    assert replacement.quantity == 2 and replacement.replaces == delivery
    correction = Correction.objects.get(kind=Correction.Kind.DELIVERY_CORRECTED)
    assert "× 1" in correction.changes[0]["before"] and "× 2" in correction.changes[0]["after"]
    person_page = client_a.get(reverse("person_detail", args=[delivery.person_id]))
    assert "Entrega corregida" in person_page.content.decode()


def test_without_a_reason_nothing_changes_and_the_values_stay(client_a, delivery):
    response = client_a.post(page(delivery), form_data(delivery, quantity=3, reason=""))
    assert response.status_code == 400
    assert 'value="3"' in response.content.decode()
    assert "Indique por qué se corrige el registro." in response.content.decode()
    delivery.refresh_from_db()
    assert not delivery.is_void
    assert ServiceDelivery.objects.count() == 1


def test_a_voided_delivery_cannot_be_corrected_again(client_a, caseworker, delivery):
    client_a.post(page(delivery), form_data(delivery, quantity=2))
    delivery.refresh_from_db()
    response = client_a.post(page(delivery), form_data(delivery, quantity=5))
    assert response.status_code in (200, 400)
    assert ServiceDelivery.objects.count() == 2


def test_a_reader_is_refused_and_another_centre_gets_404(client, outsider, center_a, delivery):
    manager = UserFactory(username="manager_fix")
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    assign_perm("registry.view_center_records", manager, center_a)
    client.force_login(manager)
    assert client.post(page(delivery), form_data(delivery, quantity=2)).status_code == 403
    client.force_login(outsider)
    assert client.post(page(delivery), form_data(delivery, quantity=2)).status_code == 404
    assert ServiceDelivery.objects.count() == 1


# --- the API ------------------------------------------------------------------------------------


def api(delivery):
    return reverse("api-delivery-correct", args=[delivery.pk])


def test_api_corrects_with_a_reason(client_a, delivery):
    body = {"reason": "Fueron dos", "quantity": 2}
    response = client_a.post(api(delivery), body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["quantity"] == 2
    again = client_a.post(api(delivery), body, content_type="application/json")
    assert again.status_code == 400  # the original is voided now
    assert ServiceDelivery.objects.count() == 2


@pytest.mark.parametrize(
    "body", [{}, {"reason": " ", "quantity": 2}, {"reason": "x", "quantity": 0}]
)
def test_api_refusals_change_nothing(client_a, delivery, body):
    response = client_a.post(api(delivery), body, content_type="application/json")
    assert response.status_code == 400
    delivery.refresh_from_db()
    assert not delivery.is_void
