"""The reference data every database gets from migration 0002, and its loader."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Count, F

from ..actions import person_build
from ..models import (
    Country,
    Department,
    DocumentType,
    MigrationReason,
    Municipality,
    SvMunicipality2024,
)
from ..referencedata import reference_data_load

pytestmark = pytest.mark.django_db


def _real_model(name):
    return apps.get_model("registry", name)


def test_departments_per_country():
    assert Department.objects.count() == 54
    per_country = dict(
        Department.objects.values_list("country__iso2").annotate(n=Count("pk")).order_by()
    )
    assert per_country == {"GT": 22, "HN": 18, "SV": 14}


def test_municipalities_per_country():
    assert Municipality.objects.count() == 900
    per_country = dict(
        Municipality.objects.values_list("department__country__iso2")
        .annotate(n=Count("pk"))
        .order_by()
    )
    assert per_country == {"GT": 340, "HN": 298, "SV": 262}


def test_guatemala_departments_use_numeric_iso_codes():
    codes = sorted(Department.objects.filter(country__iso2="GT").values_list("iso_code", flat=True))
    assert codes == [f"GT-{n:02d}" for n in range(1, 23)]


def test_salvadoran_2024_municipios_group_every_district():
    assert SvMunicipality2024.objects.count() == 44
    assert SvMunicipality2024.objects.filter(is_department_seat=True).count() == 14
    districts = Municipality.objects.filter(department__country__iso2="SV")
    assert not districts.filter(sv_municipality_2024__isnull=True).exists()
    # A district's municipio lies in the district's own department.
    assert not districts.exclude(sv_municipality_2024__department=F("department")).exists()
    assert (
        not Municipality.objects.exclude(department__country__iso2="SV")
        .filter(sv_municipality_2024__isnull=False)
        .exists()
    )
    centro = SvMunicipality2024.objects.get(name="Ahuachapán Centro")
    assert sorted(centro.districts.values_list("name", flat=True)) == [
        "Ahuachapán",
        "Apaneca",
        "Concepción de Ataco",
        "Tacuba",
    ]


def test_official_spanish_names_keep_their_accents():
    sacatepequez = Department.objects.get(name="Sacatepéquez")
    assert sacatepequez.iso_code == "GT-03"
    assert Municipality.objects.get(name="San José Pinula").department.name == "Guatemala"
    assert Department.objects.get(iso_code="HN-CR").name == "Cortés"
    assert Municipality.objects.filter(name="Santa Tecla", department__iso_code="SV-LI").exists()
    # The INE code of Sanarate is not its P-code (see SOURCES.md).
    assert Municipality.objects.get(pcode="GT0206").national_code == "0207"


def test_countries_programme_first_with_spanish_and_english_names():
    assert list(
        Country.objects.filter(is_programme_country=True).values_list("iso2", flat=True)
    ) == [
        "GT",
        "HN",
        "SV",
    ]
    assert list(Country.objects.values_list("iso2", flat=True)[:6]) == [
        "GT",
        "HN",
        "SV",
        "US",
        "MX",
        "CA",
    ]
    us = Country.objects.get(iso2="US")
    assert (us.name_es, us.name_en) == ("Estados Unidos", "United States")
    assert Country.objects.get(iso2="DO").name_es == "República Dominicana"
    assert 18 <= Country.objects.count() <= 25


def test_document_types_and_reasons_exist_in_both_languages():
    assert set(DocumentType.objects.values_list("code", flat=True)) == {
        "dpi",
        "dni",
        "dui",
        "passport",
        "other",
        "none",
    }
    assert DocumentType.objects.get(code="dui").country.iso2 == "SV"
    assert not DocumentType.objects.get(code="none").requires_number
    assert MigrationReason.objects.get(code="extortion").name_es == "Extorsión"
    assert not MigrationReason.objects.filter(name_en__isnull=True).exists()
    assert not MigrationReason.objects.filter(name_en="").exists()


def _person_data(code: str, number: str) -> dict:
    return {
        "given_names": "Ana Lucía",
        "first_surname": "Xiloj",
        "second_surname": "Tzul",
        "sex": "female",
        "nationality": Country.objects.get(iso2="GT"),
        "document_type": DocumentType.objects.get(code=code),
        "document_number": number,
    }


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("dpi", "2345 67890 0101"),
        ("dpi", "2345-67890-0101"),
        ("dni", "0801-1990-12345"),
        ("dui", "01234567-8"),
        ("passport", "a1234567"),
        ("other", "CONSULAR 99"),
        ("none", ""),
    ],
)
def test_document_numbers_in_the_right_format_are_accepted(code, number):
    person = person_build(data=_person_data(code, number))
    assert person.document_number == number


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("dpi", "2345 67890 010"),  # 12 digits
        ("dpi", "2345 67890 01011"),  # 14 digits
        ("dni", "0801-1990-1234"),
        ("dui", "01234567"),  # check digit missing
        ("dui", "0123456A-8"),
        ("passport", "A12"),
        ("passport", "A1234567890123"),
        ("none", "123"),
        ("dpi", ""),
    ],
)
def test_document_numbers_in_the_wrong_format_are_refused(code, number):
    with pytest.raises(ValidationError) as exc:
        person_build(data=_person_data(code, number))
    assert "document_number" in exc.value.message_dict


def test_loader_is_idempotent():
    before = {
        name: _real_model(name).objects.count()
        for name in (
            "Country",
            "Department",
            "SvMunicipality2024",
            "Municipality",
            "DocumentType",
            "MigrationReason",
        )
    }
    changed = reference_data_load(_real_model)
    assert set(changed.values()) == {0}
    reference_data_load(_real_model)
    after = {name: _real_model(name).objects.count() for name in before}
    assert after == before


def test_loader_repairs_an_edited_row_in_place():
    municipality = Municipality.objects.get(pcode="GT0103")
    Municipality.objects.filter(pk=municipality.pk).update(name="San Jose Pinula")
    Country.objects.filter(iso2="MX").update(name_es="Mexico", name_en="")
    changed = reference_data_load(_real_model)
    assert changed["Municipality"] == 1
    assert changed["Country"] == 1
    assert Municipality.objects.get(pk=municipality.pk).name == "San José Pinula"
    mexico = Country.objects.get(iso2="MX")
    assert (mexico.name_es, mexico.name_en) == ("México", "Mexico")


def test_load_reference_data_command_reports_counts(capsys):
    call_command("load_reference_data")
    out = capsys.readouterr().out
    assert "900 rows" in out
    assert "54 rows" in out
