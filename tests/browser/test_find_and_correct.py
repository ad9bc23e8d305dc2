"""A caseworker finds someone who arrived last month (no case) from the header's search box,
with a typo in the surname, and corrects the misspelt given name, in Spanish at 1024×768."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from intake.tests.factories import ArrivalFactory
from registry.models import Correction, Person
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory

from .conftest import BROWSER_DB, PASSWORD, sign_in

pytestmark = [pytest.mark.browser, BROWSER_DB]


@pytest.fixture
def arrived_last_month():
    center = ReceptionCenterFactory(
        code="SPS", name_es="Centro de Atención SPS", name_en="SPS Reception Centre"
    )
    user = UserFactory(username="trabajadora", password=PASSWORD, centers=[center])
    user.groups.add(Group.objects.get(name="caseworker"))
    person = PersonFactory(
        given_names="Yesenia Marisol", first_surname="Argueta", second_surname="Euceda"
    )
    ArrivalFactory(
        person=person,
        center=center,
        registered_by=user,
        arrived_at=timezone.now() - timedelta(days=35),
        transport_reference="IAH-SPS-1022",
    )
    return person


def test_find_with_the_header_box_and_correct_a_name(browser_page, arrived_last_month):
    page = browser_page
    sign_in(page, "trabajadora")

    # The box is in the header of every page; a misspelt surname still finds her.
    page.fill("header [name=q]", "Jesenia Argeda")
    page.locator("header form[role=search] button").click()
    page.wait_for_load_state()
    table = page.locator("table").inner_text()
    assert "Yesenia Marisol Argueta Euceda" in table
    assert "Última llegada" in table and "Centro de Atención SPS" in table

    # Her record, then the correction with a reason.
    page.locator("table a", has_text="Yesenia Marisol").click()
    page.wait_for_load_state()
    page.locator("a", has_text="Corregir datos personales").click()
    page.wait_for_load_state()
    page.fill("[name=given_names]", "Yessenia Marisol")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Indique por qué se corrige el registro." in page.content()
    assert page.input_value("[name=given_names]") == "Yessenia Marisol"  # kept as typed

    page.fill("[name=reason]", "Así aparece en su DPI")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Se guardó la corrección." in page.content()
    assert "Yesenia Marisol → Yessenia Marisol" in page.content()
    assert Person.objects.get(pk=arrived_last_month.pk).given_names == "Yessenia Marisol"
    assert Correction.objects.get().reason == "Así aparece en su DPI"
