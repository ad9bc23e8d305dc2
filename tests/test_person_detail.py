"""The person page: scoped like every record (404 when out of scope), audited on every view."""

import uuid
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.tests.factories import ArrivalFactory
from registry.models import Consent, Country, DocumentType, Person
from registry.tests.factories import PersonFactory

# Queries for one person page, whatever the number of arrivals: session and user (2), the
# user's centres, the restricted cases opened to them (read once for every part), the person,
# consents, the access log entry, arrivals (one read, shared by the arrivals part and the
# timeline), the returns summary (1: the count is a window over the last arrival), saving the
# session's last-seen time (savepoint, update, release: 3), the permission check for the
# access-log link (the user's and their groups' permissions, one statement: registry.backends),
# the person's cases for the timeline, services' uptake and timeline deliveries (2; the
# timeline reads the service types and centres of the deliveries once there are any: 2 more,
# pinned in services/tests/test_uptake.py; none where the process holds the reference data),
# whether the viewer may correct the person (their centres among the person's) and the
# corrections of the record (2), and the records merged into this one (1; a caseworker holds
# no merge permission, so nothing more is asked).
PERSON_PAGE_QUERIES = 19


@pytest.fixture(autouse=True)
def reference_data(db):
    # Until the reference data migration lands; harmless after it.
    Country.objects.get_or_create(
        iso2="GT", defaults={"name": "Guatemala", "is_programme_country": True}
    )
    Country.objects.get_or_create(iso2="US", defaults={"name": "Estados Unidos"})
    DocumentType.objects.get_or_create(code="passport", defaults={"name": "Pasaporte"})


@pytest.fixture
def person(center_a):
    return PersonFactory(given_names="Ana Lucía", first_surname="García", centers=[center_a])


def url(person_id) -> str:
    return reverse("person_detail", kwargs={"person_id": person_id})


def test_requires_login(client, person):
    response = client.get(url(person.pk))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_shows_own_centre_person(client_a, person, caseworker):
    Consent.objects.create(
        person=person, kind=Consent.Kind.PROCESS_DATA, granted=True, recorded_by=caseworker
    )
    ArrivalFactory(
        person=person, center=person.center_links.get().center, transport_reference="GUA-777"
    )

    response = client_a.get(url(person.pk), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Ana Lucía García" in content
    assert person.document_number in content
    assert "GUA-777" in content
    assert "Register and process personal data" in content
    assert "caseworker_a" in content  # who recorded the consent


def test_outsider_gets_404(client, outsider, person):
    client.force_login(outsider)

    assert client.get(url(person.pk)).status_code == 404


def test_person_known_only_at_other_centre_is_404(client_a, center_b):
    elsewhere = PersonFactory(centers=[center_b])
    ArrivalFactory(person=elsewhere, center=center_b)

    assert client_a.get(url(elsewhere.pk)).status_code == 404


def test_random_uuid_is_404(client_a):
    assert client_a.get(url(uuid.uuid4())).status_code == 404


def test_view_writes_access_log_entry_with_actor(client_a, person, caseworker):
    client_a.get(url(person.pk))
    client_a.get(url(person.pk))

    entries = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.ACCESS)
    assert entries.count() == 2
    assert {entry.actor for entry in entries} == {caseworker}


def test_refused_view_writes_no_access_log_entry(client, outsider, person):
    client.force_login(outsider)
    client.get(url(person.pk))

    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_html_in_names_is_escaped(client_a, center_a):
    person = PersonFactory(
        given_names="<script>alert(1)</script>", first_surname="<b>Bold</b>", centers=[center_a]
    )

    content = client_a.get(url(person.pk)).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<b>Bold</b>" not in content


def test_arrivals_elsewhere_are_only_summarised(client_a, person, center_a, center_b):
    now = timezone.now()
    ArrivalFactory(
        person=person,
        center=center_a,
        arrived_at=now - timedelta(days=400),
        transport_reference="OWN-001",
    )
    ArrivalFactory(
        person=person,
        center=center_b,
        arrived_at=now - timedelta(days=3),
        transport_reference="OTHER-002",
    )

    response = client_a.get(url(person.pk), HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()

    (arrivals_part,) = [
        p for p in response.context["parts"] if p.template == "intake/partials/person_arrivals.html"
    ]
    assert [a.transport_reference for a in arrivals_part.context["arrivals"]] == ["OWN-001"]
    assert "OTHER-002" not in content
    assert "Centro B" not in content
    assert "Returned 2 times in total; last on" in content


def test_estimated_birth_date_is_flagged(client_a, center_a):
    person = PersonFactory(
        birth_date=timezone.localdate().replace(year=1990, month=1, day=1),
        birth_date_estimated=True,
        centers=[center_a],
    )

    content = client_a.get(url(person.pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "(estimated)" in content


def _page_queries(client, person: Person) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(person.pk))
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_arrivals(client_a, person, center_a, caseworker):
    Consent.objects.create(
        person=person, kind=Consent.Kind.PROCESS_DATA, granted=True, recorded_by=caseworker
    )
    ArrivalFactory(person=person, center=center_a)
    _page_queries(client_a, person)  # warm caches (content types) shared across requests

    one = _page_queries(client_a, person)
    for _ in range(5):
        ArrivalFactory(person=person, center=center_a)
    six = _page_queries(client_a, person)

    assert one == six == PERSON_PAGE_QUERIES
