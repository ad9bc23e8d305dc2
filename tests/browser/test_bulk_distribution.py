"""A caseworker hands hygiene kits, food and transport to a whole flight in one submit, in Spanish."""

import os

import pytest
from django.urls import reverse

from intake.tests.factories import ArrivalFactory
from registry.tests.factories import ReceptionCenterFactory, UserFactory
from services.models import ServiceDelivery

from .conftest import BROWSER_DB, PASSWORD, sign_in

pytestmark = [pytest.mark.browser, BROWSER_DB]

FLIGHT = "GUA-4521"
SCREENSHOTS = os.environ.get("RETORNO_SCREENSHOTS")  # a folder, to look at the screens
ITEMS = ("hygiene_kit", "food", "transport")


@pytest.fixture
def flight():
    center = ReceptionCenterFactory(
        code="FAG", name_es="Centro de Recepción FAG", name_en="FAG Reception Centre"
    )
    user = UserFactory(username="trabajadora", password=PASSWORD, centers=[center])
    arrivals = [
        ArrivalFactory(center=center, registered_by=user, transport_reference=FLIGHT)
        for _ in range(5)
    ]
    return center, [arrival.person for arrival in arrivals]


def test_bulk_distribution_for_a_flight_updates_each_persons_uptake(browser_page, flight):
    center, persons = flight
    page = browser_page
    sign_in(page, "trabajadora")
    day = center.local_now().date().isoformat()
    page.goto(f"{reverse('services:distribution')}?flight={FLIGHT}&day={day}")
    assert page.get_attribute("html", "lang") == "es"

    # everyone of the flight is listed and ticked
    ticks = page.locator("input[name=persons]")
    assert ticks.count() == 5
    assert all(ticks.nth(i).is_checked() for i in range(5))
    for code in ITEMS:
        page.check(f"[name={code}-selected]")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/distribution.png", full_page=True)
    page.locator("form button.button--primary[type=submit]").click()

    page.wait_for_url("**/services/distribution/*/**")
    assert ServiceDelivery.objects.count() == 15
    assert page.locator("h1").inner_text().startswith("15 ")

    # each person's uptake shows the three items
    uptake_url = reverse("services:person_uptake", args=[persons[0].pk])
    page.locator(f"a[href='{uptake_url}']").click()
    page.wait_for_url(f"**{uptake_url}")
    received = page.locator(".uptake__table--received").inner_text()
    for name in ("Kit de higiene", "Alimentación / refrigerio", "Transporte a su lugar de origen"):
        assert name in received
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/uptake.png", full_page=True)
    for person in persons[1:]:
        assert ServiceDelivery.objects.filter(person=person).count() == 3
