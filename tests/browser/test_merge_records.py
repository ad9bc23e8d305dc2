"""A supervisor finds two records of one woman (registered twice), merges them, and the donor
report's count of persons received drops by one; undoing the merge brings it back. In Spanish,
at 1024×768, with a programme manager reading the report in a second window."""

import os
import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from guardian.shortcuts import assign_perm

from intake.tests.factories import ArrivalFactory
from registry.models import RECORD_KEY_RANGE, Person, PersonMerge
from registry.roles import PROGRAMME_MANAGER, SUPERVISOR
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory
from reporting.periods import month

from .conftest import BROWSER_DB, LOCALE, PASSWORD, VIEWPORT, sign_in

pytestmark = [pytest.mark.browser, BROWSER_DB]

SCREENSHOTS = os.environ.get("RETORNO_SCREENSHOTS")  # a folder, to look at the screens
GT = zoneinfo.ZoneInfo("America/Guatemala")


@pytest.fixture
def registered_twice():
    """Twelve arrivals at one centre two hours ago; two of them are one woman, registered once
    with her DPI and once with only her phone. The statistical record keys are chosen so that
    the published count is the true count (the cell key's adjustment is 0 before and after)."""
    center = ReceptionCenterFactory(
        code="SPS", name_es="Centro de Atención SPS", name_en="SPS Reception Centre"
    )
    supervisor = UserFactory(username="supervisora", password=PASSWORD, centers=[center])
    supervisor.groups.add(Group.objects.get(name=SUPERVISOR))
    programme = Group.objects.create(name="Programa SPS")
    assign_perm("registry.view_center_records", programme, center)
    manager = UserFactory(username="gerente", password=PASSWORD)
    manager.groups.add(programme, Group.objects.get(name=PROGRAMME_MANAGER))

    arrived_at = timezone.now() - timedelta(hours=2)
    kept = PersonFactory(
        given_names="Yesenia Marisol",
        first_surname="Argueta",
        second_surname="Euceda",
        phone="",
        sex=Person.Sex.FEMALE,
        record_key=RECORD_KEY_RANGE // 2,
    )
    other = PersonFactory(
        given_names="Jesenia",
        first_surname="Argueta",
        second_surname="Euceda",
        phone="+504 9555 0199",
        sex=Person.Sex.FEMALE,
        record_key=0,
    )
    persons = [kept, other, *(PersonFactory(record_key=0) for _ in range(10))]
    for index, person in enumerate(persons):
        ArrivalFactory(
            person=person,
            center=center,
            registered_by=supervisor,
            arrived_at=arrived_at + timedelta(minutes=index),
        )
    local_day = timezone.localtime(arrived_at, GT).date()
    return kept, other, month(local_day.year, local_day.month)


def received_shown(page, period) -> str:
    page.goto(f"/reports/donor/?period={period.label}")
    return page.locator("#indicator-received [data-total]").inner_text()


def test_a_supervisor_merges_two_records_and_the_donor_count_follows_both_ways(
    browser_page, chromium_browser, live_server, registered_twice
):
    kept, other, period = registered_twice
    report = chromium_browser.new_context(
        viewport=VIEWPORT, locale=LOCALE, base_url=live_server.url
    ).new_page()
    sign_in(report, "gerente")
    assert received_shown(report, period) == "12"

    page = browser_page
    sign_in(page, "supervisora")
    page.fill("header [name=q]", "Argueta Euceda")
    page.locator("header form[role=search] button").click()
    page.wait_for_load_state()
    assert "Se encontraron 2 personas" in page.locator("table caption").inner_text()

    page.locator("table a", has_text="Yesenia Marisol").click()
    page.wait_for_load_state()
    page.locator("a", has_text="Unir con otro registro").click()
    page.wait_for_load_state()
    page.fill("main [name=q]", "Jesenia Argueta")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("table a", has_text="Jesenia Argueta Euceda").click()
    page.wait_for_load_state()

    # Side by side: the given names differ, and the phone is only on the other record.
    compare = page.locator("table.merge-compare")
    assert "Registro que se conserva" in compare.inner_text()
    page.locator("label", has_text="+504 9555 0199").click()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Indique por qué se unen los registros." in page.content()
    assert page.is_checked("input[name=value_phone][value=other]")  # the choice is kept
    page.fill("[name=reason]", "Misma persona: registrada dos veces en el mismo vuelo")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/merge_compare.png", full_page=True)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Se unieron los registros." in page.content()
    assert "+504 9555 0199" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024

    assert received_shown(report, period) == "11"

    page.locator("a", has_text="Deshacer la unión").click()
    page.wait_for_load_state()
    page.fill("[name=reason]", "Eran dos hermanas")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Se deshizo la unión" in page.content()
    assert PersonMerge.objects.get().unmerged_at is not None

    assert received_shown(report, period) == "12"
    report.context.close()
