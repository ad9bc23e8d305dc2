"""Reference data held per process (registry.reference_cache): read once, then no query; a
change shows at once in the process that made it and within the set seconds in the others."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import reference_cache
from registry.models import Country, DocumentType, ReceptionCenter
from registry.reference_cache import VERSION_KEY, reference_get, reference_in_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def held(settings):
    """The copy turned on (the test settings turn it off), empty at the start and the end."""
    settings.REFERENCE_CACHE_SECONDS = 5
    reference_cache.reference_forget()
    yield
    reference_cache.reference_forget()


def queries(call):
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured.captured_queries)


def test_the_first_read_loads_the_rows_and_later_reads_ask_nothing():
    guatemala, first = queries(lambda: reference_get(Country, "iso2", "GT"))
    mexico, later = queries(lambda: reference_get(Country, "iso2", "MX"))

    assert (guatemala.name, mexico.iso2) == ("Guatemala", "MX")
    # The version in the shared cache (a query on the database cache) and the rows.
    assert first <= 2
    assert later == 0
    assert reference_in_bulk(Country, [guatemala.pk, 999_999]) == {guatemala.pk: guatemala}


def test_a_centre_comes_with_its_country(center_a):
    held = reference_get(ReceptionCenter, "code", center_a.code)

    _country, asked = queries(lambda: held.country.iso2)

    assert held.pk == center_a.pk
    assert asked == 0


def test_a_change_in_this_process_shows_at_once():
    reference_get(Country, "iso2", "GT")
    Country.objects.filter(iso2="GT").get().save()  # the signal, as the admin's save sends it
    country = Country.objects.get(iso2="GT")
    country.name_es = "Guatemala (cambiado)"
    country.save()

    assert reference_get(Country, "iso2", "GT").name_es == "Guatemala (cambiado)"


def test_a_change_in_another_process_shows_within_the_set_seconds(monkeypatch, settings):
    clock = [1000.0]
    monkeypatch.setattr(reference_cache.time, "monotonic", lambda: clock[0])
    reference_get(Country, "iso2", "GT")
    # Another process saved a change: the row and the shared version moved, not this copy.
    Country.objects.filter(iso2="GT").update(name_es="Guatemala (otro proceso)")
    from django.core.cache import caches

    caches[settings.THROTTLE_CACHE].set(VERSION_KEY, "changed elsewhere", None)

    clock[0] += 4
    assert reference_get(Country, "iso2", "GT").name_es == "Guatemala"
    clock[0] += 2
    assert reference_get(Country, "iso2", "GT").name_es == "Guatemala (otro proceso)"


def test_accept_refuses_a_row_as_if_it_did_not_exist():
    DocumentType.objects.filter(code="passport").update(active=False)

    assert reference_get(DocumentType, "code", "passport", accept=lambda r: r.active) is None
    assert reference_get(DocumentType, "code", "passport") is not None
