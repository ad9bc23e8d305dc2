"""A caseworker registers an arrival in Spanish on a tablet and finds the person again."""

import pytest
from django.urls import reverse

from intake.models import Arrival
from registry.tests.factories import ReceptionCenterFactory, UserFactory

from .conftest import BROWSER_DB, PASSWORD, sign_in

pytestmark = [pytest.mark.browser, BROWSER_DB]


@pytest.fixture
def caseworker_at_airport():
    center = ReceptionCenterFactory(
        code="FAG", name_es="Centro de Recepción FAG", name_en="FAG Reception Centre"
    )
    return UserFactory(username="trabajadora", password=PASSWORD, centers=[center])


def press_continue(page):
    page.locator("form button.button--primary[type=submit]").click()


def test_register_an_arrival_in_spanish_and_find_the_person(browser_page, caseworker_at_airport):
    page = browser_page
    sign_in(page, "trabajadora")
    page.goto(reverse("intake:register_start"))
    assert page.get_attribute("html", "lang") == "es"

    # Person
    page.fill("[name=given_names]", "María José")
    page.fill("[name=first_surname]", "Hernández")
    page.fill("[name=second_surname]", "Núñez")
    page.check("[name=sex][value=female]")
    page.fill("[name=birth_date]", "1994-03-17")
    page.select_option("[name=nationality]", label="Guatemala")
    page.select_option("[name=document_type]", value=str(_doc_type_pk("dpi")))
    page.fill("[name=document_number]", "2345 67890 0101")
    press_continue(page)

    # Origin: choose the department, show its municipalities (works without JavaScript)
    page.select_option("[name=origin_department]", label="Quetzaltenango")
    page.locator("button[name=refresh]").click()
    page.select_option("[name=origin_municipality]", label="Quetzaltenango")
    press_continue(page)

    # Arrival: date and time default to now at the centre
    page.check("[name=mode][value=air]")
    page.select_option("[name=returned_from]", label="Estados Unidos")
    page.fill("[name=transport_reference]", "GUA-118")
    press_continue(page)

    # Consents
    for kind in (
        "process_data",
        "share_with_partners",
        "follow_up_contact",
        "anonymised_statistics",
    ):
        page.check(f"[name={kind}][value=yes]")
    save = page.get_by_role("button", name="Guardar")
    save.click()

    page.wait_for_url("**/done/")
    assert "María José Hernández Núñez" in page.content()
    assert Arrival.objects.filter(person__first_surname="Hernández").count() == 1

    # Find the person again in today's list, by a spelling without accents
    page.goto(reverse("intake:arrival_list"))
    page.fill("[name=q]", "maria ernandez")
    page.locator("form[method=get] [type=submit]").first.click()
    row = page.get_by_role("link", name="María José Hernández Núñez")
    assert row.count() >= 1
    row.first.click()
    assert "GUA-118" in page.content()


def _doc_type_pk(code):
    from registry.models import DocumentType

    return DocumentType.objects.get(code=code).pk
