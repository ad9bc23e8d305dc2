"""The duplicate review queue: the nightly scan (intake.duplicates, its command and Celery task)
finds records at one centre that recognition would propose for each other; supervisors see the
pairs of their centres, merge them or say they are different people (never proposed again)."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from intake.duplicates import duplicates_find, duplicates_find_country
from intake.models import DuplicatePair
from intake.tests.factories import ArrivalFactory
from registry.actions import person_merge
from registry.models import PersonCenter
from registry.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def known_at(center, user, **fields):
    person = PersonFactory(**fields)
    ArrivalFactory(
        person=person,
        center=center,
        registered_by=user,
        arrived_at=timezone.now() - timedelta(days=2),
    )
    PersonCenter.objects.get_or_create(person=person, center=center)
    return person


@pytest.fixture
def centre_a_records(center_a, caseworker):
    """At centre A: one man registered twice (a letter dropped, day and month swapped), his
    brother (same surnames, another date), and a woman registered twice with one DPI."""
    records = {
        "wilmer": known_at(
            center_a,
            caseworker,
            given_names="Wilmer Antonio",
            first_surname="Cruz",
            second_surname="Pérez",
            birth_date=date(1991, 4, 11),
        ),
        "wilmer_again": known_at(
            center_a,
            caseworker,
            given_names="Wilmer Antoni",
            first_surname="Cruz",
            second_surname="Perez",
            birth_date=date(1991, 11, 4),
        ),
        "brother": known_at(
            center_a,
            caseworker,
            given_names="Josué",
            first_surname="Cruz",
            second_surname="Pérez",
            birth_date=date(1994, 8, 2),
        ),
        "dpi": known_at(
            center_a,
            caseworker,
            given_names="Ana",
            first_surname="López",
            document_number="2548 71234 0101",
            birth_date=date(1988, 1, 5),
        ),
        "dpi_again": known_at(
            center_a,
            caseworker,
            given_names="Ana María",
            first_surname="Lopes",
            document_number="2548712340101",
            birth_date=None,
        ),
    }
    return records


def pairs():
    return {
        frozenset((pair.first_id, pair.second_id)): pair for pair in DuplicatePair.objects.all()
    }


def test_the_scan_queues_the_records_recognition_would_propose_and_no_others(
    center_a, center_b, outsider, centre_a_records
):
    r = centre_a_records
    # The same man registered at centre B: another centre's scope, not paired with A's.
    known_at(
        center_b,
        outsider,
        given_names="Wilmer Antonio",
        first_surname="Cruz",
        second_surname="Pérez",
        birth_date=date(1991, 4, 11),
    )
    result = duplicates_find_country()
    found = pairs()
    assert set(found) == {
        frozenset((r["wilmer"].pk, r["wilmer_again"].pk)),
        frozenset((r["dpi"].pk, r["dpi_again"].pk)),
    }
    assert found[frozenset((r["dpi"].pk, r["dpi_again"].pk))].score >= 100  # the same document
    assert result["new"] == 2
    # scanning again adds nothing
    assert duplicates_find(center_ids=[center_a.pk, center_b.pk])["new"] == 0
    assert DuplicatePair.objects.count() == 2


def test_a_pair_said_to_be_different_people_is_never_proposed_again(
    client, supervisor, centre_a_records
):
    duplicates_find_country()
    pair = DuplicatePair.objects.order_by("-score").first()
    client.force_login(supervisor)
    response = client.post(reverse("intake:duplicate_dismiss", args=[pair.pk]))
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.DIFFERENT and pair.decided_by == supervisor
    duplicates_find_country()
    assert DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).count() == 1
    queue = client.get(reverse("intake:duplicate_queue")).content.decode()
    assert pair.first.full_name not in queue or pair.second.full_name not in queue


def test_the_supervisor_reads_the_queue_in_spanish_and_a_merged_pair_leaves_it(
    client, supervisor, centre_a_records
):
    r = centre_a_records
    duplicates_find_country()
    client.force_login(supervisor)
    page = client.get(reverse("intake:duplicate_queue"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Wilmer Antoni Cruz Perez" in html and "Misma persona" not in html
    assert "Día y mes de nacimiento invertidos" in html  # the recognition's reason
    assert reverse("person_merge", args=sorted_pair(r["wilmer"], r["wilmer_again"])) in html

    first, second = (r["wilmer"], r["wilmer_again"])
    person_merge(
        actor=supervisor,
        survivor_id=first.pk,
        merged_id=second.pk,
        reason="Mismo hombre",
        expected_versions=(first.version, second.version),
    )
    html = client.get(reverse("intake:duplicate_queue")).content.decode()
    assert "Wilmer Antoni Cruz Perez" not in html
    assert "Ana María Lopes" in html


def sorted_pair(a, b):
    return [a.pk, b.pk] if a.pk.int < b.pk.int else [b.pk, a.pk]


def test_a_caseworker_is_refused_and_an_outsider_sees_no_pair_of_another_centre(
    client, caseworker, outsider, centre_a_records
):
    duplicates_find_country()
    pair = DuplicatePair.objects.first()
    client.force_login(caseworker)
    assert client.get(reverse("intake:duplicate_queue")).status_code == 403
    assert client.post(reverse("intake:duplicate_dismiss", args=[pair.pk])).status_code == 403
    assert client.get(reverse("api-duplicate-queue")).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse("intake:duplicate_dismiss", args=[pair.pk])).status_code == 404
    assert client.post(reverse("api-duplicate-dismiss", args=[pair.pk])).status_code == 404
    assert DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).count() == 2


def test_the_api_lists_the_queue_and_records_a_decision(client, supervisor, centre_a_records):
    duplicates_find_country()
    client.force_login(supervisor)
    body = client.get(reverse("api-duplicate-queue")).json()
    assert body["count"] == 2
    best = body["results"][0]
    assert best["score"] >= 100 and best["reasons"]
    answer = client.post(reverse("api-duplicate-dismiss", args=[best["id"]]))
    assert answer.status_code == 200 and answer.json()["status"] == "different"
    again = client.post(reverse("api-duplicate-dismiss", args=[best["id"]]))
    assert again.status_code == 200  # saying it twice changes nothing
    assert client.get(reverse("api-duplicate-queue")).json()["count"] == 1


def test_the_queue_page_makes_the_same_queries_for_one_pair_or_many(
    client, supervisor, center_a, caseworker, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    surnames = ["Ramírez", "Hernández", "Castillo", "Mejía", "Orellana", "Quiñónez"]

    def twins(index):
        for given in ("Marvin Alexis", "Marvin Alexi"):
            known_at(
                center_a,
                caseworker,
                given_names=given,
                first_surname=surnames[index],
                second_surname="",
                birth_date=date(1980 + 3 * index, 1 + index, 3 + 4 * index),
            )

    client.force_login(supervisor)
    twins(0)
    duplicates_find_country()
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("intake:duplicate_queue")).status_code == 200
    for index in range(1, 6):
        twins(index)
    duplicates_find_country()
    assert DuplicatePair.objects.count() == 6
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("intake:duplicate_queue"))
    assert len(many) == len(one)


def test_the_command_and_the_nightly_task_run_the_scan(eager, centre_a_records, settings):
    from io import StringIO

    out = StringIO()
    call_command("find_duplicates", "--country", "GT", stdout=out)
    assert "2 possible duplicates" in out.getvalue()
    from intake.tasks import duplicates_find as task

    assert task.delay().get()["pairs"] == 2
    schedule = settings.CELERY_BEAT_SCHEDULE["intake-duplicates-find"]
    assert schedule["task"] == task.name
