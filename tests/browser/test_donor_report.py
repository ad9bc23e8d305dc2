"""A donor reviewer signs in, reads what they can see, picks a quarter from the list and reads
the report in Spanish: the same figures as the aggregate API."""

import os
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group, Permission

from intake.tests.factories import ArrivalFactory
from registry.models import Person
from registry.roles import DONOR_REVIEWER
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory
from reporting.periods import fiscal_quarter
from reporting.tests.conftest import release

from .conftest import BROWSER_DB, PASSWORD, sign_in

pytestmark = [pytest.mark.browser, BROWSER_DB]

SCREENSHOTS = os.environ.get("RETORNO_SCREENSHOTS")  # a folder, to look at the screens
GT = zoneinfo.ZoneInfo("America/Guatemala")
REPORT = "/reports/donor/"


@pytest.fixture
def quarter():
    """The second quarter of FY2026, released, with 12 women received in the middle of it."""
    chosen = fiscal_quarter(2026, 2)
    center = ReceptionCenterFactory(code="LAU", name_es="Centro La Aurora")
    staff = UserFactory(username="recepcion", password=PASSWORD, centers=[center])
    middle = chosen.start + timedelta(days=40)
    for index in range(12):
        person = PersonFactory(sex=Person.Sex.FEMALE)
        arrived = datetime.combine(middle, time(9, index), tzinfo=GT)
        ArrivalFactory(person=person, center=center, registered_by=staff, arrived_at=arrived)
    donor = UserFactory(username="donante", password=PASSWORD)
    donor.groups.add(Group.objects.get(name=DONOR_REVIEWER))
    donor.user_permissions.add(Permission.objects.get(codename="view_aggregates"))
    release(chosen.label, only=("received", "received_aid"))
    return chosen


def test_donor_picks_a_quarter_and_reads_the_report_in_spanish(browser_page, quarter):
    page = browser_page
    sign_in(page, "donante")
    assert page.get_attribute("html", "lang") == "es"
    # the home page says what a donor reviewer can see
    assert page.locator(f"main a[href='{REPORT}']").count() == 1
    assert page.locator("main a[href='/reports/donor/indicators/']").count() == 1
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/donor_home.png")

    page.locator(f"nav a[href='{REPORT}']").click()
    page.wait_for_url(f"**{REPORT}")
    page.select_option("[name=period]", quarter.label)
    page.locator("form.dashboard__filters button[type=submit]").click()
    page.wait_for_url(f"**period={quarter.label}**")

    heading = page.locator("#period-title").inner_text()
    assert heading.startswith(f"Año fiscal {quarter.label[2:6]}, trimestre {quarter.label[-1]}")
    section = page.locator("#indicator-received")
    assert "Personas retornadas recibidas" in section.locator("h2").inner_text()
    assert section.locator("caption", has_text="Sexo").count() == 1
    shown = section.locator("[data-total]").inner_text()
    api = page.request.get(f"/api/v1/aggregates/received/?period={quarter.label}").json()
    assert shown == str(api["total"]["count"])
    assert page.locator("button[name=kind][value=xlsx]").is_visible()
    # the page fits a tablet held in landscape
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/donor_report.png")
