"""A person's uptake: counts per service type from the database, the latest rows of each group on
the person and case pages, every row on the services page, page by page, and a fixed number of
queries however many deliveries the person has."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casework.actions import case_open
from registry.tests.factories import PersonFactory
from services.models import ServiceDelivery
from services.person_page import TIMELINE_DAYS, delivery_timeline_entries
from services.selectors import RECENT_ROWS, person_uptake
from services.tests.factories import ServiceDeliveryFactory, service_type
from services.views import UPTAKE_PAGE_SIZE
from tests.test_person_detail import PERSON_PAGE_QUERIES

pytestmark = pytest.mark.django_db

COMPLETED = ServiceDelivery.Status.COMPLETED
PLANNED = ServiceDelivery.Status.PLANNED
IN_PROGRESS = ServiceDelivery.Status.IN_PROGRESS
NOT_COMPLETED = ServiceDelivery.Status.NOT_COMPLETED


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def person(center_a):
    return PersonFactory(given_names="Dania", first_surname="Zelaya", centers=[center_a])


def deliver(person, center, user, code, *, days_ago=0, status=COMPLETED, void="", **fields):
    today = center.local_now().date()
    return ServiceDeliveryFactory(
        person=person,
        center=center,
        recorded_by=user,
        service_type=service_type(code),
        delivered_on=today - timedelta(days=days_ago),
        status=status,
        voided_at=timezone.now() if void else None,
        void_reason=void,
        **fields,
    )


def history(person, center, user, count, *, case=None):
    """`count` deliveries on as many days: mostly received, some planned, some not completed,
    some voided."""
    codes = ("hygiene_kit", "food", "transport", "clothing")
    rows = []
    for index in range(count):
        status = PLANNED if index % 7 == 3 else NOT_COMPLETED if index % 11 == 5 else COMPLETED
        rows.append(
            ServiceDelivery(
                person=person,
                center=center,
                case=case,
                service_type=service_type(codes[index % len(codes)]),
                delivered_on=center.local_now().date() - timedelta(days=index),
                quantity=1,
                status=status,
                recorded_by=user,
                voided_at=timezone.now() if index % 9 == 4 else None,
                void_reason="Registrado dos veces" if index % 9 == 4 else "",
            )
        )
    ServiceDelivery.objects.bulk_create(rows)


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- The selector -----------------------------------------------------------------------------


def test_counts_per_service_type_and_the_latest_rows_of_each_group(
    caseworker, center_a, center_b, outsider, person
):
    for day in range(7):
        deliver(person, center_a, caseworker, "hygiene_kit", days_ago=day, quantity=2)
    for day in range(3):
        deliver(person, center_a, caseworker, "hygiene_kit", days_ago=day, void="Duplicado")
    deliver(person, center_a, caseworker, "food", status=PLANNED)
    deliver(person, center_a, caseworker, "food", status=PLANNED, days_ago=1)
    deliver(person, center_a, caseworker, "food", status=IN_PROGRESS, days_ago=2)
    deliver(person, center_a, caseworker, "transport", status=NOT_COMPLETED)
    deliver(person, center_b, outsider, "clothing")  # another centre's: neither seen nor counted

    uptake = person_uptake(user=caseworker, person=person)

    lines = {
        line.service_type.code: (
            line.received,
            line.received_quantity,
            line.planned,
            line.not_completed,
            line.voided,
        )
        for line in uptake.lines
    }
    assert lines == {
        "hygiene_kit": (7, 14, 0, 0, 3),
        "food": (0, 0, 3, 0, 0),
        "transport": (0, 0, 0, 1, 0),
    }
    totals = {group.key: group.total for group in uptake.groups}
    assert totals == {"received": 7, "planned": 3, "not_completed": 1, "voided": 3}
    received = uptake.group("received")
    assert len(received.deliveries) == RECENT_ROWS == 5
    assert received.hidden == 2
    days = [d.delivered_on for d in received.deliveries]
    assert days == sorted(days, reverse=True)
    assert days[0] == center_a.local_now().date()  # the newest first
    assert all(d.voided_at is None and d.status == COMPLETED for d in received.deliveries)
    assert [d.void_reason for d in uptake.group("voided").deliveries] == ["Duplicado"] * 3
    assert uptake.total == 14


def test_planned_and_in_progress_rows_are_one_group_newest_first(caseworker, center_a, person):
    for day in range(8):
        status = PLANNED if day % 2 else IN_PROGRESS
        deliver(person, center_a, caseworker, "food", days_ago=day, status=status)
    for day in range(3):  # voided whatever their status
        deliver(person, center_a, caseworker, "food", days_ago=day, status=PLANNED, void="Error")

    uptake = person_uptake(user=caseworker, person=person)

    planned = uptake.group("planned")
    assert planned.total == 8
    today = center_a.local_now().date()
    assert [d.delivered_on for d in planned.deliveries] == [
        today - timedelta(days=day) for day in range(5)
    ]
    assert [line.planned for line in uptake.lines] == [8]
    assert uptake.group("voided").total == 3


def test_one_query_whatever_the_number_of_deliveries(caseworker, center_a, person):
    history(person, center_a, caseworker, 5)
    person_uptake(user=caseworker, person=person)  # the user's centres are read once
    with CaptureQueriesContext(connection) as few:
        person_uptake(user=caseworker, person=person)
    history(person, center_a, caseworker, 60)
    with CaptureQueriesContext(connection) as many:
        uptake = person_uptake(user=caseworker, person=person)
    assert len(few) == len(many) == 1
    assert uptake.total == 65


# --- The person page --------------------------------------------------------------------------


def test_person_page_shows_counts_the_latest_rows_and_a_link_to_each_full_list(
    client_a, caseworker, center_a, person
):
    for day in range(8):
        deliver(person, center_a, caseworker, "hygiene_kit", days_ago=day)
    deliver(person, center_a, caseworker, "food", status=PLANNED)
    deliver(person, center_a, caseworker, "transport", status=NOT_COMPLETED)

    body = client_a.get(reverse("person_detail", args=[person.pk])).content.decode()

    services = reverse("services:person_uptake", args=[person.pk])
    assert "Summary by service" in body
    assert "latest 5 of 8" in body
    assert f'href="{services}?show=received"' in body
    assert "See the full list (8)" in body
    assert "Planned or in progress" in body and "Not completed" in body
    assert f"{services}?show=planned" not in body  # one planned row: all of it is shown
    assert body.count("/void/") == 5 + 1 + 1  # the rows shown, each with its void link
    newest = person.service_deliveries.order_by("-delivered_on", "-pk").first()
    assert f'href="{reverse("services:delivery_void", args=[newest.pk])}"' in body


def test_query_count_of_the_person_page_does_not_grow_with_the_deliveries(
    client_a, caseworker, center_a, person
):
    url = reverse("person_detail", args=[person.pk])
    history(person, center_a, caseworker, 5)
    few = queries(client_a, url)
    history(person, center_a, caseworker, 60)
    assert queries(client_a, url) == few
    # The page without deliveries (casework/tests/test_person_detail.py), plus the service types
    # and centres of the deliveries on the timeline.
    assert few == PERSON_PAGE_QUERIES + 2


def test_case_page_counts_the_case_and_links_to_the_cases_full_list(
    client_a, caseworker, center_a, person
):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    url = reverse("cases:case_detail", args=[case.pk])
    history(person, center_a, caseworker, 5, case=case)
    few = queries(client_a, url)
    history(person, center_a, caseworker, 60, case=case)
    history(person, center_a, caseworker, 3)  # at the door, not within the case
    assert queries(client_a, url) == few

    page = client_a.get(url)
    assert page.context["parts"][0].context["uptake"].total == 65
    services = reverse("services:person_uptake", args=[person.pk])
    body = page.content.decode()
    assert f"{services}?case={case.pk}&amp;show=received" in body
    assert "All services within this case" in body


# --- The services page ------------------------------------------------------------------------


def test_services_page_query_count_does_not_grow_with_the_deliveries(
    client_a, caseworker, center_a, person
):
    url = reverse("services:person_uptake", args=[person.pk])
    history(person, center_a, caseworker, 5)
    few = queries(client_a, url)
    full_few = queries(client_a, f"{url}?show=received")
    history(person, center_a, caseworker, 60)
    assert queries(client_a, url) == few
    assert queries(client_a, f"{url}?show=received") == full_few
    assert queries(client_a, f"{url}?show=received&page=2") == full_few
    # Session and user (2), the user's centres, the restricted cases opened to them, the person
    # and consents (2), the access log entry, the uptake (1) or the full list (count and page:
    # 2), the session's last-seen time (savepoint, update, release: 3).
    assert (few, full_few) == (11, 12)


def test_full_list_of_a_group_page_by_page(client_a, caseworker, center_a, person):
    for day in range(UPTAKE_PAGE_SIZE + 10):
        deliver(person, center_a, caseworker, "food", days_ago=day % 80)
    deliver(person, center_a, caseworker, "food", void="Registrado dos veces")
    url = reverse("services:person_uptake", args=[person.pk])

    first = client_a.get(f"{url}?show=received")
    second = client_a.get(f"{url}?show=received&page=2")

    assert len(first.context["page"].object_list) == UPTAKE_PAGE_SIZE
    assert len(second.context["page"].object_list) == 10
    first_body, second_body = first.content.decode(), second.content.decode()
    assert "Page 1 of 2" in first_body
    assert "show=received&amp;page=2" in first_body  # the next page keeps the group
    assert "(60)" in first_body
    assert first_body.count("/void/") == UPTAKE_PAGE_SIZE
    assert "Registrado dos veces" not in first_body + second_body  # voided is its own list
    seen = [d.pk for d in first.context["page"]] + [d.pk for d in second.context["page"]]
    assert len(set(seen)) == UPTAKE_PAGE_SIZE + 10
    # A page number past the end shows the last page rather than an error.
    assert client_a.get(f"{url}?show=received&page=99").context["page"].number == 2


def test_full_list_of_voided_rows_shows_the_reasons(client_a, caseworker, center_a, person):
    deliver(person, center_a, caseworker, "food", void="Registrado dos veces")
    deliver(person, center_a, caseworker, "food")
    body = client_a.get(
        reverse("services:person_uptake", args=[person.pk]) + "?show=voided"
    ).content.decode()
    assert "Voided: Registrado dos veces" in body
    assert "/void/" not in body  # a voided row cannot be voided again


def test_unknown_group_shows_the_summary(client_a, caseworker, center_a, person):
    deliver(person, center_a, caseworker, "food")
    response = client_a.get(reverse("services:person_uptake", args=[person.pk]) + "?show=all")
    assert response.status_code == 200
    assert "page" not in response.context
    assert response.context["uptake"].total == 1


def test_within_one_case(client_a, caseworker, center_a, person):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    deliver(person, center_a, caseworker, "vocational_training", case=case, training_hours=40)
    deliver(person, center_a, caseworker, "food")
    url = reverse("services:person_uptake", args=[person.pk])

    within = client_a.get(f"{url}?case={case.pk}")
    assert within.context["uptake"].total == 1
    assert f"within case {case.number}" in within.content.decode()
    listed = client_a.get(f"{url}?case={case.pk}&show=received").context["page"].object_list
    assert [d.service_type.code for d in listed] == ["vocational_training"]


def test_a_case_that_is_not_the_persons_or_not_visible_is_not_found(
    client_a, caseworker, outsider, center_a, center_b, person
):
    url = reverse("services:person_uptake", args=[person.pk])
    someone_else = PersonFactory(centers=[center_a])
    other_persons_case = case_open(actor=caseworker, person=someone_else, center=center_a).case
    person.center_links.create(center=center_b)
    other_centres_case = case_open(actor=outsider, person=person, center=center_b).case
    for case_id in (other_persons_case.pk, other_centres_case.pk, 999999, "x"):
        assert client_a.get(f"{url}?case={case_id}").status_code == 404


def test_outsider_is_not_shown_the_full_list(client, outsider, caseworker, center_a, person):
    deliver(person, center_a, caseworker, "food")
    client.force_login(outsider)
    url = reverse("services:person_uptake", args=[person.pk])
    assert client.get(f"{url}?show=received").status_code == 404


# --- The timeline -----------------------------------------------------------------------------


def test_timeline_has_one_entry_per_day_and_collapses_earlier_days(caseworker, center_a, person):
    deliver(person, center_a, caseworker, "hygiene_kit", quantity=2)
    deliver(person, center_a, caseworker, "food", status=PLANNED)
    deliver(person, center_a, caseworker, "transport", void="Error")  # left out
    for day in range(1, TIMELINE_DAYS + 5):
        deliver(person, center_a, caseworker, "food", days_ago=day)

    with translation.override("en"):
        entries = delivery_timeline_entries(caseworker, person)

    assert len(entries) == TIMELINE_DAYS + 1
    today = entries[0]
    assert today.when.date() == center_a.local_now().date()
    # In the catalogue's order; the status is said when the service was not (yet) completed.
    assert today.text == "Food / snack × 1 (Planned), Hygiene kit × 2"
    assert "Transport" not in today.text
    assert entries[-1].text == "Earlier services: see the full list"
    assert entries[-1].when.date() == center_a.local_now().date() - timedelta(days=TIMELINE_DAYS)
    services = reverse("services:person_uptake", args=[person.pk])
    assert {entry.url for entry in entries} == {services}


def test_rows_show_units_statuses_and_outcomes_in_spanish(client_a, caseworker, center_a, person):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    deliver(person, center_a, caseworker, "hygiene_kit", quantity=3)
    deliver(person, center_a, caseworker, "food", status=IN_PROGRESS)
    deliver(
        person,
        center_a,
        caseworker,
        "job_placement",
        case=case,
        employer_sector=ServiceDelivery.Sector.CALL_CENTRE,
        employment_formal=True,
    )
    response = client_a.get(
        reverse("services:person_uptake", args=[person.pk]), HTTP_ACCEPT_LANGUAGE="es"
    )
    received = response.context["uptake"].group("received").deliveries
    labels = {d.service_type.code: (d.unit_label, d.sector_label) for d in received}
    assert labels == {"hygiene_kit": ("kit", ""), "job_placement": ("colocación", "Call center")}
    (in_progress,) = response.context["uptake"].group("planned").deliveries
    assert in_progress.status_label == "En curso"
    body = response.content.decode()
    assert "3 kit" in body
    assert "Call center" in body and "En curso" in body
