"""The seeded service catalogue: complete in Spanish and English, reloadable, shown per language."""

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from services.catalogue import CATALOGUE, catalogue_load
from services.models import OUTCOME_FIELDS, Provider, ServiceType

pytestmark = pytest.mark.django_db


def test_every_service_has_a_name_and_description_in_both_languages():
    types = ServiceType.objects.filter(code__in=[row[0] for row in CATALOGUE])

    assert types.count() == len(CATALOGUE)
    for service in types:
        assert service.name_es and service.name_en, service.code
        assert service.description_es and service.description_en, service.code
        assert service.name_es != service.name_en, service.code


def test_the_name_follows_the_active_language():
    kit = ServiceType.objects.get(code="hygiene_kit")

    with translation.override("es"):
        assert kit.name == "Kit de higiene"
    with translation.override("en"):
        assert kit.name == "Hygiene kit"


def test_reintegration_services_given_within_a_case_and_outcomes_are_consistent():
    for service in ServiceType.objects.all():
        assert service.outcome in OUTCOME_FIELDS
        assert service.max_quantity >= 1
        if service.requires_case:
            assert service.category == ServiceType.Category.REINTEGRATION, service.code


def test_reloading_the_catalogue_updates_in_place():
    before = ServiceType.objects.count()
    kit = ServiceType.objects.get(code="hygiene_kit")
    kit.name_en = "Typo"
    kit.save(update_fields=["name_en"])

    assert catalogue_load(ServiceType) == len(CATALOGUE)

    kit.refresh_from_db()
    assert ServiceType.objects.count() == before
    assert kit.name_en == "Hygiene kit"


def test_the_api_shows_the_spanish_names_by_default_and_the_english_ones_on_request(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)

    default = {r["code"]: r["name"] for r in client.get("/api/v1/service-types/").json()}
    spanish = {
        r["code"]: r for r in client.get("/api/v1/service-types/", HTTP_ACCEPT_LANGUAGE="es").json()
    }
    english = {
        r["code"]: r for r in client.get("/api/v1/service-types/", HTTP_ACCEPT_LANGUAGE="en").json()
    }

    assert default["transport"] == "Transporte a su lugar de origen"
    assert spanish["transport"]["name"] == "Transporte a su lugar de origen"
    assert spanish["transport"]["description"] == "Pasaje o traslado hasta su comunidad."
    assert english["transport"]["name"] == "Onward transport"
    assert len(spanish) == len(english) == ServiceType.objects.filter(active=True).count()


def test_the_seeded_providers_cover_the_three_countries():
    providers = {p.name: p for p in Provider.objects.select_related("country")}

    assert providers["Centro de recepción"].kind == Provider.Kind.CENTRE
    assert providers["INTECAP"].country.iso2 == "GT"
    assert providers["Secretaría de Trabajo y Seguridad Social"].country.iso2 == "HN"
    assert providers["Ministerio de Trabajo y Previsión Social"].country.iso2 == "SV"
    assert sum(p.kind == Provider.Kind.NGO for p in providers.values()) >= 2
