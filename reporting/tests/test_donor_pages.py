"""The donor reviewer's pages: the report on screen (the API's numbers), the periods offered,
the home page part and the indicator reference sheets, in Spanish and English."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from devtools.synthetic import synthetic_generate
from registry.models import Person
from registry.tests.factories import UserFactory
from reporting.donor_report import donor_period_choices, sheets_offered
from reporting.exports import EXPORT_DIMS, SUPPRESSED_MARK
from reporting.models import AggregatePull

REPORT = "/reports/donor/"
SHEETS = "/reports/donor/indicators/"
ES = {"HTTP_ACCEPT_LANGUAGE": "es"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def fresh_throttle(frozen_clock):
    """Today is 10 March 2026 (FY2026-Q2) for the periods offered; the API throttle starts empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dataset(db, released):
    """Synthetic returns over FY2025; its first quarter released (one indicator offered, to
    keep the release quick: test_protection and test_releases cover every indicator)."""
    synthetic_generate(persons=400, seed=11, today=date(2025, 12, 1))
    return released("FY2025-Q1", only=("received",))


@pytest.fixture
def donor_client(client, donor):
    client.force_login(donor)
    return client


def test_urls_are_where_the_pages_link_them():
    assert reverse("reporting_donor:donor_report") == REPORT
    assert reverse("reporting_donor:indicator_sheet_list") == SHEETS


# --- the report -------------------------------------------------------------------------------


def _api_counts(client, code: str, by: str | None) -> tuple[list, object]:
    params = {"period": "FY2025-Q1", **({"by": by} if by else {})}
    data = client.get(f"/api/v1/aggregates/{code}/", params, **ES).json()
    shown = [SUPPRESSED_MARK if c["count"] is None else c["count"] for c in data["cells"]]
    total = data["total"]["count"]
    return shown, SUPPRESSED_MARK if total is None else total


def test_the_numbers_on_screen_are_the_numbers_of_the_api(donor_client, dataset):
    response = donor_client.get(REPORT, {"period": "FY2025-Q1"}, **ES)
    assert response.status_code == 200
    indicators = response.context["report"]["indicators"]
    assert [i["code"] for i in indicators] == [i.code for i in sheets_offered()]
    withheld = shown = 0
    for indicator in indicators:
        cells, total = _api_counts(donor_client, indicator["code"], None)
        assert indicator["total"] == total
        for dim, table in zip(EXPORT_DIMS, indicator["tables"], strict=True):
            cells, total = _api_counts(donor_client, indicator["code"], dim)
            assert [count for _label, _code, count, _q in table.rows] == cells, (
                indicator["code"],
                dim,
            )
            assert table.total == total
            withheld += cells.count(0)
            shown += len(cells) - cells.count(0)
    assert withheld and shown  # the comparison covered zeros and counts of k or more
    html = response.content.decode()
    assert f"<span data-total>{indicators[0]['total']}</span>" in html


def test_the_report_reads_in_spanish_with_its_notes_and_downloads(donor_client, dataset):
    html = donor_client.get(REPORT, {"period": "FY2025-Q1"}, **ES).content.decode()
    for label in ("Sexo", "Rango de edad a la fecha del evento", "Departamento de origen"):
        assert f"<caption>{label}</caption>" in html
    assert "Año fiscal 2025, trimestre 1" in html and "octubre" in html
    assert "Conteo" in html and "Femenino" in html
    # a department reads with its code ("La Paz" is in Honduras and El Salvador)
    assert re.search(r'[^<]+ <span class="nowrap">\([A-Z]{2}-[A-Z0-9]{1,3}\)</span></th>', html)
    # every table is followed by the disclosure rule; downloads go to the existing export
    assert html.count('class="dashboard__note"') == 3 * len(sheets_offered())
    assert f'action="{reverse("reporting_exports:export_start")}"' in html
    assert 'name="period" value="FY2025-Q1"' in html
    assert 'value="xlsx"' in html and 'value="csv"' in html


def test_the_report_reads_in_english_when_asked(donor_client, dataset):
    html = donor_client.get(REPORT, {"period": "FY2025-Q1"}, **EN).content.decode()
    assert "<caption>Sex</caption>" in html and "Returned migrants received" in html
    assert "Fiscal year 2025, quarter 1" in html and "Female" in html


def test_a_donor_sees_no_row_about_a_person(donor_client, dataset):
    pages = [
        donor_client.get(REPORT, {"period": "FY2025-Q1"}, **ES),
        donor_client.get(reverse("home"), **ES),
        donor_client.get(SHEETS, **ES),
        donor_client.get(f"{SHEETS}received/", **ES),
    ]
    persons = list(Person.objects.values_list("pk", "document_number", "given_names"))
    assert len(persons) >= 100
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        for pk, document, _names in persons:
            assert str(pk) not in html
            assert not document or document not in html
    assert "/persons/" not in pages[0].content.decode()


def test_every_table_shown_is_logged_as_the_api_logs_it(donor_client, donor, dataset):
    donor_client.get(REPORT, {"period": "FY2025-Q1"}, **ES)
    pulls = set(AggregatePull.objects.filter(user=donor).values_list("indicator", "period", "dims"))
    codes = [i.code for i in sheets_offered()]
    assert pulls == {(c, "FY2025-Q1", d) for c in codes for d in ("", *EXPORT_DIMS)}


def test_a_period_not_offered_is_an_error_not_a_report(donor_client, dataset):
    # Not released (FY2025, its second quarter, a month of it), never released (a calendar
    # year, a range), or not a period at all.
    for text in (
        "FY2025",
        "FY2025-Q2",
        "2025-01",
        "2025",
        "FY2031",
        "2025-01-01..2025-02-01",
        "<b>",
    ):
        response = donor_client.get(REPORT, {"period": text}, **ES)
        assert response.status_code == 200
        assert response.context["report"] is None
        assert response.context["form"].errors
    assert not AggregatePull.objects.exists()


# --- the periods offered ------------------------------------------------------------------------


def test_a_donor_chooses_among_released_periods_only(donor_client, dataset):
    html = donor_client.get(REPORT, **ES).content.decode()
    assert '<select name="period"' in html and 'type="text" name="period"' not in html
    offered = re.findall(r'<option value="([^"]+)"', html)
    assert offered == ["FY2025-Q1", "2024-12", "2024-11", "2024-10"]
    assert "Trimestres fiscales" in html and "diciembre de 2024" in html


def test_before_any_release_a_donor_is_told_when_figures_come(donor_client, db):
    response = donor_client.get(REPORT, **ES)
    assert response.status_code == 200 and response.context["report"] is None
    html = response.content.decode()
    assert "todavía no se ha publicado" in html and "45 días" in html
    assert not AggregatePull.objects.exists()


def test_periods_a_programme_manager_chooses_have_readable_spanish_names(db):
    groups = {g: dict(options) for g, options in _choices_in("es", date(2026, 3, 10))}
    assert list(groups) == ["Años fiscales (octubre a septiembre)", "Trimestres fiscales", "Meses"]
    years, quarters, months = groups.values()
    assert list(years) == ["FY2026", "FY2025", "FY2024"]
    assert years["FY2026"] == "Año fiscal 2026"
    assert quarters["FY2026-Q2"].startswith("Año fiscal 2026, trimestre 2 (enero")
    assert "marzo de 2026" in quarters["FY2026-Q2"]
    assert "FY2026-Q3" not in quarters  # April to June 2026 has not started
    assert list(quarters)[:3] == ["FY2026-Q2", "FY2026-Q1", "FY2025-Q4"]
    assert months["2026-03"] == "marzo de 2026" and "2026-04" not in months
    assert months["2023-10"] == "octubre de 2023"


def test_a_donor_s_default_period_is_the_newest_released_quarter(donor_client, dataset):
    response = donor_client.get(REPORT, **ES)
    assert response.context["report"]["period"].label == "FY2025-Q1"


def _choices_in(language: str, today: date):
    from django.utils import translation

    with translation.override(language):
        return donor_period_choices(today)


# --- the home page ------------------------------------------------------------------------------


def test_the_home_page_tells_a_donor_what_they_can_see(donor_client, db):
    html = donor_client.get(reverse("home"), **ES).content.decode()
    for url in (REPORT, SHEETS, reverse("reporting_exports:export_start"), reverse("api-docs")):
        assert f'href="{url}"' in html
    assert "/api/v1/aggregates/" in html
    assert "not assigned to a reception centre" not in html
    assert "No está asignado" not in html
    assert html.count("<h1") == 1


def test_a_programme_manager_home_has_the_centres_and_the_donor_part(client, center_a):
    from guardian.shortcuts import assign_perm

    from registry.roles import PROGRAMME_MANAGER

    manager = UserFactory(username="manager_pages")
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    assign_perm("registry.view_center_records", manager, center_a)
    client.force_login(manager)
    html = client.get(reverse("home"), **EN).content.decode()
    assert "Centre A" in html and f'href="{REPORT}"' in html
    assert html.count("<h1") == 1


def test_centre_staff_home_has_no_donor_part(client_a):
    html = client_a.get(reverse("home"), **EN).content.decode()
    assert f'href="{SHEETS}"' not in html


# --- the indicator reference sheets -------------------------------------------------------------


def test_a_sheet_per_indicator_listed_in_both_languages(donor_client, db):
    codes = [i.code for i in sheets_offered()]
    assert len(codes) >= 9
    spanish = donor_client.get(SHEETS, **ES).content.decode()
    english = donor_client.get(SHEETS, **EN).content.decode()
    for code in codes:
        assert f'href="{SHEETS}{code}/"' in spanish
    assert "Personas retornadas recibidas" in spanish and "Personas únicas" in spanish
    assert "Returned migrants received" in english and "Unique persons" in english


@pytest.mark.parametrize(
    ("language", "definition", "dimension"),
    [
        ("es", "Personas únicas con al menos una llegada registrada", "Rango de edad a la fecha"),
        ("en", "Unique persons with at least one arrival recorded", "Age band at the event date"),
    ],
)
def test_a_sheet_gives_what_ads_201_asks(donor_client, db, language, definition, dimension):
    html = donor_client.get(f"{SHEETS}received/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert definition in html and dimension in html
    assert ("clave de celda" if language == "es" else "cell-key method") in html  # the rule
    assert html.count("<dt>") == 9  # code, definition, unit, disaggregations, pairs, source,
    # method, frequency, disclosure


def test_an_unknown_indicator_has_no_sheet(donor_client, db):
    assert donor_client.get(f"{SHEETS}nonexistent/", **ES).status_code == 404
