"""A caseworker opens a case from an arrival on a tablet, in Spanish, and works on it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from casework.models import Case, CaseNote, FollowUp, Referral
from intake.tests.factories import ArrivalFactory
from registry.actions import consents_record
from registry.models import Partner, ServiceLine
from registry.models import VulnerabilityCategory as Vulnerability
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory, country

from .conftest import BROWSER_DB, PASSWORD, sign_in

pytestmark = [pytest.mark.browser, BROWSER_DB]


@pytest.fixture
def arrival():
    center = ReceptionCenterFactory(
        code="FAG", name_es="Centro de Recepción FAG", name_en="FAG Reception Centre"
    )
    user = UserFactory(username="trabajadora", password=PASSWORD, centers=[center])
    user.groups.add(Group.objects.get(name="caseworker"))
    person = PersonFactory(given_names="Rosa Elena", first_surname="Tzul", centers=[center])
    consents_record(
        actor=user,
        person=person,
        consents={"share_with_partners": True, "follow_up_contact": True},
    )
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    return ArrivalFactory(
        person=person,
        center=center,
        registered_by=user,
        arrived_at=timezone.now() - timedelta(hours=1),
    )


def submit(page, button_name):
    page.locator(f"button[name={button_name}]").click()
    page.wait_for_load_state()


def test_open_a_case_from_an_arrival_and_work_on_it(browser_page, arrival):
    page = browser_page
    sign_in(page, "trabajadora")
    page.goto(reverse("intake:arrival_detail", kwargs={"pk": arrival.pk}))
    assert page.get_attribute("html", "lang") == "es"

    # Open the case: the confirm screen names the person; the caseworker is assigned by default.
    page.locator(f"a[href$='/cases/open/?arrival={arrival.pk}']").click()
    assert "Rosa Elena Tzul" in page.content()
    submit(page, "open")
    case = Case.objects.get(person=arrival.person)
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert case.number in page.content()

    # Assessment: the form is open until the first assessment.
    pregnant = Vulnerability.objects.get(code="pregnant")
    page.check(f"[name=vulnerabilities][value='{pregnant.pk}']")
    page.fill("[name=economic_needs]", "Busca empleo")
    submit(page, "save_assessment")
    assert "Embarazada" in page.locator("#assessment").inner_text()

    # A note.
    page.locator("form:has(button[name=add_note]) [name=text]").fill("Primera entrevista.")
    submit(page, "add_note")
    assert "Primera entrevista." in page.locator("#notes").inner_text()

    # A referral (consent to share was recorded at intake).
    page.locator("details:has(button[name=add_referral]) > summary").click()
    page.select_option("[name=partner]", label="INTECAP")
    page.select_option("[name=service_line]", label="Formación técnica y vocacional")
    page.fill("[name=reason]", "Curso de cocina")
    submit(page, "add_referral")
    assert "INTECAP" in page.locator("#referrals").inner_text()

    # A follow-up in a month.
    due = (case.center.local_now().date() + timedelta(days=30)).isoformat()
    page.locator("details:has(button[name=add_follow_up]) > summary").click()
    page.fill("[name=due_date]", due)
    page.fill("[name=purpose]", "Llamada de seguimiento")
    submit(page, "add_follow_up")
    assert "Llamada de seguimiento" in page.locator("#follow-ups").inner_text()

    case.refresh_from_db()
    assert list(case.vulnerabilities.all()) == [pregnant]
    assert CaseNote.objects.filter(case=case).count() == 1
    assert Referral.objects.filter(case=case).count() == 1
    assert FollowUp.objects.filter(case=case).count() == 1

    # The case is on the caseworker's caseload, the home page.
    page.goto(reverse("home"))
    assert case.number in page.content()
