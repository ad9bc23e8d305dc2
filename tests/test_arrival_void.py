"""Voiding an arrival registered by mistake (intake.actions.arrival_void): it leaves every list
and count, the summary tables follow, and it stays in the person's history with the reason."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from guardian.shortcuts import assign_perm

from intake.models import Arrival
from intake.tests.factories import ArrivalFactory
from registry.models import Correction
from registry.roles import PROGRAMME_MANAGER
from registry.tests.factories import PersonFactory, UserFactory
from reporting.indicators import report_compute
from reporting.periods import month

pytestmark = pytest.mark.django_db

MARCH = datetime(2026, 3, 3, 10, tzinfo=ZoneInfo("America/Guatemala"))


@pytest.fixture
def twice(caseworker, center_a):
    """One person registered twice on 3 March by mistake, and someone else that day."""
    person = PersonFactory(given_names="Rosa Elena", first_surname="Tzul")
    first = ArrivalFactory(
        person=person, center=center_a, arrived_at=MARCH, registered_by=caseworker
    )
    second = ArrivalFactory(
        person=person, center=center_a, arrived_at=MARCH, registered_by=caseworker
    )
    ArrivalFactory(center=center_a, arrived_at=MARCH, registered_by=caseworker)
    return first, second


def void_url(arrival):
    return reverse("intake:arrival_void", args=[arrival.pk])


def rows_counted():
    return report_compute(indicator="received", period=month(2026, 3)).total


def test_a_voided_arrival_leaves_the_lists_and_the_counts(client_a, twice, eager):
    first, second = twice
    assert rows_counted() == 2  # unique persons: the mistake never inflated them
    detail = client_a.get(reverse("intake:arrival_detail", args=[second.pk])).content.decode()
    assert void_url(second) in detail
    response = client_a.post(void_url(second), {"reason": "Registrada dos veces"})
    assert response.status_code == 302
    assert not Arrival.objects.filter(pk=second.pk).exists()
    assert Arrival.all_objects.get(pk=second.pk).void_reason == "Registrada dos veces"
    assert client_a.get(reverse("intake:arrival_detail", args=[second.pk])).status_code == 404
    assert rows_counted() == 2

    client_a.post(void_url(first), {"reason": "Persona equivocada"})
    assert rows_counted() == 1  # now she has no arrival that month


def test_the_history_keeps_the_voided_arrival_with_its_reason(client_a, twice):
    _first, second = twice
    client_a.post(void_url(second), {"reason": "Registrada dos veces"})
    correction = Correction.objects.get(kind=Correction.Kind.ARRIVAL_VOIDED)
    assert correction.object_id == str(second.pk)
    page = client_a.get(reverse("person_detail", args=[second.person_id])).content.decode()
    assert "Llegada anulada" in page and "Registrada dos veces" in page


def test_without_a_reason_nothing_is_voided(client_a, twice):
    _first, second = twice
    response = client_a.post(void_url(second), {"reason": "  "})
    assert response.status_code == 400
    assert "Indique por qué" in response.content.decode()
    assert Arrival.objects.filter(pk=second.pk).exists()


def test_voiding_twice_says_so_and_changes_nothing(caseworker, twice):
    from intake.actions import arrival_void
    from registry.errors import Invalid

    _first, second = twice
    arrival_void(actor=caseworker, arrival_id=second.pk, reason="Duplicada")
    with pytest.raises(Invalid):
        arrival_void(actor=caseworker, arrival_id=second.pk, reason="Otra vez")
    assert Correction.objects.count() == 1
    assert Arrival.all_objects.get(pk=second.pk).void_reason == "Duplicada"


def test_a_reader_may_not_and_another_centre_gets_404(client, outsider, center_a, twice):
    _first, second = twice
    manager = UserFactory(username="manager_void")
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    assign_perm("registry.view_center_records", manager, center_a)
    client.force_login(manager)
    assert client.post(void_url(second), {"reason": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.post(void_url(second), {"reason": "x"}).status_code == 404
    assert Arrival.objects.filter(pk=second.pk).exists()


def test_a_retried_registration_of_a_voided_arrival_is_not_recorded_again(
    client_a, caseworker, twice
):
    """A tablet that sends the voided arrival's submission again gets a conflict, not a new row."""
    from intake.actions import arrival_void

    _first, second = twice
    arrival_void(actor=caseworker, arrival_id=second.pk, reason="Duplicada")
    body = {
        "client_uuid": str(second.client_uuid),
        "center": second.center.code,
        "person": str(second.person_id),
        "arrived_at": second.arrived_at.isoformat(),
        "mode": "air",
        "returned_from": "US",
        "confirm_repeat": True,
    }
    response = client_a.post(reverse("api-arrival-list"), body, content_type="application/json")
    assert response.status_code == 409
    assert Arrival.all_objects.filter(person=second.person).count() == 2


# --- the API ------------------------------------------------------------------------------------


def api(arrival):
    return reverse("api-arrival-void", args=[arrival.pk])


def test_api_voids_with_a_reason(client_a, twice):
    _first, second = twice
    response = client_a.post(api(second), {"reason": "Duplicada"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["void_reason"] == "Duplicada"
    again = client_a.post(api(second), {"reason": "Duplicada"}, content_type="application/json")
    assert again.status_code == 404  # voided: no longer an arrival anyone sees


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_api_needs_a_reason(client_a, twice, body):
    _first, second = twice
    response = client_a.post(api(second), body, content_type="application/json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Arrival.objects.filter(pk=second.pk).exists()
